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

/// The function in `examples/<name>`, with its Rust guest built into the manifest's output.
pub fn example(name: &str) -> FunctionSpec {
    static BUILT: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let dir = repo_root().join("examples").join(name);
    let spec = FunctionSpec::from_dir(&dir).unwrap();
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if !built.contains(&name.to_owned()) {
        RustGuestBuild::new(&dir)
            .with_quiet(true)
            .with_target_dir(guest_target_dir())
            .with_output(&spec.artifact)
            .run()
            .unwrap_or_else(|e| panic!("building {}: {e}", dir.display()));
        built.push(name.to_owned());
    }
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

    /// A JS function built from the project in `source` (esbuild + the engine, pre-initialized
    /// or not), its manifest being `name: <name>` plus `extra` lines.
    pub fn add_js(&self, name: &str, source: &Path, extra: &str, preinitialize: bool) {
        let folder = self.path().join(name);
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("manifest.yaml"), format!("name: {name}\n{extra}")).unwrap();
        wasmfn::toolchain::JsBuild::new(source)
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

/// A real HTTP client for a router served on a loopback port.
pub struct Api {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
}

impl Api {
    /// Serves `router` until the test ends.
    pub async fn serve(router: axum::Router) -> Self {
        Self { addr: serve(router).await, client: reqwest::Client::new() }
    }

    /// `POST /api/functions/{name}` with a JSON body: the status and the JSON answer (`Null`
    /// when it is not JSON).
    pub async fn post(
        &self,
        name: &str,
        body: impl Into<reqwest::Body>,
    ) -> (u16, serde_json::Value) {
        let response = self
            .client
            .post(format!("http://{}/api/functions/{name}", self.addr))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(serde_json::Value::Null))
    }

    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        let response = self.client.get(format!("http://{}{path}", self.addr)).send().await.unwrap();
        (response.status().as_u16(), response.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// A call that must fail: its status, error code and message.
    pub async fn fail(&self, name: &str, body: impl Into<reqwest::Body>) -> (u16, String, String) {
        let (status, body) = self.post(name, body).await;
        let code = body["error"]["code"].as_str().unwrap_or_else(|| panic!("not an error: {body}"));
        (status, code.to_owned(), body["error"]["message"].as_str().unwrap().to_owned())
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

/// Replaces `to` with a copy of `from` the way build tools do: write a hidden temporary file
/// beside it, then rename it over the old one.
pub fn replace_file(from: &Path, to: &Path) {
    let name = to.file_name().unwrap().to_string_lossy();
    let temporary = to.with_file_name(format!(".{name}.tmp"));
    std::fs::copy(from, &temporary).unwrap();
    std::fs::rename(&temporary, to).unwrap();
}

/// What an [`HttpLoad`] saw.
#[derive(Debug, Default)]
pub struct LoadReport {
    pub succeeded: u64,
    pub failed: u64,
    /// The first few failures: status and body.
    pub failures: Vec<String>,
}

/// Clients posting to a function over HTTP in a loop, each waiting for its answer, until
/// stopped.
pub struct HttpLoad {
    stop: tokio::sync::watch::Sender<bool>,
    clients: Vec<tokio::task::JoinHandle<LoadReport>>,
}

impl HttpLoad {
    pub fn start(addr: SocketAddr, function: &str, clients: usize) -> Self {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let url = format!("http://{addr}/api/functions/{function}");
        let clients = (0..clients)
            .map(|client| {
                let url = url.clone();
                let stopped = stopped.clone();
                tokio::spawn(async move {
                    let http = reqwest::Client::new();
                    let mut report = LoadReport::default();
                    let mut n = 0u64;
                    while !*stopped.borrow() {
                        n += 1;
                        let body = format!(r#"{{"client":{client},"n":{n}}}"#);
                        let response = http.post(&url).body(body.clone()).send().await;
                        let outcome = match response {
                            Ok(r) if r.status() == 200 => match r.text().await {
                                Ok(text) if text == body => Ok(()),
                                Ok(text) => Err(format!("200 with {text:?}, sent {body:?}")),
                                Err(e) => Err(e.to_string()),
                            },
                            Ok(r) => Err(format!(
                                "{} {}",
                                r.status(),
                                r.text().await.unwrap_or_default()
                            )),
                            Err(e) => Err(e.to_string()),
                        };
                        match outcome {
                            Ok(()) => report.succeeded += 1,
                            Err(failure) => {
                                report.failed += 1;
                                if report.failures.len() < 5 {
                                    report.failures.push(failure);
                                }
                            }
                        }
                    }
                    report
                })
            })
            .collect();
        Self { stop, clients }
    }

    pub async fn stop(self) -> LoadReport {
        self.stop.send(true).unwrap();
        let mut total = LoadReport::default();
        for client in self.clients {
            let report = client.await.unwrap();
            total.succeeded += report.succeeded;
            total.failed += report.failed;
            total.failures.extend(report.failures);
        }
        total
    }
}
