//! HTTP functions next to a plain axum handler, as ratios within one run:
//! `cargo bench -p wasmfn --bench http` (needs `wrk`; numbers in docs/benchmarks.md).
//!
//! 1. req/s of `GET /page` answered by a Rust route (`#[wasmfn_pdk::http]`), by a TS route
//!    (`export default { fetch }`), and by a plain axum handler returning the same page
//!    (status, cookie, header, HTML), each driven by wrk (1 thread, 16 connections, 4 s),
//!    alternating, three rounds (goal: the Rust route >= 50 % of plain axum);
//! 2. an outbound request's round trip to a loopback server: JS `fetch` vs the Rust PDK's
//!    `http::send` (both through `wasmfn_fetch`), sequential calls over HTTP.

use std::time::Instant;

use axum::{Router, http::StatusCode, response::Html, routing::get};
use wasmfn_test_support::{
    self as support,
    http::{Upstream, serve},
    wrk::{self, Wrk},
};

const ROUNDS: usize = 3;
const FETCHES: u32 = 300;
const PAGE: &str = "<!doctype html><h1>Hello from Rust</h1>";

fn main() {
    if !wrk::available() {
        eprintln!("wrk is not installed (scripts/setup installs it)");
        std::process::exit(1);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let dir = support::FunctionsDir::new();
    dir.add_testbed("site", "routes: [\"GET /page\"]\n");
    dir.add_testbed("fetcher", "export: fetch\nallowed_hosts: [127.0.0.1]\n");
    let js_routes = "routes: [\"GET /js/page\", \"GET /js/fetch\"]\nallowed_hosts: [127.0.0.1]\n";
    let source = support::repo_root().join("host/tests/js/http-site");
    dir.add_js("js-site", &source, js_routes, true);

    runtime.block_on(async {
        let functions = dir.functions();
        let wasmfn = serve(functions.app()).await;
        let plain = serve(Router::new().route(
            "/page",
            get(|| async {
                (
                    StatusCode::CREATED,
                    [("set-cookie", "session=abc; HttpOnly"), ("x-wasmfn-test", "yes")],
                    Html(PAGE),
                )
            }),
        ))
        .await;
        let targets = [
            ("plain axum handler", format!("http://{plain}/page")),
            ("Rust route (`#[wasmfn_pdk::http]`)", format!("http://{wasmfn}/page")),
            ("TS route (`export default { fetch }`)", format!("http://{wasmfn}/js/page")),
        ];
        let mut results: Vec<Vec<Wrk>> = vec![Vec::new(); targets.len()];
        for _ in 0..ROUNDS {
            for (i, (_, url)) in targets.iter().enumerate() {
                let url = url.clone();
                let run = move || wrk::run(&url, &["-t1", "-c16", "-d4s"], None);
                results[i].push(tokio::task::spawn_blocking(run).await.unwrap());
            }
        }
        let title = format!("`GET /page`, wrk -t1 -c16 -d4s, {ROUNDS} rounds alternating");
        let rows: Vec<(&str, &[Wrk])> =
            targets.iter().zip(&results).map(|((name, _), runs)| (*name, runs.as_slice())).collect();
        wrk::print_rounds(&title, &rows);

        let upstream = Upstream::start().await;
        let client = reqwest::Client::new();
        let data = upstream.url("/data");
        let rust = {
            let (client, base, data) = (client.clone(), format!("http://{wasmfn}"), data.clone());
            move || {
                let (client, base, data) = (client.clone(), base.clone(), data.clone());
                async move {
                    let body = serde_json::json!({ "url": data }).to_string();
                    let response = client
                        .post(format!("{base}/api/functions/fetcher"))
                        .body(body)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(response.status(), 200);
                    response.bytes().await.unwrap();
                }
            }
        };
        let js = {
            let url = format!("http://{wasmfn}/js/fetch?url=http%3A%2F%2F{}%2Fdata", upstream.addr);
            move || {
                let (client, url) = (client.clone(), url.clone());
                async move {
                    let response = client.get(url).send().await.unwrap();
                    assert_eq!(response.status(), 200);
                    response.bytes().await.unwrap();
                }
            }
        };
        let (mut rust_us, mut js_us) = (Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            rust_us.push(per_call(FETCHES, &rust).await);
            js_us.push(per_call(FETCHES, &js).await);
        }
        rust_us.sort_by(f64::total_cmp);
        js_us.sort_by(f64::total_cmp);
        let (rust_us, js_us) = (rust_us[ROUNDS / 2], js_us[ROUNDS / 2]);
        println!("\n| outbound GET to a loopback server, {FETCHES} sequential calls over HTTP, median of {ROUNDS} | µs/call | vs Rust |");
        println!("| --- | ---: | ---: |");
        println!("| Rust guest, `wasmfn_pdk::http::send` (JSON call) | {rust_us:.0} | 1.00x |");
        println!("| TS route, `fetch()` | {js_us:.0} | {:.2}x |", js_us / rust_us);
    });
}

async fn per_call<F, Fut>(calls: u32, call: &F) -> f64
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    call().await;
    let started = Instant::now();
    for _ in 0..calls {
        call().await;
    }
    started.elapsed().as_secs_f64() * 1e6 / f64::from(calls)
}
