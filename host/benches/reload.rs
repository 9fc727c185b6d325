//! What a hot reload costs, side by side in one run:
//! `cargo bench -p wasmfn --bench reload` (numbers recorded in docs/benchmarks.md).
//!
//! 1. artifact replaced on disk → the new version registered, vs loading the same artifact
//!    directly (the compile time); the difference is dev mode's own delay (goal: ≤ 300 ms);
//! 2. HTTP throughput while the function is reloaded continuously vs with no reloads, and
//!    the number of failed requests (goal: 0);
//! 3. resident memory before and after 1000 reloads.

use wasmfn_test_support as support;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use wasmfn::{
    FunctionSpec, Mode,
    dev::DevEvent,
    registry::FunctionRegistry,
    runtime::{LoadedFunction, RuntimeOptions},
};

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    println!("wasmfn reload bench: {cores} cores\n");
    runtime.block_on(async {
        reload_latency().await;
        load_during_reloads().await;
    });
    memory_across_reloads();
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

async fn reload_latency() {
    let dir = support::FunctionsDir::new();
    let folder = dir.add_testbed("hello", "export: echo\n");
    let spec = FunctionSpec::from_dir(&folder).unwrap();
    let compile: Vec<Duration> = (0..20)
        .map(|_| {
            let started = Instant::now();
            LoadedFunction::load(spec.clone(), &RuntimeOptions::default()).unwrap();
            started.elapsed()
        })
        .collect();
    let functions = dir.builder().with_mode(Mode::Dev).build().unwrap();
    let mut events = functions.dev().unwrap().subscribe();
    let testbed = support::testbed_wasm();
    let mut reload = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        support::replace_file(&testbed, &folder.join("plugin.wasm"));
        loop {
            if let DevEvent::Loaded { .. } = events.recv().await.unwrap() {
                break;
            }
        }
        reload.push(started.elapsed());
    }
    let (compile, reload) = (median(compile), median(reload));
    println!("| artifact change → new version serving (median of 20) | ms |");
    println!("| --- | ---: |");
    println!("| compile + load alone (`LoadedFunction::load`) | {:.1} |", ms(compile));
    println!("| file replaced → `Loaded` (dev mode, 200 ms debounce) | {:.1} |", ms(reload));
    println!(
        "\ndev mode's own delay beyond compiling: {:.1} ms (goal <= 300 ms)\n",
        ms(reload - compile)
    );
}

async fn load_during_reloads() {
    let dir = support::FunctionsDir::new();
    let folder = dir.add_testbed("hello", "export: echo\n");
    let functions = dir.builder().with_mode(Mode::Dev).build().unwrap();
    let mut events = functions.dev().unwrap().subscribe();
    let addr = support::serve(functions.router()).await;
    let period = Duration::from_secs(5);

    let load = support::HttpLoad::start(addr, "hello", 4);
    tokio::time::sleep(period).await;
    let quiet = load.stop().await;

    let load = support::HttpLoad::start(addr, "hello", 4);
    let started = Instant::now();
    let mut reloads = 0;
    while started.elapsed() < period {
        support::replace_file(&support::testbed_wasm(), &folder.join("plugin.wasm"));
        loop {
            if let DevEvent::Loaded { .. } = events.recv().await.unwrap() {
                break;
            }
        }
        reloads += 1;
    }
    let busy = load.stop().await;
    let per_sec = |n: u64| n as f64 / period.as_secs_f64();
    println!("| 4 HTTP clients, {}s each | requests | failed | requests/s |", period.as_secs());
    println!("| --- | ---: | ---: | ---: |");
    println!(
        "| no reloads | {} | {} | {:.0} |",
        quiet.succeeded,
        quiet.failed,
        per_sec(quiet.succeeded)
    );
    println!(
        "| {reloads} hot reloads | {} | {} | {:.0} |",
        busy.succeeded,
        busy.failed,
        per_sec(busy.succeeded)
    );
    println!(
        "\nthroughput while reloading / without: {:.0}%; failed requests: {}\n",
        100.0 * busy.succeeded as f64 / quiet.succeeded as f64,
        busy.failed
    );
}

fn memory_across_reloads() {
    let dir = support::FunctionsDir::new();
    let folder = dir.add_testbed("hello", "export: echo\n");
    let registry = Arc::new(FunctionRegistry::new(RuntimeOptions::default()));
    let reload = || registry.load_from_dir(&folder).unwrap();
    // Warm up allocator pools and Extism's compile cache first.
    for _ in 0..50 {
        reload();
    }
    let before = rss_kib();
    let started = Instant::now();
    for _ in 0..1000 {
        reload();
    }
    let took = started.elapsed();
    let after = rss_kib();
    println!("| 1000 reloads (registry swap, same artifact) | value |");
    println!("| --- | ---: |");
    println!("| RSS before | {} MiB |", before / 1024);
    println!("| RSS after | {} MiB |", after / 1024);
    println!("| time per reload | {:.1} ms |", ms(took) / 1000.0);
    println!("\nRSS growth: {:+.1}%", 100.0 * (after as f64 - before as f64) / before as f64);
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
