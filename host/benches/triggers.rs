//! What a trigger adds to a call, side by side in one run:
//! `cargo bench -p wasmfn --bench triggers` (numbers recorded in docs/benchmarks.md).
//!
//! 1. a database event to the hook having run: `emit_and_wait` and background `emit` (until
//!    the delivery is seen) vs calling the same function directly through the service;
//! 2. a signed webhook vs a plain `POST /api/functions/{name}` with the same body, over HTTP;
//! 3. a function calling the app's API (token minted, scope checked, the app's middleware
//!    verifying it) in-process and over HTTP vs the same call making no request.

use wasmfn_test_support as support;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::json;
use tower::ServiceExt;
use wasmfn::{
    Invocation,
    triggers::{DbEvent, SecretSource, signature_header},
};

const ROUNDS: u32 = 2000;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        database_latency().await;
        webhook_latency().await;
        host_api_latency().await;
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

async fn host_api_latency() {
    use axum::{extract::Request, http::StatusCode, middleware::Next, response::Response};

    let dir = support::FunctionsDir::new();
    dir.add_testbed("caller", "api:\n  scopes: [\"GET /api/ping\"]\n");
    dir.add_testbed("no-scopes", "");
    let functions = dir.functions();
    let tokens = functions.clone();
    // The app's auth, as a real app would have it: every request must carry a live token.
    let verify = move |request: Request, next: Next| {
        let tokens = tokens.clone();
        async move {
            match tokens.host_api().tokens().verify_headers(request.headers()) {
                Ok(_) => Ok::<Response, StatusCode>(next.run(request).await),
                Err(_) => Err(StatusCode::UNAUTHORIZED),
            }
        }
    };
    let app = axum::Router::new()
        .route("/api/ping", axum::routing::get(|| async { "pong" }))
        .layer(axum::middleware::from_fn(verify));
    let addr = support::serve(app.clone()).await;

    let none = json!({ "op": "api", "requests": [] });
    let ping = json!({ "op": "api", "requests": [{ "method": "GET", "path": "/api/ping" }] });
    let run = |function: &'static str, input: serde_json::Value| {
        let service = functions.service();
        async move {
            let call = || async {
                let output = service.clone().oneshot(Invocation::json(function, &input)).await;
                let output: serde_json::Value = serde_json::from_slice(&output.unwrap()).unwrap();
                if let Some(answer) = output.get(0) {
                    assert_eq!(answer["status"], 200, "{answer}");
                }
            };
            // Untimed: the first calls create the instance and warm the connection.
            for _ in 0..ROUNDS / 10 {
                call().await;
            }
            let started = Instant::now();
            for _ in 0..ROUNDS {
                call().await;
            }
            micros(started.elapsed())
        }
    };
    let baseline = run("no-scopes", none.clone()).await;
    let minted = run("caller", none).await;
    functions.host_api().connect(app);
    let in_process = run("caller", ping.clone()).await;
    functions.host_api().connect_url(&format!("http://{addr}"));
    let over_http = run("caller", ping).await;

    println!("\n| a function calling the app's API ({ROUNDS} calls) | µs/call | vs no request |");
    println!("| --- | ---: | ---: |");
    println!("| call without scopes, no request | {baseline:.1} | 1.00x |");
    println!(
        "| call with scopes (a token minted and revoked), no request | {minted:.1} | {:.2}x |",
        minted / baseline
    );
    println!(
        "| one `GET /api/ping`, in-process (`connect`) | {in_process:.1} | {:.2}x |",
        in_process / baseline
    );
    println!(
        "| one `GET /api/ping`, over HTTP (`connect_url`) | {over_http:.1} | {:.2}x |",
        over_http / baseline
    );
}

/// Sends `request` and reads its whole answer, which must be a 200.
async fn send_ok(request: reqwest::RequestBuilder) {
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.bytes().await.unwrap();
}
