//! Shared by the host's integration tests and benches: building real guests, laying out
//! function folders, serving over real TCP.
#![allow(dead_code, unreachable_pub)]

use std::{
    collections::HashMap,
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::Mutex,
    time::{Duration, Instant},
};

use wasmfn::{FunctionSpec, Functions, FunctionsBuilder, toolchain::RustGuestBuild};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
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
                .run()
                .unwrap_or_else(|e| panic!("building {}: {e}", dir.display()))
        })
        .clone()
}

/// The function in `examples/<name>`, with its Rust guest built.
pub fn example(name: &str) -> FunctionSpec {
    let dir = repo_root().join("examples").join(name);
    let wasm = build_guest(&dir);
    let spec = FunctionSpec::from_dir(&dir).unwrap();
    assert_eq!(spec.artifact, wasm, "the manifest's output is what cargo built");
    spec
}

/// The testbed guest (tests/guests/testbed): echo, fail, panic, loop, spin, alloc, log, config.
pub fn testbed_wasm() -> PathBuf {
    build_guest(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/guests/testbed"))
}

/// A temporary functions directory.
pub struct FunctionsDir {
    pub dir: tempfile::TempDir,
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

/// Serves `router` on a loopback port until the test ends.
pub async fn serve(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

/// The testbed's `spin` iteration count that takes about `target` on this machine, measured
/// with a real call.
pub async fn spin_iterations_for(functions: &Functions, name: &str, target: Duration) -> u64 {
    let function = functions.registry().get(name).unwrap().current().unwrap().clone();
    let probe = 20_000_000u64;
    let input = format!(r#"{{"op":"spin","iterations":{probe}}}"#);
    let started = Instant::now();
    function.call(input.into()).await.unwrap();
    let per_iteration = started.elapsed().as_secs_f64() / probe as f64;
    (target.as_secs_f64() / per_iteration) as u64
}
