//! The functions a host knows, by name: lock-free lookups, atomic swaps.
//!
//! The table is an immutable map behind an [`ArcSwap`]: a lookup is a pointer load, and a
//! change (load, reload, unload) builds a new map and swaps it in. A call holds its own `Arc`
//! of the version it started with, so a swap never disturbs a call in flight.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::SystemTime,
};

use arc_swap::ArcSwap;
use serde::Serialize;

use crate::{
    DiscoveryError, FunctionSpec, discover,
    runtime::{LoadedFunction, RuntimeOptions},
};

/// One function as the registry knows it: the version serving calls (if any) and the last
/// error (if loading failed).
#[derive(Debug)]
pub struct FunctionEntry {
    name: String,
    dir: PathBuf,
    current: Option<Arc<LoadedFunction>>,
    last_error: Option<String>,
    updated_at: SystemTime,
}

impl FunctionEntry {
    /// The function's name (its folder name when the manifest could not be read).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The version serving calls, or `None` when the function is disabled.
    pub fn current(&self) -> Option<&Arc<LoadedFunction>> {
        self.current.as_ref()
    }

    /// The error of the last failed load, if the last load failed.
    pub fn last_error(&self) -> Option<&str> {
        self.last_error.as_deref()
    }

    /// A summary for listings.
    pub fn info(&self) -> FunctionInfo {
        let manifest = self.current.as_ref().map(|f| &f.spec().manifest);
        FunctionInfo {
            name: self.name.clone(),
            status: if self.current.is_some() {
                FunctionStatus::Ready
            } else {
                FunctionStatus::Disabled
            },
            description: manifest.and_then(|m| m.description.clone()),
            dir: self.dir.clone(),
            last_error: self.last_error.clone(),
            updated_at: humantime::format_rfc3339_seconds(self.updated_at).to_string(),
        }
    }
}

/// Whether a function can be called.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FunctionStatus {
    /// Loaded and serving calls.
    Ready,
    /// Not callable; `last_error` says why.
    Disabled,
}

/// A function's summary, as `GET /api/functions` lists it.
#[derive(Clone, Debug, Serialize)]
pub struct FunctionInfo {
    /// The function's name.
    pub name: String,
    /// Ready or disabled.
    pub status: FunctionStatus,
    /// The manifest's description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The function folder.
    pub dir: PathBuf,
    /// Why the last load failed, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// When the entry last changed (RFC 3339, UTC).
    pub updated_at: String,
}

/// The set of functions, by name. Cheap to share (`Arc` it); every method takes `&self`.
#[derive(Default)]
pub struct FunctionRegistry {
    table: ArcSwap<BTreeMap<String, Arc<FunctionEntry>>>,
    // Serializes writers so two concurrent changes cannot lose each other's update.
    writer: Mutex<()>,
    options: RuntimeOptions,
}

impl std::fmt::Debug for FunctionRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FunctionRegistry").field("functions", &self.table.load().len()).finish()
    }
}

impl FunctionRegistry {
    /// An empty registry whose functions run with `options`.
    pub fn new(options: RuntimeOptions) -> Self {
        Self { table: ArcSwap::default(), writer: Mutex::new(()), options }
    }

    /// The function called `name`.
    pub fn get(&self, name: &str) -> Option<Arc<FunctionEntry>> {
        self.table.load().get(name).cloned()
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
    pub fn load_from_dir(&self, dir: impl AsRef<Path>) -> Result<Arc<FunctionEntry>, String> {
        let dir = dir.as_ref().to_path_buf();
        let spec = FunctionSpec::from_dir(&dir);
        outcome(self.load_or_disable(dir, spec))
    }

    /// Loads `spec`, replacing the version of the same name once the new one is compiled.
    pub fn load(&self, spec: FunctionSpec) -> Result<Arc<FunctionEntry>, String> {
        outcome(self.load_or_disable(spec.dir.clone(), Ok(spec)))
    }

    /// Reloads the function called `name` from its folder.
    pub fn reload(&self, name: &str) -> Option<Result<Arc<FunctionEntry>, String>> {
        let dir = self.get(name)?.dir.clone();
        Some(self.load_from_dir(dir))
    }

    /// Removes the function called `name`; calls in flight finish on the version they hold.
    pub fn unload(&self, name: &str) -> bool {
        let _writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let mut table = BTreeMap::clone(&self.table.load());
        let removed = table.remove(name).is_some();
        self.table.store(Arc::new(table));
        removed
    }

    fn load_or_disable(
        &self,
        dir: PathBuf,
        spec: Result<FunctionSpec, DiscoveryError>,
    ) -> Arc<FunctionEntry> {
        let folder_name =
            dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        // Compile outside the writer lock: it is the slow part.
        let (name, loaded) = match spec {
            Ok(spec) => {
                let name = spec.name().to_owned();
                let loaded = LoadedFunction::load(spec, &self.options).map_err(|e| e.to_string());
                (name, loaded)
            }
            Err(error) => (folder_name, Err(error.to_string())),
        };
        let _writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let previous = self.table.load().get(&name).cloned();
        let entry = match loaded {
            Ok(function) => {
                tracing::info!(function = %name, dir = %dir.display(), "function loaded");
                FunctionEntry {
                    name: name.clone(),
                    dir,
                    current: Some(Arc::new(function)),
                    last_error: None,
                    updated_at: SystemTime::now(),
                }
            }
            Err(error) => {
                tracing::error!(function = %name, dir = %dir.display(), "{error}");
                FunctionEntry {
                    name: name.clone(),
                    dir,
                    current: previous.and_then(|p| p.current.clone()),
                    last_error: Some(error),
                    updated_at: SystemTime::now(),
                }
            }
        };
        let entry = Arc::new(entry);
        let mut table = BTreeMap::clone(&self.table.load());
        table.insert(name, Arc::clone(&entry));
        self.table.store(Arc::new(table));
        entry
    }
}

/// The entry a load produced, or the error it recorded.
fn outcome(entry: Arc<FunctionEntry>) -> Result<Arc<FunctionEntry>, String> {
    match entry.last_error() {
        Some(error) => Err(error.to_owned()),
        None => Ok(entry),
    }
}
