//! JavaScript functions next to Rust ones, as ratios within one run:
//! `cargo bench -p wasmfn --bench js` (numbers recorded in docs/benchmarks.md).
//!
//! 1. a warm call (instance ready) of a JS echo vs the Rust testbed's echo (goal: <= 10x);
//! 2. a cold call (a new instance: the engine starts and evaluates the bundle, then the call)
//!    for a small bundle and for hello-ts with zod, with and without pre-initialization, vs a
//!    cold Rust call;
//! 3. the size of the modules.

use wasmfn_test_support as support;

use std::{
    path::Path,
    time::{Duration, Instant},
};

use bytes::Bytes;
use wasmfn::{
    FunctionSpec,
    runtime::{LoadedFunction, RuntimeOptions},
};

const WARM_ROUNDS: u32 = 5000;
const COLD_ROUNDS: u32 = 30;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let dir = support::FunctionsDir::new();
    dir.add_testbed("rust-echo", "export: echo\n");
    let js = |name: &str, source: &Path, preinitialize: bool| {
        dir.add_js(name, source, "", preinitialize);
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    js("js-echo", &root.join("tests/js/faults"), false);
    js("hello-ts", &root.join("../examples/hello-ts"), false);
    js("js-echo-preinit", &root.join("tests/js/faults"), true);
    js("hello-ts-preinit", &root.join("../examples/hello-ts"), true);
    let spec = |name: &str| FunctionSpec::from_dir(dir.path().join(name)).unwrap();

    runtime.block_on(async {
        let echo = Bytes::from_static(br#"{"op":"echo","value":{"name":"Ada","n":[1,2,3]}}"#);
        let rust = warm(&spec("rust-echo"), echo.clone()).await;
        let js_warm = warm(&spec("js-echo"), echo.clone()).await;
        println!("| warm call, one caller ({WARM_ROUNDS} calls) | µs/call | vs Rust |");
        println!("| --- | ---: | ---: |");
        println!("| Rust guest (testbed `echo`) | {rust:.1} | 1.00x |");
        println!(
            "| JS guest (echo through the handler, JSON both ways) | {js_warm:.1} | {:.2}x |",
            js_warm / rust
        );

        let hello = Bytes::from_static(br#"{"name":"Ada"}"#);
        let rust_cold = cold(&spec("rust-echo"), echo.clone()).await;
        let echo_again = echo.clone();
        let js_cold = cold(&spec("js-echo"), echo).await;
        let zod_cold = cold(&spec("hello-ts"), hello.clone()).await;
        let js_pre = cold(&spec("js-echo-preinit"), echo_again.clone()).await;
        let zod_pre = cold(&spec("hello-ts-preinit"), hello).await;
        println!("\n| cold call: new instance + first call ({COLD_ROUNDS} each) | ms | vs Rust |");
        println!("| --- | ---: | ---: |");
        println!("| Rust guest | {rust_cold:.2} | 1.00x |");
        println!(
            "| JS, small bundle (engine start + eval + call) | {js_cold:.2} | {:.2}x |",
            js_cold / rust_cold
        );
        println!(
            "| hello-ts (132 KB bundle with zod) | {zod_cold:.2} | {:.2}x |",
            zod_cold / rust_cold
        );
        println!(
            "| JS, small bundle, pre-initialized | {js_pre:.2} | {:.2}x |",
            js_pre / rust_cold
        );
        println!("| hello-ts, pre-initialized | {zod_pre:.2} | {:.2}x |", zod_pre / rust_cold);
    });

    println!("\n| module | plugin.wasm bytes | load (compile + instantiate), ms |");
    println!("| --- | ---: | ---: |");
    for name in ["rust-echo", "js-echo", "hello-ts", "js-echo-preinit", "hello-ts-preinit"] {
        let size = std::fs::metadata(dir.path().join(name).join("plugin.wasm")).unwrap().len();
        let started = Instant::now();
        for _ in 0..COLD_ROUNDS {
            LoadedFunction::load(spec(name), &RuntimeOptions::default()).unwrap();
        }
        let load = started.elapsed().as_secs_f64() * 1e3 / f64::from(COLD_ROUNDS);
        println!("| {name} | {size} | {load:.1} |");
    }
}

/// Microseconds per call on one ready instance.
async fn warm(spec: &FunctionSpec, input: Bytes) -> f64 {
    let function = LoadedFunction::load(spec.clone(), &RuntimeOptions::default()).unwrap();
    for _ in 0..WARM_ROUNDS / 10 {
        function.call(input.clone()).await.unwrap();
    }
    let started = Instant::now();
    for _ in 0..WARM_ROUNDS {
        function.call(input.clone()).await.unwrap();
    }
    started.elapsed().as_secs_f64() * 1e6 / f64::from(WARM_ROUNDS)
}

/// Milliseconds for a new instance's first call: the function is loaded (compiled module,
/// from Extism's cache after the first time) and called once, then dropped.
async fn cold(spec: &FunctionSpec, input: Bytes) -> f64 {
    let once = || async {
        let function = LoadedFunction::load(spec.clone(), &RuntimeOptions::default()).unwrap();
        let started = Instant::now();
        function.call(input.clone()).await.unwrap();
        started.elapsed()
    };
    once().await;
    let mut total = Duration::ZERO;
    for _ in 0..COLD_ROUNDS {
        total += once().await;
    }
    total.as_secs_f64() * 1e3 / f64::from(COLD_ROUNDS)
}
