//! The functions a host knows, by name: lock-free lookups, atomic swaps.
//!
//! The table is an immutable map behind an [`ArcSwap`]: a lookup is a pointer load, and a
//! change (load, reload, unload) builds a new map and swaps it in. A call holds its own `Arc`
//! of the version it started with, so a swap never disturbs a call in flight.
//!
//! Each entry also remembers its folder, so a folder whose manifest turns invalid, or whose
//! function is renamed, updates the entry it already has rather than adding another.

mod entry;

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::SystemTime,
};

use arc_swap::ArcSwap;
use wasmfn_schema::MANIFEST_FILE;

pub use self::entry::{BuildInfo, BuildReport, FunctionEntry, FunctionInfo, FunctionStatus};
use crate::{
    discovery::{DiscoveryError, FunctionSpec, discover},
    history::CallHistory,
    runtime::{LoadedFunction, RuntimeOptions, error::LoadError},
};

type Table = BTreeMap<String, Arc<FunctionEntry>>;

/// The set of functions, by name. Cheap to share (`Arc` it); every method takes `&self`.
pub struct FunctionRegistry {
    table: ArcSwap<Table>,
    // Serializes writers so two concurrent changes cannot lose each other's update.
    writer: Mutex<()>,
    options: RuntimeOptions,
    /// Counts changes, for whoever follows them (schedules).
    changes: tokio::sync::watch::Sender<u64>,
    /// The recent calls of its functions (off unless set).
    history: CallHistory,
}

impl Default for FunctionRegistry {
    fn default() -> Self {
        Self::new(RuntimeOptions::default())
    }
}

impl std::fmt::Debug for FunctionRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FunctionRegistry").field("functions", &self.table.load().len()).finish()
    }
}

impl FunctionRegistry {
    /// An empty registry whose functions run with `options`.
    pub fn new(options: RuntimeOptions) -> Self {
        let (changes, _) = tokio::sync::watch::channel(0);
        let history = CallHistory::off();
        Self { table: ArcSwap::default(), writer: Mutex::new(()), options, changes, history }
    }

    /// Keeps its functions' recent calls in `history`.
    pub fn with_history(mut self, history: CallHistory) -> Self {
        self.history = history;
        self
    }

    /// The recent calls of its functions (empty when the history is off).
    pub fn history(&self) -> &CallHistory {
        &self.history
    }

    /// Wakes up (`changed().await`) after every load, reload or unload.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// How many changes the registry has seen: what was derived from its entries (the table
    /// of routes) is current as long as this stays the same.
    pub fn generation(&self) -> u64 {
        *self.changes.borrow()
    }

    /// Every entry, sorted by name.
    pub fn entries(&self) -> Vec<Arc<FunctionEntry>> {
        self.table.load().values().cloned().collect()
    }

    /// The function called `name`.
    pub fn get(&self, name: &str) -> Option<Arc<FunctionEntry>> {
        self.table.load().get(name).cloned()
    }

    /// The function whose folder is `dir`.
    pub fn get_by_dir(&self, dir: &Path) -> Option<Arc<FunctionEntry>> {
        self.table.load().values().find(|e| e.dir == dir).cloned()
    }

    /// Every function, sorted by name.
    pub fn list(&self) -> Vec<FunctionInfo> {
        self.table.load().values().map(|e| e.info()).collect()
    }

    /// Loads every function folder under `root`. A folder that fails (bad manifest, missing or
    /// broken artifact) is registered as disabled with its error, logged; the others load.
    /// Fails only when `root` itself cannot be read.
    pub fn load_dir(&self, root: impl AsRef<Path>) -> std::io::Result<()> {
        for (dir, spec) in discover(root)? {
            self.load_or_disable(dir, spec);
        }
        Ok(())
    }

    /// Reads and loads the function in `dir`, replacing the version of the same name. On
    /// failure the error is recorded on the entry and returned; a version already serving
    /// keeps serving.
    pub fn load_from_dir(
        &self,
        dir: impl AsRef<Path>,
    ) -> Result<Arc<FunctionEntry>, Arc<LoadError>> {
        let dir = dir.as_ref();
        let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        let spec = FunctionSpec::from_dir(&dir);
        outcome(self.load_or_disable(dir, spec))
    }

    /// Loads `spec`, replacing the version of the same name once the new one is compiled.
    pub fn load(&self, spec: FunctionSpec) -> Result<Arc<FunctionEntry>, Arc<LoadError>> {
        outcome(self.load_or_disable(spec.dir.clone(), Ok(spec)))
    }

    /// Reloads the function called `name` from its folder.
    pub fn reload(&self, name: &str) -> Option<Result<Arc<FunctionEntry>, Arc<LoadError>>> {
        let dir = self.get(name)?.dir.clone();
        Some(self.load_from_dir(dir))
    }

    /// Removes the function called `name`; calls in flight finish on the version they hold.
    pub fn unload(&self, name: &str) -> bool {
        self.update(|table| table.remove(name).is_some())
    }

    /// Removes the function whose folder is `dir`, returning its name.
    pub fn unload_dir(&self, dir: &Path) -> Option<String> {
        self.update(|table| {
            let name = table.values().find(|e| e.dir == dir)?.name.clone();
            table.remove(&name);
            Some(name)
        })
    }

    /// Records the outcome of building the function in `dir`; the version serving calls (if
    /// any) is untouched. Returns false when no function has that folder.
    pub fn record_build(&self, dir: &Path, report: BuildReport) -> bool {
        self.update(|table| {
            let Some(entry) = table.values().find(|e| e.dir == dir) else { return false };
            let entry = FunctionEntry {
                last_build: Some(report),
                updated_at: SystemTime::now(),
                ..FunctionEntry::clone(entry)
            };
            table.insert(entry.name.clone(), Arc::new(entry));
            true
        })
    }

    /// What of `spec`'s claims (its name, its webhook paths) a function in another folder
    /// holds, and that function's manifest.
    fn taken(&self, spec: &FunctionSpec) -> Option<(String, PathBuf)> {
        self.table.load().values().filter(|e| e.dir != spec.dir).find_map(|entry| {
            let other = entry.current()?.spec();
            Some((spec.conflict_with(other)?, other.manifest_path.clone()))
        })
    }

    /// Applies `change` to a copy of the table and swaps the copy in, one writer at a time.
    fn update<R>(&self, change: impl FnOnce(&mut Table) -> R) -> R {
        let _writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let mut table = Table::clone(&self.table.load());
        let result = change(&mut table);
        self.table.store(Arc::new(table));
        self.changes.send_modify(|n| *n += 1);
        result
    }

    fn load_or_disable(
        &self,
        dir: PathBuf,
        spec: Result<FunctionSpec, DiscoveryError>,
    ) -> Arc<FunctionEntry> {
        // A name or webhook path another folder's function already serves stays with it.
        let spec = spec.and_then(|spec| match self.taken(&spec) {
            Some((claim, other)) => {
                Err(DiscoveryError::Conflict { claim, file: spec.manifest_path.clone(), other })
            }
            None => Ok(spec),
        });
        // Compile outside the writer lock: it is the slow part.
        let (name, loaded) = match spec {
            Ok(spec) => (spec.name().to_owned(), LoadedFunction::load(spec, &self.options)),
            // Unreadable manifest: the entry this folder already has, else the folder's name.
            Err(error) => {
                let name = self.get_by_dir(&dir).map(|e| e.name.clone()).unwrap_or_else(|| {
                    dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
                });
                (name, Err(LoadError::Discovery(error)))
            }
        };
        crate::metrics::loaded(&name, loaded.is_ok());
        self.update(|table| {
            let previous = table.get(&name).cloned().filter(|p| p.dir == dir);
            let version = previous.as_ref().map_or(0, |p| p.version);
            let last_build = previous.as_ref().and_then(|p| p.last_build.clone());
            let entry = match loaded {
                Ok(function) => {
                    tracing::info!(function = %name, dir = %dir.display(), "function loaded");
                    FunctionEntry {
                        name: name.clone(),
                        dir: dir.clone(),
                        current: Some(Arc::new(function)),
                        version: version + 1,
                        last_error: None,
                        last_build,
                        updated_at: SystemTime::now(),
                    }
                }
                Err(error) => {
                    // Serve mode never builds: a missing build output is for the deploy to fix.
                    if matches!(error, LoadError::NotBuilt { .. }) {
                        tracing::warn!(function = %name, dir = %dir.display(), "{error}");
                    } else {
                        tracing::error!(function = %name, dir = %dir.display(), "{error}");
                    }
                    FunctionEntry {
                        name: name.clone(),
                        dir: dir.clone(),
                        current: previous.and_then(|p| p.current.clone()),
                        version,
                        last_error: Some(Arc::new(error)),
                        last_build,
                        updated_at: SystemTime::now(),
                    }
                }
            };
            // Another folder's function has this name (a load that raced ours, or a folder
            // named like it whose manifest is unreadable): it stays; this one is not listed.
            if let Some(other) = table.get(&name).filter(|e| e.dir != dir) {
                let error = LoadError::Discovery(DiscoveryError::Conflict {
                    claim: format!("name {name:?}"),
                    file: dir.join(MANIFEST_FILE),
                    other: other.dir.join(MANIFEST_FILE),
                });
                tracing::error!(function = %name, "{error}");
                let last_error = Some(Arc::new(error));
                return Arc::new(FunctionEntry { current: None, last_error, ..entry });
            }
            // A renamed function: its folder's old name goes away.
            table.retain(|other, e| other == &name || e.dir != dir);
            let entry = Arc::new(entry);
            table.insert(name, Arc::clone(&entry));
            entry
        })
    }
}

/// The entry a load produced, or the error it recorded.
fn outcome(entry: Arc<FunctionEntry>) -> Result<Arc<FunctionEntry>, Arc<LoadError>> {
    match &entry.last_error {
        Some(error) => Err(Arc::clone(error)),
        None => Ok(entry),
    }
}
