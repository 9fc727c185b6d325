//! From a function folder to a [`FunctionSpec`]: the manifest, validated, plus the paths that
//! follow from it. Reads files only; never builds.

use std::path::{Path, PathBuf};

use wasmfn_schema::{MANIFEST_FILE, Manifest, ManifestError};

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
}

impl FunctionSpec {
    /// Reads the function in `dir`.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self, DiscoveryError> {
        let dir = dir.as_ref().to_path_buf();
        let manifest_path = dir.join(MANIFEST_FILE);
        if !manifest_path.is_file() {
            return Err(DiscoveryError::NoManifest { dir });
        }
        let manifest = Manifest::from_file(&manifest_path)?;
        let artifact = dir.join(manifest.artifact());
        Ok(Self { manifest, dir, manifest_path, artifact })
    }

    /// The function's name.
    pub fn name(&self) -> &str {
        self.manifest.name.as_str()
    }
}

/// A function folder and what reading it gave.
pub type Discovered = (PathBuf, Result<FunctionSpec, DiscoveryError>);

/// Every function folder directly under `root` (each subfolder with a `manifest.yaml`), sorted
/// by folder name. A folder whose manifest is bad comes with its error, so one bad function
/// never hides the others.
pub fn discover(root: impl AsRef<Path>) -> std::io::Result<Vec<Discovered>> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.join(MANIFEST_FILE).is_file())
        .collect();
    dirs.sort();
    Ok(dirs.into_iter().map(|dir| (dir.clone(), FunctionSpec::from_dir(dir))).collect())
}
