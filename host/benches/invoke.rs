//! Side-by-side costs of calling a function, as ratios within one run:
//! `cargo bench -p wasmfn --bench invoke` (numbers recorded in docs/benchmarks.md).
//!
//! 1. raw `extism::Plugin::call` on hello-rust vs wasmfn's tower service (goal: <= 1.2x);
//! 2. HTTP `POST /api/functions/echo` vs a plain axum JSON echo handler in the same process
//!    (goal: >= 50% of its throughput);
//! 3. the service called concurrently on all cores vs one call at a time;
//! 4. with `--features prometheus`: calls with nothing recorded vs metrics vs metrics and the
//!    call history (`INVOKE_ONLY=observability` runs only this).

use wasmfn_test_support as support;

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{Json, Router, routing::post};
use extism::{Function, PTR, UserData};
use serde_json::{Value, json};
use tower::ServiceExt;
use wasmfn::{FunctionService, Invocation, registry::FunctionRegistry, runtime::RuntimeOptions};

const MEASURE: Duration = Duration::from_secs(3);

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    #[cfg(feature = "prometheus")]
    if std::env::var("INVOKE_ONLY").as_deref() == Ok("observability") {
        return observability_overhead(&runtime, cores);
    }
    #[cfg(feature = "prometheus")]
    if let Ok(calls) = std::env::var("INVOKE_CALLS") {
        return count_calls(&runtime, calls.parse().unwrap());
    }
    println!("wasmfn invoke bench: {cores} cores, {}s per measurement\n", MEASURE.as_secs());

    // 1. Per-call overhead of the service over a raw Extism call.
    let hello = support::example("hello-rust");
    let input = br#"{"name":"world"}"#;
    let raw = raw_extism_calls_per_sec(&hello.artifact, input);
    let registry = Arc::new(FunctionRegistry::new(RuntimeOptions::default()));
    registry.load(hello).unwrap();
    let service = FunctionService::new(registry);
    let wrapped = runtime.block_on(service_calls_per_sec(&service, "hello-rust", input, 1));
    println!("| hello-rust, one caller | calls/s | µs/call |");
    println!("| --- | ---: | ---: |");
    println!("| raw `extism::Plugin::call` | {raw:.0} | {:.1} |", 1e6 / raw);
    println!("| wasmfn `FunctionService` | {wrapped:.0} | {:.1} |", 1e6 / wrapped);
    println!("\nservice / raw time per call: {:.2}x (goal <= 1.2x)\n", raw / wrapped);

    // 1b. The same comparison for a call doing ~1 ms of work: the overhead is a fixed cost.
    let testbed = support::testbed_wasm();
    let spin = br#"{"op":"spin","iterations":1000000}"#;
    let raw_spin = raw_extism_calls_per_sec(&testbed, spin);
    let dir = support::FunctionsDir::new();
    dir.add_testbed("testbed", "");
    let spinning = dir.builder().build().unwrap();
    let wrapped_spin =
        runtime.block_on(service_calls_per_sec(&spinning.service(), "testbed", spin, 1));
    println!("| ~1 ms of guest work, one caller | calls/s | µs/call |");
    println!("| --- | ---: | ---: |");
    println!("| raw `extism::Plugin::call` | {raw_spin:.0} | {:.1} |", 1e6 / raw_spin);
    println!("| wasmfn `FunctionService` | {wrapped_spin:.0} | {:.1} |", 1e6 / wrapped_spin);
    println!("\nservice / raw time per call: {:.2}x\n", raw_spin / wrapped_spin);

    // 2. HTTP throughput against a plain axum handler, same process, same client.
    let dir = support::FunctionsDir::new();
    dir.add_testbed("echo", "export: echo\n");
    let functions = dir.builder().build().unwrap();
    let body = serde_json::to_vec(&json!({ "id": 42, "name": "Ada", "tags": ["a", "b"] })).unwrap();
    let clients = 4 * cores;
    let (plain, wasm) = runtime.block_on(async {
        let plain_app =
            Router::new().route("/echo", post(|Json(v): Json<Value>| async move { Json(v) }));
        let plain_addr = support::serve(plain_app).await;
        let wasm_addr = support::serve(functions.router()).await;
        let plain = http_requests_per_sec(plain_addr, "/echo", &body, clients).await;
        let wasm = http_requests_per_sec(wasm_addr, "/api/functions/echo", &body, clients).await;
        (plain, wasm)
    });
    println!("| HTTP echo, {clients} keep-alive clients | requests/s |");
    println!("| --- | ---: |");
    println!("| plain axum JSON handler | {plain:.0} |");
    println!("| `POST /api/functions/echo` | {wasm:.0} |");
    println!("\nwasmfn / plain throughput: {:.0}% (goal >= 50%)\n", 100.0 * wasm / plain);

    // 3. Concurrency: all cores vs one at a time, through the service.
    let service = functions.service();
    let one = runtime.block_on(service_calls_per_sec(&service, "echo", &body, 1));
    let many = runtime.block_on(service_calls_per_sec(&service, "echo", &body, 4 * cores));
    println!("| echo through the service | calls/s |");
    println!("| --- | ---: |");
    println!("| 1 caller | {one:.0} |");
    println!("| {} callers (pool of {cores}) | {many:.0} |", 4 * cores);
    println!("\nconcurrent / sequential throughput: {:.2}x on {cores} cores", many / one);

    // 4. Metrics and the call history, off vs on.
    #[cfg(feature = "prometheus")]
    observability_overhead(&runtime, cores);
}

/// Section 4 (feature `prometheus`): hello-rust (one guest log line per call) through the
/// service with nothing recorded, with metrics (a Prometheus recorder), and with metrics and
/// the call history (its input, output and log line kept), in interleaved rounds so drift hits
/// all three alike; the ratios are the rounds' medians. `INVOKE_ONLY=observability` runs only
/// this section.
#[cfg(feature = "prometheus")]
fn observability_overhead(runtime: &tokio::runtime::Runtime, cores: usize) {
    use wasmfn::history::HistoryOptions;
    const ROUNDS: usize = 7;
    let round = Duration::from_millis(1500);
    let hello = support::example("hello-rust");
    let with_hello = |builder: wasmfn::FunctionsBuilder| {
        let functions = builder.with_schedules(false).build().unwrap();
        functions.registry().load(hello.clone()).unwrap();
        functions
    };
    // Loaded before any recorder exists: its metric handles record nowhere (a recorder
    // cannot be uninstalled, so this one is loaded first).
    let off = with_hello(wasmfn::Functions::builder()).service();
    let handle = wasmfn::metrics::install_prometheus().unwrap();
    let metrics =
        with_hello(wasmfn::Functions::builder().with_prometheus(handle.clone())).service();
    let both = with_hello(
        wasmfn::Functions::builder()
            .with_prometheus(handle.clone())
            .with_call_history(HistoryOptions::default()),
    );
    let history = both.registry().history().clone();
    let both = both.service();
    let input = br#"{"name":"world"}"#;
    println!(
        "\n| hello-rust through the service | nothing recorded, calls/s | metrics | metrics + history | metrics / off | both / off |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for callers in [1, 4 * cores] {
        let mut rates: [Vec<f64>; 3] = Default::default();
        for _ in 0..ROUNDS {
            for (i, service) in [&off, &metrics, &both].into_iter().enumerate() {
                let rate = runtime.block_on(service_calls_per_sec_for(
                    service,
                    "hello-rust",
                    input,
                    callers,
                    round,
                ));
                rates[i].push(rate);
            }
        }
        let ratio = |i: usize| {
            let mut ratios: Vec<f64> =
                rates[i].iter().zip(&rates[0]).map(|(on, off)| on / off).collect();
            median(&mut ratios)
        };
        let (metrics_ratio, both_ratio) = (ratio(1), ratio(2));
        let [off, metrics, both] = rates.map(|mut r| median(&mut r));
        println!(
            "| {callers} caller{} | {off:.0} | {metrics:.0} | {both:.0} | {metrics_ratio:.3} | {both_ratio:.3} |",
            if callers == 1 { "" } else { "s" },
        );
    }
    assert!(handle.render().contains("wasmfn_function_calls_total"));
    assert_eq!(
        history.calls(Some("hello-rust"), 1)[0].logs.len(),
        1,
        "the history kept the log line"
    );
    println!(
        "\n(throughput ratios, medians of {ROUNDS} interleaved rounds of {round:?}: 1.000 = no cost)"
    );
}

/// `INVOKE_CALLS=n INVOKE_RECORD=off|metrics|history`: loads hello-rust as section 4 does and
/// calls it `n` times, one at a time, then exits: for counting instructions under callgrind
/// (`scripts/count-call-instructions` runs it at two `n` and takes the difference, so the
/// setup cancels out).
#[cfg(feature = "prometheus")]
fn count_calls(runtime: &tokio::runtime::Runtime, calls: usize) {
    // No looking for work before parking: under valgrind it would be counted, by how long
    // the threads happen to wait.
    let runtime_options = RuntimeOptions::default().with_spinning(false);
    let mut builder =
        wasmfn::Functions::builder().with_schedules(false).with_runtime(runtime_options);
    let record = std::env::var("INVOKE_RECORD").unwrap_or_default();
    if record != "off" {
        builder = builder.with_prometheus(wasmfn::metrics::install_prometheus().unwrap());
    }
    if record == "history" {
        builder = builder.with_call_history(wasmfn::history::HistoryOptions::default());
    }
    let functions = builder.build().unwrap();
    functions.registry().load(support::example("hello-rust")).unwrap();
    let service = functions.service();
    runtime.block_on(async {
        for _ in 0..calls {
            let call = Invocation::new("hello-rust", &br#"{"name":"world"}"#[..]);
            service.clone().oneshot(call).await.unwrap();
        }
    });
}

#[cfg(feature = "prometheus")]
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn raw_extism_calls_per_sec(wasm: &std::path::Path, input: &[u8]) -> f64 {
    // The guests import wasmfn's host functions (hello-rust logs; the testbed can also fetch
    // and call the app's API): give the raw plugin no-op ones.
    let log = Function::new("wasmfn_log", [PTR], [], UserData::new(()), |_, _, _, _| Ok(()));
    let unused = |name: &str| {
        Function::new(name, [PTR], [PTR], UserData::new(()), |_, _, _, _| {
            Err(extism::Error::msg("not offered by this bench"))
        })
    };
    let functions =
        [log, unused("wasmfn_fetch"), unused("wasmfn_api_request"), unused("wasmfn_random")];
    let manifest = extism::Manifest::new([extism::Wasm::data(std::fs::read(wasm).unwrap())]);
    let mut plugin = extism::Plugin::new(manifest, functions, true).unwrap();
    let mut calls = 0u64;
    let started = Instant::now();
    while started.elapsed() < MEASURE {
        for _ in 0..100 {
            plugin.call::<&[u8], Vec<u8>>("handle", input).unwrap();
        }
        calls += 100;
    }
    calls as f64 / started.elapsed().as_secs_f64()
}

async fn service_calls_per_sec(
    service: &FunctionService,
    name: &str,
    input: &[u8],
    callers: usize,
) -> f64 {
    service_calls_per_sec_for(service, name, input, callers, MEASURE).await
}

async fn service_calls_per_sec_for(
    service: &FunctionService,
    name: &str,
    input: &[u8],
    callers: usize,
    measure: Duration,
) -> f64 {
    let (service, name, input) =
        (service.clone(), name.to_owned(), bytes::Bytes::copy_from_slice(input));
    per_second_for(callers, measure, move || {
        let call = service.clone().oneshot(Invocation::new(name.clone(), input.clone()));
        async move {
            call.await.unwrap();
        }
    })
    .await
}

async fn http_requests_per_sec(addr: SocketAddr, path: &str, body: &[u8], clients: usize) -> f64 {
    let (client, url, body) =
        (reqwest::Client::new(), format!("http://{addr}{path}"), body.to_vec());
    per_second(clients, move || {
        let request =
            client.post(&url).header("content-type", "application/json").body(body.clone());
        async move {
            let response = request.send().await.unwrap();
            assert!(response.status().is_success());
            response.bytes().await.unwrap();
        }
    })
    .await
}

/// Runs `workers` concurrent loops of `one` for [`MEASURE`]; returns completions per second.
async fn per_second<F, Fut>(workers: usize, one: F) -> f64
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    per_second_for(workers, MEASURE, one).await
}

/// [`per_second`] for `measure`.
async fn per_second_for<F, Fut>(workers: usize, measure: Duration, one: F) -> f64
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let tasks: Vec<_> = (0..workers)
        .map(|_| {
            let (one, done, stop) = (one.clone(), done.clone(), stop.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    one().await;
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    tokio::time::sleep(measure).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}
