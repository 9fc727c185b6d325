//! What changed under a functions directory: one recursive `notify` watch on the root, each
//! event path sorted into (function folder, kind of change), and a debouncer so a burst of
//! changes becomes one action.
//!
//! One watch on the root (rather than one per function) is what survives function folders
//! being deleted and recreated, and editors that save by writing a new file and renaming it
//! over the old one: the watch is on the parent, which stays.

use std::{
    collections::HashMap,
    hash::Hash,
    path::{Path, PathBuf},
    time::Duration,
};

use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use tokio::{sync::mpsc, time::Instant};
use wasmfn_schema::MANIFEST_FILE;

use crate::discovery::FunctionSpec;

/// What a change to a path inside a function folder calls for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum ChangeKind {
    /// The folder or its manifest: read it again (load, reload or unload).
    Folder,
    /// A source: rebuild.
    Source,
    /// The artifact: reload.
    Artifact,
}

/// The file events under one root, as an async stream.
pub(crate) struct RootWatcher {
    // Dropping the watcher ends the watch.
    _watcher: RecommendedWatcher,
    events: mpsc::UnboundedReceiver<notify::Result<notify::Event>>,
}

impl RootWatcher {
    pub(crate) fn new(root: &Path) -> notify::Result<Self> {
        let (sender, events) = mpsc::unbounded_channel();
        let mut watcher = notify::recommended_watcher(move |event| {
            // The receiver is gone only when the dev loop ended.
            let _ = sender.send(event);
        })?;
        watcher.watch(root, RecursiveMode::Recursive)?;
        Ok(Self { _watcher: watcher, events })
    }

    pub(crate) async fn next(&mut self) -> Option<notify::Result<notify::Event>> {
        self.events.recv().await
    }
}

/// The function folder `path` is in and what its change calls for, if anything. `specs` are
/// the readable functions by folder; a folder without one only reacts to its manifest.
pub(crate) fn classify(
    root: &Path,
    specs: &HashMap<PathBuf, FunctionSpec>,
    path: &Path,
) -> Option<(PathBuf, ChangeKind)> {
    let relative = path.strip_prefix(root).ok()?;
    let mut components = relative.components();
    let folder = root.join(components.next()?);
    let rest = components.as_path();
    if rest.as_os_str().is_empty() || rest == Path::new(MANIFEST_FILE) {
        return Some((folder, ChangeKind::Folder));
    }
    let spec = specs.get(&folder)?;
    if path == spec.artifact {
        Some((folder, ChangeKind::Artifact))
    } else if spec.manifest.build.is_some() && spec.is_source(path) {
        Some((folder, ChangeKind::Source))
    } else {
        None
    }
}

/// Trailing-edge debouncing: a key is due once no change to it arrived for its delay.
#[derive(Debug)]
pub(crate) struct Debouncer<K> {
    due: HashMap<K, Instant>,
}

impl<K: Clone + Eq + Hash> Debouncer<K> {
    pub(crate) fn new() -> Self {
        Self { due: HashMap::new() }
    }

    /// Notes a change to `key`, pushing its due time to `delay` from now.
    pub(crate) fn push(&mut self, key: K, delay: Duration) {
        self.due.insert(key, Instant::now() + delay);
    }

    /// When the next key is due.
    pub(crate) fn next_due(&self) -> Option<Instant> {
        self.due.values().min().copied()
    }

    /// Removes and returns the keys that are due.
    pub(crate) fn take_due(&mut self) -> Vec<K> {
        let now = Instant::now();
        let due: Vec<K> =
            self.due.iter().filter(|(_, at)| **at <= now).map(|(k, _)| k.clone()).collect();
        for key in &due {
            self.due.remove(key);
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_sort_into_folder_source_and_artifact_changes() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("hello");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(
            dir.join(MANIFEST_FILE),
            "name: hello\nbuild:\n  command: make\n  watch: [\"src/**\"]\n  output: out/f.wasm\n",
        )
        .unwrap();
        let specs = HashMap::from([(dir.clone(), FunctionSpec::from_dir(&dir).unwrap())]);
        let classify = |p: &str| classify(root.path(), &specs, &root.path().join(p));
        assert_eq!(classify("hello"), Some((dir.clone(), ChangeKind::Folder)));
        assert_eq!(classify("hello/manifest.yaml"), Some((dir.clone(), ChangeKind::Folder)));
        assert_eq!(classify("hello/src/lib.rs"), Some((dir.clone(), ChangeKind::Source)));
        assert_eq!(classify("hello/out/f.wasm"), Some((dir.clone(), ChangeKind::Artifact)));
        assert_eq!(classify("hello/README.md"), None);
        assert_eq!(classify("other/src/lib.rs"), None);
        assert_eq!(classify("other"), Some((root.path().join("other"), ChangeKind::Folder)));
        assert_eq!(classify(""), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_of_changes_is_due_once_after_the_last() {
        let mut debouncer = Debouncer::new();
        let delay = Duration::from_millis(100);
        for _ in 0..50 {
            debouncer.push("a", delay);
            tokio::time::advance(Duration::from_millis(10)).await;
        }
        assert!(debouncer.take_due().is_empty(), "the last change was 10 ms ago");
        tokio::time::advance(delay).await;
        assert_eq!(debouncer.take_due(), ["a"]);
        assert!(debouncer.take_due().is_empty());
        assert_eq!(debouncer.next_due(), None);
    }
}
