//! Real guests, built once per test binary into one shared target dir.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::Mutex,
};

use wasmfn::FunctionSpec;
use wasmfn_build::RustGuestBuild;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// Where every test builds its guests: one target dir, so std and the PDK are compiled for
/// wasm once for all of them (minutes when cold).
pub fn guest_target_dir() -> PathBuf {
    repo_root().join("target/guests")
}

/// Builds the Rust guest crate in `dir` (once per test binary; cargo keeps later builds
/// incremental) and returns its `.wasm`.
pub fn build_guest(dir: &Path) -> PathBuf {
    static BUILT: Mutex<Option<HashMap<PathBuf, PathBuf>>> = Mutex::new(None);
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    let built = built.get_or_insert_with(HashMap::new);
    built
        .entry(dir.to_path_buf())
        .or_insert_with(|| {
            RustGuestBuild::new(dir)
                .with_quiet(true)
                .with_target_dir(guest_target_dir())
                .run()
                .unwrap_or_else(|e| panic!("building {}: {e}", dir.display()))
        })
        .clone()
}

/// The function in `folder` (a Rust guest with a manifest), built into the manifest's output.
pub fn built_function(folder: &Path) -> FunctionSpec {
    static BUILT: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
    let spec = FunctionSpec::from_dir(folder).unwrap();
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if !built.contains(&folder.to_path_buf()) {
        RustGuestBuild::new(folder)
            .with_quiet(true)
            .with_target_dir(guest_target_dir())
            .with_output(&spec.artifact)
            .run()
            .unwrap_or_else(|e| panic!("building {}: {e}", folder.display()));
        built.push(folder.to_path_buf());
    }
    spec
}

/// The function in `examples/<name>`, with its Rust guest built into the manifest's output.
pub fn example(name: &str) -> FunctionSpec {
    built_function(&repo_root().join("examples").join(name))
}

/// A copy of `files` of `examples/<name>` in a new folder `<name>` of a temporary directory
/// inside the checkout's `target/` (so esbuild and the npm packages resolve from its
/// `node_modules`): the directory, and the function's folder in it.
pub fn example_copy(name: &str, files: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let functions = tempfile::tempdir_in(repo_root().join("target")).unwrap();
    let function = functions.path().join(name);
    let example = repo_root().join("examples").join(name);
    for file in files {
        let to = function.join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(example.join(file), to).unwrap();
    }
    (functions, function)
}

/// The testbed guest (host/tests/guests/testbed): echo, fail, panic, loop, spin, alloc, log,
/// config, api, fetch.
pub fn testbed_wasm() -> PathBuf {
    build_guest(&repo_root().join("host/tests/guests/testbed"))
}
