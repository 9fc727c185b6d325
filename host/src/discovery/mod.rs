//! From a function folder to a [`FunctionSpec`]: the manifest, validated, plus the paths that
//! follow from it, and what it runs in each [`Mode`] ([`Entrypoint`]). Reads files only;
//! never builds.

mod entrypoint;
mod mode;

use std::path::{Component, Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use wasmfn_schema::{Hook, Location, MANIFEST_FILE, Manifest, ManifestError};

pub use self::{entrypoint::Entrypoint, mode::Mode};

/// Folders inside a function folder that never hold its sources: build output, installed
/// packages, version control and editor state.
const NOT_SOURCES: [&str; 2] = ["target", "node_modules"];

/// Why a folder is not a usable function.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DiscoveryError {
    /// The folder has no `manifest.yaml`.
    #[error("{} has no {MANIFEST_FILE}", dir.display())]
    NoManifest {
        /// The folder.
        dir: PathBuf,
    },
    /// The manifest cannot be read or is invalid.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// Another folder already declares something that must be unique: the function's name,
    /// or a webhook path.
    #[error(
        "{}: {claim} is also declared by {}; only the first keeps it, this function is disabled until one of them changes",
        file.display(), other.display()
    )]
    Conflict {
        /// What both declare: `name "hello"`, `webhook path "github"`.
        claim: String,
        /// This function's manifest.
        file: PathBuf,
        /// The manifest that keeps it.
        other: PathBuf,
    },
    /// A `build.watch` pattern is not a glob.
    #[error("invalid manifest {}: build.watch: {pattern:?} is not a glob: {message}", file.display())]
    WatchGlob {
        /// The manifest file.
        file: PathBuf,
        /// The pattern.
        pattern: String,
        /// What is wrong with it.
        message: String,
    },
}

/// A function as declared on disk: its validated manifest and where its files are.
#[derive(Clone, Debug)]
pub struct FunctionSpec {
    /// The parsed manifest.
    pub manifest: Manifest,
    /// The function folder.
    pub dir: PathBuf,
    /// The manifest file.
    pub manifest_path: PathBuf,
    /// The wasm artifact: `build.output` (or `plugin.wasm`) resolved against the folder.
    pub artifact: PathBuf,
    watch: GlobSet,
}

impl FunctionSpec {
    /// Reads the function in `dir` (made absolute, so it compares equal to the paths file
    /// watchers report).
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self, DiscoveryError> {
        let dir = dir.as_ref();
        let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        let manifest_path = dir.join(MANIFEST_FILE);
        if !manifest_path.is_file() {
            return Err(DiscoveryError::NoManifest { dir });
        }
        let text = wasmfn_schema::manifest::read_text(&manifest_path)?;
        let manifest = Manifest::from_yaml(&text, &manifest_path)?;
        let artifact = dir.join(manifest.artifact());
        // The manifest's paths are relative and free of `..`; what is there may still be a
        // symlink out of the folder, whose bytes would be loaded (or quoted) as the function.
        let entry = manifest.process.as_ref().map(|p| (dir.join(&p.entry), ["process", "entry"]));
        for (path, field) in [(artifact.clone(), ["build", "output"])].into_iter().chain(entry) {
            if !stays_inside(&dir, &path) {
                let (line, column) = Manifest::key_position(&text, &field).unzip();
                let written = path.strip_prefix(&dir).unwrap_or(&path).display().to_string();
                return Err(ManifestError::Invalid {
                    location: Location { file: manifest_path, line, column },
                    field: Some(field.join(".")),
                    message: format!(
                        "{written:?} resolves to a file outside the function folder (through a \
                         symlink): a function may only load what is inside its folder"
                    ),
                }
                .into());
            }
        }
        let mut watch = GlobSetBuilder::new();
        for pattern in manifest.build.iter().flat_map(|b| &b.watch) {
            let glob = Glob::new(pattern).map_err(|e| DiscoveryError::WatchGlob {
                file: manifest_path.clone(),
                pattern: pattern.clone(),
                message: e.kind().to_string(),
            })?;
            watch.add(glob);
        }
        let watch = watch.build().expect("each glob compiled on its own");
        Ok(Self { manifest, dir, manifest_path, artifact, watch })
    }

    /// The function's name.
    pub fn name(&self) -> &str {
        self.manifest.name.as_str()
    }

    /// What a process function runs in `mode`; `None` for a wasm function.
    ///
    /// Dev mode runs the source through its interpreter, with `dev_args`; a language without
    /// one for the source (a binary) runs the build's output in both modes.
    ///
    /// ```no_run
    /// use wasmfn::{FunctionSpec, Mode};
    ///
    /// let spec = FunctionSpec::from_dir("functions/hello-node")?;
    /// let prod = spec.entrypoint(Mode::Serve).unwrap();
    /// println!("{} {:?}", prod.program.display(), prod.args); // node [".../dist/index.js"]
    /// # Ok::<(), wasmfn::DiscoveryError>(())
    /// ```
    pub fn entrypoint(&self, mode: Mode) -> Option<Entrypoint> {
        Entrypoint::for_mode(self, mode)
    }

    /// Whether the function needs its build to run in `mode`: always for a wasm function with
    /// a build; for a process function, when its entrypoint is the build's output.
    pub fn needs_build(&self, mode: Mode) -> bool {
        self.manifest.build.is_some()
            && self.entrypoint(mode).is_none_or(|entrypoint| entrypoint.from_build)
    }

    /// What this function declares that no other function may: its name and its webhook
    /// paths (compared without their leading and trailing `/`), as `name "hello"`.
    pub fn claims(&self) -> Vec<String> {
        let webhooks = self.manifest.hooks.iter().filter_map(|hook| match hook {
            Hook::Webhook(webhook) => {
                Some(format!("webhook path {:?}", webhook.path.as_str().trim_matches('/')))
            }
            _ => None,
        });
        std::iter::once(format!("name {:?}", self.name())).chain(webhooks).collect()
    }

    /// The first of [`claims`](Self::claims) that `other` declares too, or the first of
    /// its routes that cannot be served beside one of `other`'s
    /// ([`Route::overlaps`](wasmfn_schema::Route::overlaps)).
    pub fn conflict_with(&self, other: &FunctionSpec) -> Option<String> {
        let theirs = other.claims();
        let claim = self.claims().into_iter().find(|claim| theirs.contains(claim));
        claim.or_else(|| {
            self.manifest.routes.iter().find_map(|route| {
                let same = other.manifest.routes.iter().find(|theirs| route.overlaps(theirs))?;
                Some(if same == route {
                    format!("route \"{route}\"")
                } else {
                    format!("route \"{route}\" (as \"{same}\")")
                })
            })
        })
    }

    /// Whether a change to `path` calls for a rebuild: it is in the function folder, matches
    /// a `build.watch` glob, and is neither the artifact, the manifest, nor in `target/`,
    /// `node_modules/`, a hidden folder or an editor's scratch file. Without globs nothing
    /// is: watching everything would rebuild forever on files the build itself writes.
    pub fn is_source(&self, path: &Path) -> bool {
        let Ok(relative) = path.strip_prefix(&self.dir) else { return false };
        if path == self.artifact || path == self.manifest_path || relative.as_os_str().is_empty() {
            return false;
        }
        let hidden = relative.components().any(|c| match c {
            Component::Normal(name) => {
                let name = name.to_string_lossy();
                NOT_SOURCES.contains(&name.as_ref()) || is_scratch_file(&name)
            }
            _ => true,
        });
        !hidden && self.watch.is_match(relative)
    }

    /// The files in the function folder that [`is_source`](Self::is_source) accepts.
    pub fn source_files(&self) -> Vec<PathBuf> {
        let mut files = Vec::new();
        let mut folders = vec![self.dir.clone()];
        while let Some(folder) = folders.pop() {
            let Ok(entries) = std::fs::read_dir(&folder) else { continue };
            for entry in entries.flatten() {
                let path = entry.path();
                let name = entry.file_name();
                let name = name.to_string_lossy();
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    if !NOT_SOURCES.contains(&name.as_ref()) && !is_scratch_file(&name) {
                        folders.push(path);
                    }
                } else if self.is_source(&path) {
                    files.push(path);
                }
            }
        }
        files.sort();
        files
    }
}

/// Editors' swap, backup and lock files (vim, emacs, ...), and hidden files.
fn is_scratch_file(name: &str) -> bool {
    name.starts_with('.')
        || name.starts_with('#')
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        // vim probes whether a folder is writable with this name.
        || name == "4913"
}

/// A function folder and what reading it gave.
pub type Discovered = (PathBuf, Result<FunctionSpec, DiscoveryError>);

/// Every function folder directly under `root` (each subfolder with a `manifest.yaml`), sorted
/// by folder name. A folder whose manifest is bad comes with its error, so one bad function
/// never hides the others.
///
/// A function's name need not be its folder's, but two folders cannot declare one name (or
/// one webhook path): the folder named like the function keeps the name, else the first
/// folder; each other one gets a [`DiscoveryError::Conflict`] naming both manifests.
pub fn discover(root: impl AsRef<Path>) -> std::io::Result<Vec<Discovered>> {
    let root = std::fs::canonicalize(root)?;
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.join(MANIFEST_FILE).is_file())
        .collect();
    dirs.sort();
    let mut found: Vec<Discovered> =
        dirs.into_iter().map(|dir| (dir.clone(), FunctionSpec::from_dir(dir))).collect();
    // Folders named like their function claim first.
    let mut order: Vec<usize> = (0..found.len()).collect();
    order.sort_by_key(|&i| match &found[i] {
        (dir, Ok(spec)) => dir.file_name().is_none_or(|name| name != spec.name()),
        _ => true,
    });
    let mut kept: Vec<usize> = Vec::new();
    for i in order {
        let Ok(spec) = &found[i].1 else { continue };
        let taken = kept.iter().find_map(|&k| {
            let (_, Ok(keeper)) = &found[k] else { return None };
            Some((spec.conflict_with(keeper)?, keeper.manifest_path.clone()))
        });
        match taken {
            Some((claim, other)) => {
                let file = spec.manifest_path.clone();
                found[i].1 = Err(DiscoveryError::Conflict { claim, file, other });
            }
            None => kept.push(i),
        }
    }
    Ok(found)
}

/// Whether `path`, once its symlinks are resolved, is inside `dir` (itself resolved). A path
/// that does not exist yet (not built) stays inside until it does.
fn stays_inside(dir: &Path, path: &Path) -> bool {
    match std::fs::canonicalize(path) {
        Ok(resolved) => resolved.starts_with(dir),
        // A dangling symlink: where it points decides.
        Err(_) => match std::fs::read_link(path) {
            Ok(target) => {
                let target = path.parent().unwrap_or(dir).join(target);
                target.components().all(|c| !matches!(c, Component::ParentDir))
                    && target.starts_with(dir)
            }
            Err(_) => true,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(watch: &str) -> (tempfile::TempDir, FunctionSpec) {
        let dir = tempfile::tempdir().unwrap();
        let manifest = format!(
            "name: f\nbuild:\n  command: make\n  watch: {watch}\n  output: target/out.wasm\n"
        );
        std::fs::write(dir.path().join(MANIFEST_FILE), manifest).unwrap();
        let spec = FunctionSpec::from_dir(dir.path()).unwrap();
        (dir, spec)
    }

    #[test]
    fn sources_follow_the_watch_globs() {
        let (_dir, spec) = spec(r#"["src/**/*.rs", Cargo.toml]"#);
        let source = |p: &str| spec.is_source(&spec.dir.join(p));
        assert!(source("src/lib.rs"));
        assert!(source("src/a/b.rs"));
        assert!(source("Cargo.toml"));
        assert!(!source("README.md"));
        assert!(!source("src/.lib.rs.swp"));
        assert!(!source("target/debug/build/x/out/private.rs"));
        assert!(!source("manifest.yaml"));
        assert!(!spec.is_source(Path::new("/elsewhere/src/lib.rs")));

        for file in ["src/lib.rs", "src/a/b.rs", "Cargo.toml", "README.md", "target/x/y.rs"] {
            let path = spec.dir.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        }
        let files: Vec<_> = spec
            .source_files()
            .into_iter()
            .map(|f| f.strip_prefix(&spec.dir).unwrap().to_owned())
            .collect();
        assert_eq!(files, ["Cargo.toml", "src/a/b.rs", "src/lib.rs"].map(PathBuf::from));
    }

    #[test]
    fn even_catch_all_globs_skip_output_packages_and_scratch_files() {
        let (_dir, spec) = spec(r#"["**"]"#);
        let source = |p: &str| spec.is_source(&spec.dir.join(p));
        assert!(source("index.ts"));
        assert!(source("lib/util.js"));
        assert!(!source("target/out.wasm"));
        assert!(!source("node_modules/zod/index.js"));
        assert!(!source(".git/HEAD"));
        assert!(!source("index.ts~"));
        assert!(!source("4913"));
        assert!(!source(""));
    }

    #[test]
    fn without_globs_nothing_is_a_source() {
        let (_dir, spec) = spec("[]");
        assert!(!spec.is_source(&spec.dir.join("index.ts")));
    }

    #[test]
    fn a_bad_glob_names_the_manifest_and_pattern() {
        let dir = tempfile::tempdir().unwrap();
        let manifest =
            "name: f\nbuild:\n  command: make\n  watch: [\"src/[a\"]\n  output: f.wasm\n";
        std::fs::write(dir.path().join(MANIFEST_FILE), manifest).unwrap();
        let error = FunctionSpec::from_dir(dir.path()).unwrap_err().to_string();
        assert!(error.contains("manifest.yaml: build.watch: \"src/[a\" is not a glob"), "{error}");
    }
}
