//! Dev mode: rebuild a function when its sources change, hot-reload it when its artifact
//! changes.
//!
//! A [`DevServer`] runs one task that watches the functions directory (see `watch.rs`) and
//! turns each debounced change into an action:
//!
//! | change | action |
//! | --- | --- |
//! | a source (`build.watch`) | run the manifest's `build` ([`BuildRunner`]) |
//! | the artifact | reload it into the registry |
//! | the manifest, or the folder appearing or going | read the folder again: load, reload or unload |
//!
//! Builds of different functions run in parallel; a change during a build of the same
//! function queues one more build after it (never two at once). A reload compiles the new
//! module first and swaps it in only when it loaded: a failed build or a broken artifact
//! leaves the old version serving, with the error recorded on the registry entry. The task
//! ends with [`DevServer::stop`] or once the registry is dropped.

mod build;
mod diagnostic;
mod watch;

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{Arc, Weak},
    time::{Duration, SystemTime},
};

use tokio::{
    sync::{Semaphore, broadcast, mpsc, watch as signal},
    task::JoinSet,
};
use wasmfn_schema::MANIFEST_FILE;

pub use self::build::{BuildCommandError, BuildRunner, stale_reason};
use self::watch::{ChangeKind, Debouncer, RootWatcher, classify};
use crate::{
    discovery::{FunctionSpec, Mode, discover},
    registry::{BuildReport, FunctionRegistry},
    runtime::error::LoadError,
};

/// Dev mode's settings: debounce delays, the build runner, build parallelism.
///
/// ```
/// use std::time::Duration;
/// use wasmfn::dev::{BuildRunner, DevOptions};
///
/// let options = DevOptions::default()
///     .with_source_debounce(Duration::from_millis(50))
///     .with_builder(BuildRunner::new().with_timeout(Duration::from_secs(120)));
/// # let _ = options;
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct DevOptions {
    source_debounce: Duration,
    artifact_debounce: Duration,
    builder: BuildRunner,
    parallel_builds: usize,
}

impl Default for DevOptions {
    fn default() -> Self {
        Self {
            source_debounce: Duration::from_millis(100),
            artifact_debounce: Duration::from_millis(200),
            builder: BuildRunner::new(),
            parallel_builds: std::thread::available_parallelism().map_or(2, |n| n.get()),
        }
    }
}

impl DevOptions {
    /// Quiet time after a source change before building (default 100 ms).
    pub fn with_source_debounce(mut self, delay: Duration) -> Self {
        self.source_debounce = delay;
        self
    }

    /// Quiet time after an artifact change before reloading (default 200 ms).
    pub fn with_artifact_debounce(mut self, delay: Duration) -> Self {
        self.artifact_debounce = delay;
        self
    }

    /// What runs the builds (default: [`BuildRunner::new`]).
    pub fn with_builder(mut self, builder: BuildRunner) -> Self {
        self.builder = builder;
        self
    }

    /// The most builds running at once (default: the number of cores; at least 1).
    pub fn with_parallel_builds(mut self, builds: usize) -> Self {
        self.parallel_builds = builds.max(1);
        self
    }
}

/// What dev mode did, for whoever wants to show or wait for it (see
/// [`DevServer::subscribe`]).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum DevEvent {
    /// A build started.
    BuildStarted {
        /// The function.
        function: String,
        /// Why it is being built.
        reason: &'static str,
    },
    /// A build ended.
    BuildFinished {
        /// The function.
        function: String,
        /// How it went.
        report: BuildReport,
    },
    /// A version of the function was loaded and now serves calls.
    Loaded {
        /// The function.
        function: String,
        /// Its version number in the registry.
        version: u64,
    },
    /// Loading failed; the previous version (if any) still serves.
    LoadFailed {
        /// The function.
        function: String,
        /// Why.
        error: Arc<LoadError>,
    },
    /// The function's folder or manifest went away; it was unloaded.
    Removed {
        /// The function.
        function: String,
    },
}

/// Why dev mode could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DevError {
    /// The functions directory cannot be watched.
    #[error("cannot watch {}: {source}", dir.display())]
    Watch {
        /// The directory.
        dir: PathBuf,
        /// What the watcher said.
        #[source]
        source: notify::Error,
    },
    /// Dev mode runs on tokio and was started outside a runtime.
    #[error("dev mode must start inside a tokio runtime")]
    NoRuntime,
}

/// A running dev mode: watchers and builds for one functions directory. Cheap to clone.
#[derive(Clone, Debug)]
pub struct DevServer {
    events: broadcast::Sender<DevEvent>,
    /// Subscribed at start, for the first subscriber: it sees the builds started on start.
    first: Arc<std::sync::Mutex<Option<broadcast::Receiver<DevEvent>>>>,
    stop: Arc<signal::Sender<bool>>,
}

impl DevServer {
    /// Starts watching `root` and building into `registry`, which should already hold the
    /// folder's functions (see [`FunctionRegistry::load_dir`]). Functions whose artifact is
    /// missing or older than their sources are built right away.
    pub fn start(
        registry: &Arc<FunctionRegistry>,
        root: impl Into<PathBuf>,
        options: DevOptions,
    ) -> Result<Self, DevError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| DevError::NoRuntime)?;
        let root = root.into();
        // Absolute, like the paths the watcher reports and the folders discovery returns.
        let root = std::fs::canonicalize(&root)
            .map_err(|e| DevError::Watch { dir: root, source: notify::Error::io(e) })?;
        // Watch before the first scan, so nothing changing in between is missed.
        let watcher = RootWatcher::new(&root)
            .map_err(|source| DevError::Watch { dir: root.clone(), source })?;
        let (events, first) = broadcast::channel(1024);
        let (stop, stopped) = signal::channel(false);
        let (finished_tx, finished) = mpsc::unbounded_channel();
        let mut dev = DevLoop {
            build_slots: Arc::new(Semaphore::new(options.parallel_builds)),
            root,
            registry: Arc::downgrade(registry),
            // Builds started here are dev builds (`WASMFN_MODE=dev`).
            options: DevOptions { builder: options.builder.for_dev(true), ..options },
            events: events.clone(),
            specs: HashMap::new(),
            loaded: HashMap::new(),
            builds: HashMap::new(),
            debouncer: Debouncer::new(),
            finished_tx,
            build_tasks: JoinSet::new(),
        };
        // Before returning, so a change made right after start is not mistaken for the
        // version already loaded.
        dev.scan();
        runtime.spawn(dev.run(watcher, finished, stopped));
        Ok(Self {
            events,
            first: Arc::new(std::sync::Mutex::new(Some(first))),
            stop: Arc::new(stop),
        })
    }

    /// A stream of what dev mode does: from its start for the first subscriber (so it sees
    /// the builds started on start), from now on for later ones.
    pub fn subscribe(&self) -> broadcast::Receiver<DevEvent> {
        let first = self.first.lock().unwrap_or_else(|e| e.into_inner()).take();
        first.unwrap_or_else(|| self.events.subscribe())
    }

    /// Stops watching; builds in progress are killed.
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }
}

/// The artifact file as last loaded (modified, length, inode): a reload of the same file is
/// skipped.
type Stamp = (SystemTime, u64, u64);

struct DevLoop {
    root: PathBuf,
    registry: Weak<FunctionRegistry>,
    options: DevOptions,
    events: broadcast::Sender<DevEvent>,
    /// The readable functions, by folder.
    specs: HashMap<PathBuf, FunctionSpec>,
    loaded: HashMap<PathBuf, Stamp>,
    /// Folders being built, each with whether another build is queued after it.
    builds: HashMap<PathBuf, bool>,
    debouncer: Debouncer<(PathBuf, ChangeKind)>,
    finished_tx: mpsc::UnboundedSender<(PathBuf, BuildReport)>,
    build_slots: Arc<Semaphore>,
    /// Dropped with the loop, which kills the builds still running.
    build_tasks: JoinSet<()>,
}

impl DevLoop {
    async fn run(
        mut self,
        mut watcher: RootWatcher,
        mut finished: mpsc::UnboundedReceiver<(PathBuf, BuildReport)>,
        mut stopped: signal::Receiver<bool>,
    ) {
        let mut alive = tokio::time::interval(Duration::from_secs(1));
        loop {
            let due = self.debouncer.next_due();
            tokio::select! {
                _ = stopped.changed() => break,
                _ = alive.tick() => if self.registry.strong_count() == 0 { break },
                event = watcher.next() => match event {
                    Some(Ok(event)) => self.on_event(event),
                    Some(Err(error)) => tracing::warn!("file watcher: {error}"),
                    None => break,
                },
                Some((dir, report)) = finished.recv() => self.on_build_finished(dir, report).await,
                () = sleep_until(due), if due.is_some() => {
                    for (dir, kind) in self.debouncer.take_due() {
                        match kind {
                            ChangeKind::Folder => self.read_folder(&dir).await,
                            ChangeKind::Source => self.build(&dir, "sources changed"),
                            ChangeKind::Artifact => self.reload(&dir, false).await,
                        }
                    }
                }
            }
        }
        tracing::debug!(root = %self.root.display(), "dev mode stopped");
    }

    /// Takes in the folder as it is on start: remembers each function's spec and artifact,
    /// and builds what is missing or stale.
    fn scan(&mut self) {
        let Some(registry) = self.registry.upgrade() else { return };
        let Ok(found) = discover(&self.root) else { return };
        for (dir, spec) in found {
            let Ok(spec) = spec else { continue };
            let serving = registry.get_by_dir(&dir).is_some_and(|e| e.current().is_some());
            if let Some(stamp) = stamp(&spec.artifact).filter(|_| serving) {
                self.loaded.insert(dir.clone(), stamp);
            }
            self.specs.insert(dir.clone(), spec);
            let reason = stale_reason(&self.specs[&dir]);
            if let Some(reason) = reason {
                self.build(&dir, reason);
            }
        }
    }

    fn on_event(&mut self, event: notify::Event) {
        // Reads (ours included: loading an artifact, scanning for stale sources) change nothing.
        if event.kind.is_access() {
            return;
        }
        if event.need_rescan() {
            // The OS dropped events: look at every folder again.
            let folders = std::fs::read_dir(&self.root).into_iter().flatten().flatten();
            for dir in folders.map(|e| e.path()).chain(self.specs.keys().cloned()) {
                self.debouncer.push((dir, ChangeKind::Folder), self.options.source_debounce);
            }
        }
        for path in &event.paths {
            let Some((dir, kind)) = classify(&self.root, &self.specs, path) else { continue };
            tracing::debug!(path = %path.display(), ?kind, event = ?event.kind, "change");
            let delay = match kind {
                ChangeKind::Artifact => self.options.artifact_debounce,
                ChangeKind::Folder | ChangeKind::Source => self.options.source_debounce,
            };
            self.debouncer.push((dir, kind), delay);
        }
    }

    /// Reads a function folder again after its manifest (or the folder) changed.
    async fn read_folder(&mut self, dir: &Path) {
        let Some(registry) = self.registry.upgrade() else { return };
        if !dir.join(MANIFEST_FILE).is_file() {
            self.specs.remove(dir);
            self.loaded.remove(dir);
            if let Some(function) = registry.unload_dir(dir) {
                tracing::info!(function = %function, "function removed");
                self.emit(DevEvent::Removed { function });
            }
            return;
        }
        match FunctionSpec::from_dir(dir) {
            Ok(spec) => {
                let stale = stale_reason(&spec);
                self.specs.insert(dir.to_path_buf(), spec);
                // Timeouts, limits or config may have changed even if the artifact did not.
                self.reload(dir, true).await;
                if let Some(reason) = stale {
                    self.build(dir, reason);
                }
            }
            Err(_) => {
                // Sources are not watched until the manifest reads again.
                self.specs.remove(dir);
                self.reload(dir, true).await;
            }
        }
    }

    /// Loads the artifact of the function in `dir`, unless it is the one already loaded.
    async fn reload(&mut self, dir: &Path, force: bool) {
        let Some(registry) = self.registry.upgrade() else { return };
        let artifact = self.specs.get(dir).map(|s| s.artifact.clone());
        let current = artifact.as_deref().and_then(stamp);
        if !force && current.is_some() && current == self.loaded.get(dir).copied() {
            return;
        }
        let folder = dir.to_path_buf();
        let loaded = tokio::task::spawn_blocking(move || registry.load_from_dir(folder)).await;
        match loaded {
            Ok(Ok(entry)) => {
                if let Some(stamp) = current {
                    self.loaded.insert(dir.to_path_buf(), stamp);
                }
                self.emit(DevEvent::Loaded {
                    function: entry.name().to_owned(),
                    version: entry.version(),
                });
            }
            Ok(Err(error)) => {
                let function = self.function_name(dir);
                self.emit(DevEvent::LoadFailed { function, error });
                // A deleted artifact is rebuilt, if the function has a build.
                if artifact.is_some_and(|a| !a.exists()) {
                    self.build(dir, "the artifact is missing");
                }
            }
            Err(panic) => tracing::error!(dir = %dir.display(), "loading panicked: {panic}"),
        }
    }

    /// Starts a build of the function in `dir`, or queues one if it is being built.
    fn build(&mut self, dir: &Path, reason: &'static str) {
        // A process function that runs its source in dev mode has nothing to build.
        let needs_build = |spec: &&FunctionSpec| spec.needs_build(Mode::Dev);
        let Some(spec) = self.specs.get(dir).filter(needs_build).cloned() else {
            return;
        };
        if let Some(queued) = self.builds.get_mut(dir) {
            *queued = true;
            return;
        }
        self.builds.insert(dir.to_path_buf(), false);
        tracing::info!(function = %spec.name(), "building: {reason}");
        self.emit(DevEvent::BuildStarted { function: spec.name().to_owned(), reason });
        let builder = self.options.builder.clone();
        let slots = Arc::clone(&self.build_slots);
        let finished = self.finished_tx.clone();
        let dir = dir.to_path_buf();
        self.build_tasks.spawn(async move {
            let _slot = slots.acquire_owned().await;
            let report = builder.report(&spec).await;
            let _ = finished.send((dir, report));
        });
    }

    async fn on_build_finished(&mut self, dir: PathBuf, report: BuildReport) {
        while self.build_tasks.try_join_next().is_some() {}
        let function = self.function_name(&dir);
        match &report.error {
            None => tracing::info!(function = %function, "built in {:.1?}", report.duration),
            Some(error) => tracing::error!(function = %function, "{error}"),
        }
        if let Some(registry) = self.registry.upgrade() {
            registry.record_build(&dir, report.clone());
        }
        let succeeded = report.succeeded();
        self.emit(DevEvent::BuildFinished { function, report });
        let queued = self.builds.remove(&dir).unwrap_or(false);
        if queued {
            self.build(&dir, "sources changed during the build");
        } else if succeeded {
            // Don't wait for the artifact watcher's quiet time: the build is done.
            self.reload(&dir, false).await;
        }
    }

    fn function_name(&self, dir: &Path) -> String {
        let registry = self.registry.upgrade();
        registry
            .and_then(|r| r.get_by_dir(dir).map(|e| e.name().to_owned()))
            .or_else(|| self.specs.get(dir).map(|s| s.name().to_owned()))
            .unwrap_or_else(|| dir.display().to_string())
    }

    fn emit(&self, event: DevEvent) {
        // Nobody listening is fine.
        let _ = self.events.send(event);
    }
}

fn stamp(path: &Path) -> Option<Stamp> {
    let metadata = std::fs::metadata(path).ok()?;
    Some((
        metadata.modified().ok()?,
        metadata.len(),
        std::os::unix::fs::MetadataExt::ino(&metadata),
    ))
}

async fn sleep_until(due: Option<tokio::time::Instant>) {
    match due {
        Some(due) => tokio::time::sleep_until(due).await,
        None => std::future::pending().await,
    }
}
