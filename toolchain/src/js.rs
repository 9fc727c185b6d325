//! Building a JavaScript or TypeScript function: esbuild bundles its entry and npm
//! dependencies into one script, which is appended to wasmfn's QuickJS engine (see
//! [`wasmfn_schema::bundle`]).

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::Duration,
};

use wasmfn_schema::bundle::MODULE_GLOBAL;

use super::{BuildError, RustGuestBuild};

/// Why a JS function could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JsBuildError {
    /// No entry file was given and none of the usual ones exists.
    #[error("{}: no entry file (looked for {})", dir.display(), ENTRIES.join(", "))]
    NoEntry {
        /// The function folder.
        dir: PathBuf,
    },
    /// esbuild is not installed where it is looked for.
    #[error(
        "esbuild not found for {} (looked for node_modules/.bin/esbuild in it and its parents, \
         then on PATH): run `npm install` (the function's package.json lists esbuild)",
        dir.display()
    )]
    NoEsbuild {
        /// The function folder.
        dir: PathBuf,
    },
    /// esbuild ran and failed: `errors` is what it printed (file:line:column and the code).
    #[error("bundling {} failed:\n{errors}", entry.display())]
    Bundle {
        /// The entry file.
        entry: PathBuf,
        /// esbuild's diagnostics.
        errors: String,
    },
    /// The bundle could not be evaluated into a snapshot.
    #[error("pre-initializing {}: {message}", entry.display())]
    Preinitialize {
        /// The entry file.
        entry: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The engine could not be built.
    #[error("building the JavaScript engine: {0}")]
    Engine(#[from] BuildError),
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
}

/// The entry files looked for, in order, when none is given.
pub const ENTRIES: [&str; 4] = ["src/index.ts", "src/index.js", "index.ts", "index.js"];

/// The engine's crate, in this checkout of wasmfn.
fn engine_crate() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../pdk/js/engine")
}

/// A build of one JS/TS function.
#[derive(Clone, Debug)]
pub struct JsBuild {
    dir: PathBuf,
    entry: Option<PathBuf>,
    output: PathBuf,
    engine_target_dir: Option<PathBuf>,
    preinitialize: bool,
}

/// What a [`JsBuild`] did.
#[derive(Clone, Debug)]
pub struct JsBuildReport {
    /// The module written.
    pub output: PathBuf,
    /// Whether it was pre-initialized.
    pub preinitialized: bool,
    /// The bundle's size in bytes.
    pub bundle_bytes: usize,
    /// How long esbuild took.
    pub bundle_time: Duration,
}

impl JsBuild {
    /// Builds the function in `dir` into `dir/plugin.wasm`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        Self {
            output: dir.join("plugin.wasm"),
            dir,
            entry: None,
            engine_target_dir: None,
            preinitialize: false,
        }
    }

    /// Bundles `entry` (relative to the folder) instead of the first of [`ENTRIES`] found.
    pub fn with_entry(mut self, entry: impl Into<PathBuf>) -> Self {
        self.entry = Some(entry.into());
        self
    }

    /// Writes the module to `path` (relative to the folder, or absolute) instead of
    /// `plugin.wasm`.
    pub fn with_output(mut self, path: impl Into<PathBuf>) -> Self {
        self.output = self.dir.join(path.into());
        self
    }

    /// Pre-initializes the module (default: no): the engine evaluates the bundle at build
    /// time and the result is snapshotted (wizer), so a new instance skips that on its first
    /// call. Costs a compile of the engine per build (seconds): for production builds.
    pub fn with_preinitialize(mut self, preinitialize: bool) -> Self {
        self.preinitialize = preinitialize;
        self
    }

    /// Builds the engine in `dir` (default: `target/guests` of this wasmfn checkout, where
    /// its tests build guests too).
    pub fn with_engine_target_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.engine_target_dir = Some(dir.into());
        self
    }

    /// Bundles, builds the engine unless it is newer than its sources (minutes the first
    /// time), pre-initializes if asked, and writes the module in one step (a rename).
    pub fn run(&self) -> Result<JsBuildReport, JsBuildError> {
        let dir = std::fs::canonicalize(&self.dir)
            .map_err(|source| JsBuildError::Io { path: self.dir.clone(), source })?;
        let entry = self.entry(&dir)?;
        let started = std::time::Instant::now();
        let bundle = bundle(&dir, &entry)?;
        let bundle_time = started.elapsed();
        let engine = self.engine()?;
        let mut engine =
            std::fs::read(&engine).map_err(|source| JsBuildError::Io { path: engine, source })?;
        if self.preinitialize {
            engine = super::preinit::preinitialize(&engine, &bundle.script)
                .map_err(|message| JsBuildError::Preinitialize { entry: entry.clone(), message })?;
        }
        let module =
            wasmfn_schema::bundle::embed(&engine, &bundle.script, bundle.source_map.as_deref());
        super::write_replacing(&self.output, &module)
            .map_err(|source| JsBuildError::Io { path: self.output.clone(), source })?;
        Ok(JsBuildReport {
            output: self.output.clone(),
            preinitialized: self.preinitialize,
            bundle_bytes: bundle.script.len(),
            bundle_time,
        })
    }

    /// The engine module, built if it is missing or older than its sources. Checking the
    /// files here instead of asking cargo keeps a rebuild of a JS function in milliseconds.
    pub fn engine(&self) -> Result<PathBuf, JsBuildError> {
        let (built, target) = self.engine_paths();
        if self.engine_is_fresh() {
            return Ok(built);
        }
        Ok(RustGuestBuild::new(engine_crate()).with_quiet(true).with_target_dir(target).run()?)
    }

    /// Whether the engine is built and newer than its sources (else [`run`](Self::run) builds
    /// it first: minutes the first time).
    pub fn engine_is_fresh(&self) -> bool {
        let crate_dir = engine_crate();
        let sources = [crate_dir.clone(), crate_dir.join("../../../schema/src")];
        let (built, _) = self.engine_paths();
        modified(&built).is_some_and(|built| newest(&sources).is_some_and(|newest| newest <= built))
    }

    /// The engine module and the target dir it is built in.
    fn engine_paths(&self) -> (PathBuf, PathBuf) {
        let target = self
            .engine_target_dir
            .clone()
            .unwrap_or_else(|| engine_crate().join("../../../target/guests"));
        (target.join(super::WASM_TARGET).join("release/wasmfn_js_engine.wasm"), target)
    }

    fn entry(&self, dir: &Path) -> Result<PathBuf, JsBuildError> {
        if let Some(entry) = &self.entry {
            return Ok(dir.join(entry));
        }
        ENTRIES
            .iter()
            .map(|entry| dir.join(entry))
            .find(|path| path.is_file())
            .ok_or_else(|| JsBuildError::NoEntry { dir: dir.to_path_buf() })
    }
}

/// What esbuild wrote.
struct Bundle {
    script: String,
    source_map: Option<String>,
}

/// esbuild's one-file bundle of `entry` (exports in [`MODULE_GLOBAL`]) and its source map,
/// written to a scratch folder beside the function's `node_modules` lookups.
fn bundle(dir: &Path, entry: &Path) -> Result<Bundle, JsBuildError> {
    let esbuild =
        find_esbuild(dir).ok_or_else(|| JsBuildError::NoEsbuild { dir: dir.to_path_buf() })?;
    let scratch = std::env::temp_dir().join(format!(
        "wasmfn-bundle-{}-{}",
        std::process::id(),
        SCRATCH.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| JsBuildError::Io { path, source }
    };
    std::fs::create_dir_all(&scratch).map_err(io(&scratch))?;
    let script_file = scratch.join("bundle.js");
    let output = Command::new(&esbuild)
        .current_dir(dir)
        .arg(entry)
        .args([
            "--bundle",
            "--format=iife",
            &format!("--global-name={MODULE_GLOBAL}"),
            "--platform=browser",
            "--target=es2023",
            "--charset=utf8",
            "--sourcemap=external",
            "--sources-content=false",
            "--log-level=warning",
            "--color=false",
        ])
        .arg(format!("--outfile={}", script_file.display()))
        .stdin(Stdio::null())
        .output()
        .map_err(io(&esbuild));
    let result = output.and_then(|output| {
        if !output.status.success() {
            let errors = String::from_utf8_lossy(&output.stderr).trim_end().to_owned();
            return Err(JsBuildError::Bundle { entry: entry.to_path_buf(), errors });
        }
        let script = std::fs::read_to_string(&script_file).map_err(io(&script_file))?;
        let source_map = std::fs::read_to_string(scratch.join("bundle.js.map"))
            .ok()
            .and_then(|map| sources_relative_to(&map, &scratch, dir));
        Ok(Bundle { script, source_map })
    });
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

/// The source map with its `sources` (relative to the scratch folder esbuild wrote in) made
/// relative to the function's folder, so stacks say `src/index.ts`.
fn sources_relative_to(map: &str, scratch: &Path, dir: &Path) -> Option<String> {
    let mut map: serde_json::Value = serde_json::from_str(map).ok()?;
    for source in map.get_mut("sources")?.as_array_mut()? {
        let Some(path) = source.as_str() else { continue };
        let absolute = normalize(&scratch.join(path));
        let relative = absolute.strip_prefix(dir).unwrap_or(&absolute);
        *source = serde_json::Value::String(relative.display().to_string());
    }
    Some(map.to_string())
}

/// `path` with `.` and `..` resolved without touching the filesystem.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Distinguishes the scratch folders of builds running at once in one process.
static SCRATCH: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The newest modification time of the files under `roots`, `target/` left out.
fn newest(roots: &[PathBuf]) -> Option<std::time::SystemTime> {
    let mut newest = None;
    let mut pending: Vec<PathBuf> = roots.to_vec();
    while let Some(path) = pending.pop() {
        let Ok(metadata) = std::fs::metadata(&path) else { continue };
        if metadata.is_dir() {
            if path.file_name().is_some_and(|name| name == "target") {
                continue;
            }
            for entry in std::fs::read_dir(&path).ok()?.flatten() {
                pending.push(entry.path());
            }
        } else {
            newest = newest.max(metadata.modified().ok());
        }
    }
    newest
}

/// `node_modules/.bin/esbuild` in `dir` or its parents, else `esbuild` on `PATH`.
fn find_esbuild(dir: &Path) -> Option<PathBuf> {
    let local = dir.ancestors().map(|d| d.join("node_modules/.bin/esbuild")).find(|p| p.is_file());
    local.or_else(|| super::find_on_path("esbuild"))
}
