//! A soak run, not a benchmark: mixed traffic against a real server for a bounded time, and
//! what it did to the host (`scripts/soak [minutes]`, or
//! `cargo bench -p wasmfn --bench soak -- <minutes>`; not part of CI).
//!
//! For the whole run, over a real `wasmfn::server::serve` on loopback:
//! - 4 clients call an echo function and check each answer is their own input;
//! - 1 client sends faults: panics (500 `trap`), guest errors (404), allocations past the
//!   memory limit (500 `memory_limit`), infinite loops (504 `timeout`), malformed and
//!   too-deep JSON (400);
//! - 1 client sends signed webhooks (200) and forged ones (401);
//! - dev mode's watcher hot-reloads the echo function every 500 ms.
//!
//! Every answer is compared with what its request should get; anything else is a failure. Each
//! interval prints requests, failures and the host's resident memory.

use wasmfn_test_support as support;

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use serde_json::json;
use wasmfn::{
    Mode,
    server::{ServerOptions, serve},
    triggers::{SecretSource, signature_header},
};

#[derive(Default)]
struct Counts {
    requests: AtomicU64,
    failures: AtomicU64,
    reloads: AtomicU64,
}

impl Counts {
    fn record(&self, ok: bool, what: impl FnOnce() -> String) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        if !ok {
            let n = self.failures.fetch_add(1, Ordering::Relaxed);
            if n < 10 {
                eprintln!("unexpected: {}", what());
            }
        }
    }
}

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

fn main() {
    let minutes: f64 = std::env::args().skip(1).find_map(|arg| arg.parse().ok()).unwrap_or(2.0);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(soak(Duration::from_secs_f64(minutes * 60.0)));
}

async fn soak(length: Duration) {
    let dir = support::FunctionsDir::new();
    let echo = dir.add_testbed("echo", "export: echo\n");
    dir.add_testbed("faults", "timeout: 500ms\nmemory: 16mib\n");
    let hook = "hooks:\n  - type: webhook\n    path: soak\n    secret_env: SOAK_SECRET\n";
    dir.add_testbed("hook", &format!("export: echo\n{hook}"));
    let functions = dir
        .builder()
        .with_mode(Mode::Dev)
        .with_secrets(SecretSource::from_fn(|_| Some("soak-secret".to_owned())))
        .build()
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = functions.app();
    tokio::spawn(async move {
        serve(listener, app, &ServerOptions::default(), std::future::pending()).await.unwrap()
    });

    let counts = Arc::new(Counts::default());
    let running = Arc::new(AtomicBool::new(true));
    let mut clients = Vec::new();
    for client in 0..4 {
        let (counts, running) = (counts.clone(), running.clone());
        clients.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let url = format!("http://{addr}/api/functions/echo");
            let mut n = 0u64;
            while running.load(Ordering::Relaxed) {
                n += 1;
                let body = format!(r#"{{"client":{client},"n":{n}}}"#);
                let answer = http.post(&url).body(body.clone()).send().await;
                let text = match answer {
                    Ok(r) if r.status() == 200 => r.text().await.ok(),
                    _ => None,
                };
                counts.record(text.as_deref() == Some(&body), || format!("echo {body}: {text:?}"));
            }
        }));
    }
    let faults = [
        (json!({"op": "panic", "message": "boom"}).to_string(), 500, "trap"),
        (json!({"op": "fail", "code": "not_found", "message": "x"}).to_string(), 404, "not_found"),
        (json!({"op": "alloc", "mib": 64}).to_string(), 500, "memory_limit"),
        (json!({"op": "loop"}).to_string(), 504, "timeout"),
        ("{not json".to_owned(), 400, "invalid_input"),
        ("[".repeat(1000) + &"]".repeat(1000), 400, "invalid_input"),
    ];
    {
        let (counts, running) = (counts.clone(), running.clone());
        clients.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let url = format!("http://{addr}/api/functions/faults");
            for (body, status, code) in faults.iter().cycle() {
                if !running.load(Ordering::Relaxed) {
                    break;
                }
                let answer = http.post(&url).body(body.clone()).send().await;
                let got = match answer {
                    Ok(r) => {
                        let s = r.status().as_u16();
                        let v: serde_json::Value = r.json().await.unwrap_or_default();
                        Some((s, v["error"]["code"].as_str().unwrap_or_default().to_owned()))
                    }
                    Err(_) => None,
                };
                let ok = got.as_ref().is_some_and(|(s, c)| s == status && c == code);
                counts.record(ok, || format!("fault {code}: {got:?}"));
            }
        }));
    }
    {
        let (counts, running) = (counts.clone(), running.clone());
        clients.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let url = format!("http://{addr}/api/webhooks/soak");
            let mut n = 0u64;
            while running.load(Ordering::Relaxed) {
                n += 1;
                let body = format!(r#"{{"delivery":{n}}}"#);
                let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
                let forged = n.is_multiple_of(4);
                let secret: &[u8] = if forged { b"guess" } else { b"soak-secret" };
                let signature = signature_header(secret, now, body.as_bytes());
                let answer = http
                    .post(&url)
                    .header("x-wasmfn-signature", signature)
                    .body(body.clone())
                    .send()
                    .await;
                let status = answer.map(|r| r.status().as_u16()).ok();
                let expected = if forged { 401 } else { 200 };
                counts.record(status == Some(expected), || format!("webhook {n}: {status:?}"));
            }
        }));
    }
    {
        let (counts, running) = (counts.clone(), running.clone());
        let testbed = support::testbed_wasm();
        clients.push(tokio::spawn(async move {
            while running.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(500)).await;
                support::replace_file(&testbed, &echo.join("plugin.wasm"));
                counts.reloads.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }

    println!("soak: {:.1} minutes of mixed traffic on {addr}\n", length.as_secs_f64() / 60.0);
    println!("| elapsed | requests | failures | reloads | RSS MiB |");
    println!("| ---: | ---: | ---: | ---: | ---: |");
    let started = Instant::now();
    let interval = (length / 10).max(Duration::from_secs(1));
    while started.elapsed() < length {
        tokio::time::sleep(interval.min(length.saturating_sub(started.elapsed()))).await;
        println!(
            "| {:.0} s | {} | {} | {} | {:.1} |",
            started.elapsed().as_secs_f64(),
            counts.requests.load(Ordering::Relaxed),
            counts.failures.load(Ordering::Relaxed),
            counts.reloads.load(Ordering::Relaxed),
            rss_mib()
        );
    }
    running.store(false, Ordering::Relaxed);
    for client in clients {
        let _ = client.await;
    }
    let version = functions.registry().get("echo").unwrap().version();
    println!(
        "\n{} requests, {} unexpected answers; echo at version {version}",
        counts.requests.load(Ordering::Relaxed),
        counts.failures.load(Ordering::Relaxed)
    );
}
