//! What a trigger adds to a call, side by side in one run:
//! `cargo bench -p wasmfn --bench triggers` (numbers recorded in docs/benchmarks.md).
//!
//! 1. a database event to the hook having run: `emit_and_wait` and background `emit` (until
//!    the delivery is seen) vs calling the same function directly through the service;
//! 2. a signed webhook vs a plain `POST /api/functions/{name}` with the same body, over HTTP.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::json;
use tower::ServiceExt;
use wasmfn::{
    Invocation,
    triggers::{DbEvent, SecretSource, webhook::signature_header},
};

const ROUNDS: u32 = 2000;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        database_latency().await;
        webhook_latency().await;
    });
}

fn micros(total: Duration) -> f64 {
    total.as_secs_f64() * 1e6 / f64::from(ROUNDS)
}

async fn database_latency() {
    let dir = support::FunctionsDir::new();
    let hook = "hooks:\n  - type: database\n    source: users\n    action: insert\n";
    dir.add_testbed("audit", &format!("export: echo\n{hook}"));
    let functions = dir.functions();
    let row = json!({ "id": 1, "email": "ada@example.com" });
    let input = json!({ "type": "database", "table": "users", "action": "insert", "old": null, "new": row });

    let started = Instant::now();
    for _ in 0..ROUNDS {
        functions.service().oneshot(Invocation::json("audit", &input)).await.unwrap();
    }
    let direct = micros(started.elapsed());

    let started = Instant::now();
    for _ in 0..ROUNDS {
        let deliveries =
            functions.database().emit_and_wait(DbEvent::insert("users", row.clone())).await;
        deliveries[0].result.as_ref().unwrap();
    }
    let awaited = micros(started.elapsed());

    let mut deliveries = functions.database().subscribe();
    let started = Instant::now();
    for _ in 0..ROUNDS {
        functions.database().emit(DbEvent::insert("users", row.clone()));
        deliveries.recv().await.unwrap().result.unwrap();
    }
    let background = micros(started.elapsed());

    println!("| database event → hook has run ({ROUNDS} events, one hook) | µs | vs direct |");
    println!("| --- | ---: | ---: |");
    println!("| direct `FunctionService` call, same input | {direct:.1} | 1.00x |");
    println!("| `emit_and_wait` | {awaited:.1} | {:.2}x |", awaited / direct);
    println!(
        "| `emit`, until the delivery is seen | {background:.1} | {:.2}x |\n",
        background / direct
    );
}

async fn webhook_latency() {
    let dir = support::FunctionsDir::new();
    let hook = "hooks:\n  - type: webhook\n    path: github\n    secret_env: SECRET\n";
    dir.add_testbed("on-push", &format!("export: echo\n{hook}"));
    let secrets = SecretSource::from_fn(|_| Some("s3cret".to_owned()));
    let functions = dir.builder().with_secrets(secrets).build().unwrap();
    let addr = support::serve(functions.router()).await;
    let client = reqwest::Client::new();
    let body = r#"{"ref":"main","commits":3}"#;

    let started = Instant::now();
    for _ in 0..ROUNDS {
        send_ok(client.post(format!("http://{addr}/api/functions/on-push")).body(body)).await;
    }
    let plain = micros(started.elapsed());

    let started = Instant::now();
    for n in 0..ROUNDS {
        // A distinct body each time: an identical signature would be a replay.
        let body = format!(r#"{{"ref":"main","commits":{n}}}"#);
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        let signature = signature_header(b"s3cret", now, body.as_bytes());
        let request = client.post(format!("http://{addr}/api/webhooks/github"));
        send_ok(request.header("X-Wasmfn-Signature", signature).body(body)).await;
    }
    let signed = micros(started.elapsed());

    println!("| HTTP, one client, {ROUNDS} requests | µs/request | vs plain |");
    println!("| --- | ---: | ---: |");
    println!("| `POST /api/functions/on-push` | {plain:.1} | 1.00x |");
    println!(
        "| `POST /api/webhooks/github`, signed (HMAC + replay check + input wrapping) | {signed:.1} | {:.2}x |",
        signed / plain
    );
}

/// Sends `request` and reads its whole answer, which must be a 200.
async fn send_ok(request: reqwest::RequestBuilder) {
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.bytes().await.unwrap();
}
