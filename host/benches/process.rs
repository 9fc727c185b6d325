//! What a call costs as a process function next to wasm, as ratios within one run:
//! `cargo bench -p wasmfn --bench process` (numbers recorded in docs/benchmarks.md).
//!
//! The same small JSON echo, one caller, through `LoadedFunction::call`: a Rust guest and a JS
//! guest (warm instances), then process functions, each call a new process: a Rust binary
//! (the floor: spawn, pipes, exit), a node script, and a TypeScript function bundled by
//! esbuild (hello-node-ts's build) run by node.

use wasmfn_test_support as support;

use std::{path::Path, time::Instant};

use bytes::Bytes;
use wasmfn::{
    FunctionSpec,
    runtime::{LoadedFunction, RuntimeOptions},
};

const WASM_ROUNDS: u32 = 5000;
const NATIVE_ROUNDS: u32 = 500;
const NODE_ROUNDS: u32 = 100;

const NODE_ECHO: &str = r#"process.stdout.write(require("node:fs").readFileSync(0));"#;

const RUST_ECHO: &str = r#"
use std::io::{Read, Write};
fn main() {
    let mut input = Vec::new();
    std::io::stdin().read_to_end(&mut input).unwrap();
    std::io::stdout().write_all(&input).unwrap();
}
"#;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let dir = support::FunctionsDir::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    dir.add_testbed("rust-echo", "export: echo\n");
    dir.add_js("js-echo", &root.join("tests/js/faults"), "", true);
    let process = |name: &str, entry: &str| {
        let manifest = format!("name: {name}\nruntime: process\nprocess:\n  entry: {entry}\n");
        dir.add_manifest_only(name, &manifest)
    };
    let native = process("native-echo", "echo");
    std::fs::write(native.join("main.rs"), RUST_ECHO).unwrap();
    let compiled = std::process::Command::new("rustc")
        .args(["-O", "-o", "echo", "main.rs"])
        .current_dir(&native)
        .status()
        .unwrap();
    assert!(compiled.success());
    std::fs::write(process("node-echo", "main.js").join("main.js"), NODE_ECHO).unwrap();
    let bundled = process("node-ts-bundle", "index.js");
    let esbuild = std::process::Command::new("npx")
        .args(["--no-install", "esbuild", "src/index.ts", "--bundle", "--platform=node"])
        .arg(format!("--outfile={}", bundled.join("index.js").display()))
        .current_dir(root.join("../examples/hello-node-ts"))
        .status()
        .unwrap();
    assert!(esbuild.success());
    let spec = |name: &str| FunctionSpec::from_dir(dir.path().join(name)).unwrap();

    runtime.block_on(async {
        let echo = Bytes::from_static(br#"{"op":"echo","value":{"name":"Ada","n":[1,2,3]}}"#);
        let hello = Bytes::from_static(br#"{"name":"Ada"}"#);
        let rust = per_call(&spec("rust-echo"), &echo, WASM_ROUNDS).await;
        let js = per_call(&spec("js-echo"), &echo, WASM_ROUNDS).await;
        let native = per_call(&spec("native-echo"), &echo, NATIVE_ROUNDS).await;
        let node = per_call(&spec("node-echo"), &echo, NODE_ROUNDS).await;
        let bundle = per_call(&spec("node-ts-bundle"), &hello, NODE_ROUNDS).await;
        println!("| one call, one caller | µs/call | vs wasm Rust |");
        println!("| --- | ---: | ---: |");
        let row = |what: &str, us: f64| println!("| {what} | {us:.1} | {:.1}x |", us / rust);
        row(&format!("wasm, Rust guest ({WASM_ROUNDS} calls)"), rust);
        row(&format!("wasm, JS guest, pre-initialized ({WASM_ROUNDS} calls)"), js);
        row(&format!("process, Rust binary ({NATIVE_ROUNDS} calls)"), native);
        row(&format!("process, node script ({NODE_ROUNDS} calls)"), node);
        row(&format!("process, hello-node-ts bundle on node ({NODE_ROUNDS} calls)"), bundle);
    });
}

/// Microseconds per call, after a tenth of `rounds` to warm up.
async fn per_call(spec: &FunctionSpec, input: &Bytes, rounds: u32) -> f64 {
    let function = LoadedFunction::load(spec.clone(), &RuntimeOptions::default()).unwrap();
    for _ in 0..rounds / 10 {
        function.call(input.clone()).await.unwrap();
    }
    let started = Instant::now();
    for _ in 0..rounds {
        function.call(input.clone()).await.unwrap();
    }
    started.elapsed().as_secs_f64() * 1e6 / f64::from(rounds)
}
