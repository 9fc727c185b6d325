//! Shared by the host's integration tests: building real guests and finding fixtures.
#![allow(dead_code, unreachable_pub)]

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::Mutex,
};

use wasmfn::{FunctionSpec, toolchain::RustGuestBuild};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The function in `examples/<name>`, with its Rust guest built (once per test binary; cargo
/// keeps later builds incremental).
pub fn example(name: &str) -> FunctionSpec {
    static BUILT: Mutex<Option<HashMap<String, PathBuf>>> = Mutex::new(None);
    let dir = repo_root().join("examples").join(name);
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    let built = built.get_or_insert_with(HashMap::new);
    if !built.contains_key(name) {
        let wasm = RustGuestBuild::new(&dir)
            .with_quiet(true)
            .run()
            .unwrap_or_else(|e| panic!("building examples/{name}: {e}"));
        built.insert(name.to_owned(), wasm);
    }
    let spec = FunctionSpec::from_dir(&dir).unwrap();
    assert_eq!(
        spec.artifact, built[name],
        "the manifest's output is what cargo built"
    );
    spec
}
