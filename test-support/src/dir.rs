//! Function folders laid out for a test, in a temporary directory.

use std::path::{Path, PathBuf};

use wasmfn::{Functions, FunctionsBuilder};

use crate::guests::{guest_target_dir, testbed_wasm};

/// Manifest lines (after `name:`) for a testbed function echoing its input with one hook of
/// each kind: a schedule that never ticks in a test, a webhook `github` signed with
/// `HOOK_SECRET`, and inserts into `users`.
pub const EVERY_HOOK: &str = "export: echo
hooks:
  - type: schedule
    cron: \"0 0 1 1 *\"
  - type: webhook
    path: github
    secret_env: HOOK_SECRET
  - type: database
    source: users
    action: insert
";

/// A temporary functions directory.
pub struct FunctionsDir {
    /// The directory, removed when the value drops.
    pub dir: tempfile::TempDir,
}

impl Default for FunctionsDir {
    fn default() -> Self {
        Self::new()
    }
}

impl FunctionsDir {
    pub fn new() -> Self {
        Self { dir: tempfile::tempdir().unwrap() }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A function running the testbed, its manifest being `name: <name>` plus `extra` lines.
    pub fn add_testbed(&self, name: &str, extra: &str) -> PathBuf {
        let wasm = std::fs::read(testbed_wasm()).unwrap();
        self.add(name, extra, &wasm)
    }

    /// A function with the given wasm bytes as its `plugin.wasm`.
    pub fn add(&self, name: &str, extra: &str, wasm: &[u8]) -> PathBuf {
        let dir = self.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("manifest.yaml"), format!("name: {name}\n{extra}")).unwrap();
        std::fs::write(dir.join("plugin.wasm"), wasm).unwrap();
        dir
    }

    /// A JS function built from the project in `source` (esbuild + the engine, pre-initialized
    /// or not), its manifest being `name: <name>` plus `extra` lines.
    pub fn add_js(&self, name: &str, source: &Path, extra: &str, preinitialize: bool) {
        let folder = self.path().join(name);
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("manifest.yaml"), format!("name: {name}\n{extra}")).unwrap();
        wasmfn_build::JsBuild::new(source)
            .with_preinitialize(preinitialize)
            .with_output(folder.join("plugin.wasm"))
            .with_engine_target_dir(guest_target_dir())
            .run()
            .unwrap_or_else(|e| panic!("building {}: {e}", source.display()));
    }

    /// A folder whose manifest is exactly `manifest` (and no artifact).
    pub fn add_manifest_only(&self, folder: &str, manifest: &str) -> PathBuf {
        let dir = self.path().join(folder);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("manifest.yaml"), manifest).unwrap();
        dir
    }

    pub fn builder(&self) -> FunctionsBuilder {
        Functions::builder().with_dir(self.path())
    }

    pub fn functions(&self) -> Functions {
        self.builder().build().unwrap()
    }
}
