//! Webhooks and schedules with the real testbed guest: real HMAC signatures over a real HTTP
//! server, real cron firings on the tokio runtime.

use wasmfn_test_support as support;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use support::FunctionsDir;
use wasmfn::triggers::{SecretSource, signature_header};

const SECRET: &str = "s3cret";

fn secrets() -> SecretSource {
    SecretSource::from_fn(|name| (name == "GITHUB_SECRET").then(|| SECRET.to_owned()))
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

struct Webhooks {
    url: String,
    client: reqwest::Client,
}

impl Webhooks {
    async fn post(&self, path: &str, body: &str, signature: Option<String>) -> (u16, Value) {
        let mut request =
            self.client.post(format!("{}/api/webhooks/{path}", self.url)).body(body.to_owned());
        if let Some(signature) = signature {
            request = request.header("X-Wasmfn-Signature", signature);
        }
        let response = request.send().await.unwrap();
        (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
    }

    async fn signed(&self, path: &str, body: &str) -> (u16, Value) {
        self.post(path, body, Some(signature_header(SECRET.as_bytes(), now(), body.as_bytes())))
            .await
    }
}

async fn start_webhooks(body_limit: usize) -> (FunctionsDir, Webhooks) {
    let dir = FunctionsDir::new();
    let hook = "hooks:\n  - type: webhook\n    path: github\n    secret_env: GITHUB_SECRET\n";
    dir.add_testbed("on-push", &format!("export: echo\n{hook}"));
    let unset =
        "hooks:\n  - type: webhook\n    path: stripe/events\n    secret_env: STRIPE_SECRET\n";
    dir.add_testbed("on-payment", &format!("export: echo\n{unset}"));
    let functions =
        dir.builder().with_secrets(secrets()).with_body_limit(body_limit).build().unwrap();
    let addr = support::serve(functions.router()).await;
    (dir, Webhooks { url: format!("http://{addr}"), client: reqwest::Client::new() })
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_else(|| panic!("not an error: {body}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signed_webhook_reaches_its_function_with_method_headers_and_body() {
    let (_dir, hooks) = start_webhooks(1024 * 1024).await;
    let (status, input) = hooks.signed("github", r#"{"ref":"main"}"#).await;
    assert_eq!(status, 200, "{input}");
    assert_eq!(input["type"], "webhook");
    assert_eq!(input["path"], "github");
    assert_eq!(input["method"], "POST");
    assert_eq!(input["body"], r#"{"ref":"main"}"#);
    assert_eq!(input["json"], json!({ "ref": "main" }));
    assert!(input["headers"]["x-wasmfn-signature"].as_str().unwrap().starts_with("t="));

    // Not JSON is fine: the function gets the text.
    let (status, input) = hooks.signed("github", "a=1&b=2").await;
    assert_eq!((status, &input["body"], &input["json"]), (200, &json!("a=1&b=2"), &Value::Null));
}

#[tokio::test(flavor = "multi_thread")]
async fn unsigned_wrongly_signed_stale_and_replayed_webhooks_are_refused() {
    let (_dir, hooks) = start_webhooks(1024 * 1024).await;
    let body = r#"{"ref":"main"}"#;

    let (status, error) = hooks.post("github", body, None).await;
    assert_eq!((status, code(&error)), (401, "unauthorized"));
    assert!(error["error"]["message"].as_str().unwrap().contains("missing X-Wasmfn-Signature"));

    let wrong_key = signature_header(b"guess", now(), body.as_bytes());
    let (status, error) = hooks.post("github", body, Some(wrong_key)).await;
    assert_eq!((status, code(&error)), (401, "unauthorized"));

    let other_body = signature_header(SECRET.as_bytes(), now(), b"{}");
    assert_eq!(hooks.post("github", body, Some(other_body)).await.0, 401);

    let stale = signature_header(SECRET.as_bytes(), now() - 600, body.as_bytes());
    let (status, error) = hooks.post("github", body, Some(stale)).await;
    assert_eq!(status, 401);
    assert!(error["error"]["message"].as_str().unwrap().contains("window"), "{error}");

    let good = signature_header(SECRET.as_bytes(), now(), body.as_bytes());
    assert_eq!(hooks.post("github", body, Some(good.clone())).await.0, 200);
    let (status, error) = hooks.post("github", body, Some(good)).await;
    assert_eq!(status, 401);
    assert!(error["error"]["message"].as_str().unwrap().contains("replay"), "{error}");

    // Still serving: a new delivery goes through.
    assert_eq!(hooks.signed("github", r#"{"ref":"dev"}"#).await.0, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_paths_missing_secrets_and_large_bodies_get_their_status() {
    let (_dir, hooks) = start_webhooks(1024).await;
    let (status, error) = hooks.signed("gitlab", "{}").await;
    assert_eq!((status, code(&error)), (404, "webhook_not_found"));
    let (status, error) = hooks.signed("stripe/events", "{}").await;
    assert_eq!((status, code(&error)), (503, "webhook_secret_missing"));
    assert!(error["error"]["message"].as_str().unwrap().contains("STRIPE_SECRET"), "{error}");
    let big = format!("\"{}\"", "x".repeat(2048));
    let (status, error) = hooks.signed("github", &big).await;
    assert_eq!((status, code(&error)), (413, "payload_too_large"));
    assert_eq!(hooks.signed("github", "{}").await.0, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_signature_headers_get_401_and_several_signatures_may_be_sent() {
    let (_dir, hooks) = start_webhooks(1024 * 1024).await;
    let body = r#"{"ref":"main"}"#;
    let good = signature_header(SECRET.as_bytes(), now(), body.as_bytes());
    let good_hex = good.split_once(",v1=").unwrap().1.to_owned();
    // Timestamps that overflow a `SystemTime` used to panic before the signature was checked.
    for t in ["18446744073709551615", "18446744073709551", "0", "-1", "1e9", ""] {
        let header = format!("t={t},v1={good_hex}");
        let (status, error) = hooks.post("github", body, Some(header)).await;
        assert_eq!((status, code(&error)), (401, "unauthorized"), "t={t}: {error}");
    }
    let absurd = format!("t={}{}", now(), ",v1=00".repeat(5000));
    assert_eq!(hooks.post("github", body, Some(absurd)).await.0, 401);
    // A sender rotating its secret signs with both; the current one matches.
    let rotated = format!("t={},v1={},v1={good_hex}", now(), "ab".repeat(32));
    assert_eq!(hooks.post("github", body, Some(rotated)).await.0, 200);
    assert_eq!(hooks.signed("github", r#"{"ref":"dev"}"#).await.0, 200);
}

/// `tick`, an echo function scheduled every second.
fn ticking_every_second() -> (FunctionsDir, wasmfn::Functions) {
    let dir = FunctionsDir::new();
    dir.add_testbed(
        "tick",
        "export: echo\nhooks:\n  - type: schedule\n    cron: \"* * * * * *\"\n",
    );
    let functions = dir.functions();
    (dir, functions)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_per_second_schedule_fires_every_second() {
    let (_dir, functions) = ticking_every_second();
    let mut runs = functions.scheduler().unwrap().subscribe();
    let mut times = Vec::new();
    for _ in 0..3 {
        let run = tokio::time::timeout(Duration::from_secs(5), runs.recv()).await.unwrap().unwrap();
        assert_eq!(run.function, "tick");
        let output: Value = serde_json::from_slice(&run.result.unwrap()).unwrap();
        assert_eq!(output["type"], "schedule");
        assert_eq!(output["cron"], "* * * * * *");
        times.push(run.scheduled_at);
    }
    for pair in times.windows(2) {
        assert_eq!(pair[1].duration_since(pair[0]).unwrap(), Duration::from_secs(1));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_still_going_makes_the_next_one_skip_unless_overlap_is_allowed() {
    let dir = FunctionsDir::new();
    dir.add_testbed("probe", "");
    let probe = dir.functions();
    // The calibration runs beside other tests, so a spin can come out a few times shorter:
    // 3 s keeps each exclusive run well over a second. The overlapping one is kept short so
    // its runs (one a second, several at once) cannot fill the pool and queue past their
    // timeout.
    let spin = |target| support::spin_iterations_for(&probe, "probe", target);
    let (long, short) = (spin(Duration::from_secs(3)).await, spin(Duration::from_secs(1)).await);
    let schedule = |overlap: bool, iterations: u64| {
        format!(
            "export: slow_echo\ntimeout: 20s\nconfig:\n  iterations: \"{iterations}\"\n\
             hooks:\n  - type: schedule\n    cron: \"* * * * * *\"\n    overlap: {overlap}\n"
        )
    };
    dir.add_testbed("exclusive", &schedule(false, long));
    dir.add_testbed("overlapping", &schedule(true, short));
    let functions = dir.functions();
    let mut runs = functions.scheduler().unwrap().subscribe();
    let gaps = |finished: &std::collections::HashMap<String, Vec<SystemTime>>, function: &str| {
        let mut times = finished.get(function).cloned().unwrap_or_default();
        times.sort();
        times.windows(2).map(|pair| pair[1].duration_since(pair[0]).unwrap()).collect::<Vec<_>>()
    };
    // Watch until both have shown their behaviour, however slow the machine makes the runs.
    let mut finished = std::collections::HashMap::<String, Vec<SystemTime>>::new();
    let seen_enough = |finished: &_| {
        !gaps(finished, "exclusive").is_empty()
            && gaps(finished, "overlapping").contains(&Duration::from_secs(1))
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while !seen_enough(&finished) {
        assert!(std::time::Instant::now() < deadline, "not seen in 120 s: {finished:?}");
        let run = tokio::time::timeout(Duration::from_secs(60), runs.recv()).await;
        let run = run.unwrap_or_else(|_| panic!("no run for 60 s: {finished:?}")).unwrap();
        run.result.as_ref().unwrap();
        finished.entry(run.function).or_default().push(run.scheduled_at);
    }
    functions.scheduler().unwrap().stop();
    let gaps = |function: &str| gaps(&finished, function);
    // Each run takes over a second: the second after each start was skipped.
    assert!(gaps("exclusive").iter().all(|gap| *gap >= Duration::from_secs(2)), "{finished:?}");
    // Allowed to overlap: a run started while the one a second before was going.
    assert!(gaps("overlapping").contains(&Duration::from_secs(1)), "{finished:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn reloading_a_scheduled_function_neither_doubles_nor_drops_its_runs() {
    let (_dir, functions) = ticking_every_second();
    let mut runs = functions.scheduler().unwrap().subscribe();
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_millis(3500) {
        functions.registry().reload("tick").unwrap().unwrap();
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let mut times = Vec::new();
    while let Ok(run) = runs.try_recv() {
        run.result.unwrap();
        times.push(run.scheduled_at);
    }
    let mut distinct = times.clone();
    distinct.dedup();
    assert_eq!(distinct, times, "a second fired twice");
    assert!((3..=4).contains(&times.len()), "{times:?}");
    for pair in times.windows(2) {
        assert_eq!(pair[1].duration_since(pair[0]).unwrap(), Duration::from_secs(1), "{times:?}");
    }
}

fn database_hook(table: &str, action: &str) -> String {
    format!("hooks:\n  - type: database\n    source: {table}\n    action: {action}\n")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_event_runs_every_function_hooking_its_table_and_action() {
    let dir = FunctionsDir::new();
    dir.add_testbed("audit", &format!("export: echo\n{}", database_hook("users", "insert")));
    dir.add_testbed("welcome", &format!("export: echo\n{}", database_hook("users", "insert")));
    dir.add_testbed("farewell", &format!("export: echo\n{}", database_hook("users", "delete")));
    dir.add_testbed("orders", &format!("export: echo\n{}", database_hook("orders", "insert")));
    let functions = dir.functions();

    let event = wasmfn::triggers::DbEvent::insert("users", json!({ "id": 1, "name": "Ada" }));
    let deliveries = functions.database().emit_and_wait(event).await;
    let names: Vec<_> = deliveries.iter().map(|d| d.function.as_str()).collect();
    assert_eq!(names, ["audit", "welcome"]);
    for delivery in deliveries {
        let input = delivery.result.unwrap();
        assert_eq!(input["type"], "database");
        assert_eq!((&input["table"], &input["action"]), (&json!("users"), &json!("insert")));
        assert_eq!(
            (&input["old"], &input["new"]),
            (&Value::Null, &json!({ "id": 1, "name": "Ada" }))
        );
        assert!(input["emitted_at"].as_str().unwrap().ends_with('Z'));
    }
    let deleted = wasmfn::triggers::DbEvent::delete("users", json!({ "id": 1 }));
    let deliveries = functions.database().emit_and_wait(deleted).await;
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].result.as_ref().unwrap()["old"], json!({ "id": 1 }));
}

#[tokio::test(flavor = "multi_thread")]
async fn failing_hooks_are_retried_in_the_background_and_never_reach_the_emitter() {
    let dir = FunctionsDir::new();
    dir.add_testbed("probe", "");
    let iterations =
        support::spin_iterations_for(&dir.functions(), "probe", Duration::from_secs(3)).await;
    let hook = database_hook("users", "insert");
    dir.add_testbed(
        "slow",
        &format!(
            "export: slow_echo\ntimeout: 300ms\nconfig:\n  iterations: \"{iterations}\"\n{hook}"
        ),
    );
    // The testbed's default export wants an `op`: it refuses the event (400), which no retry
    // can fix.
    dir.add_testbed("refuses", &hook);
    dir.add_testbed("fine", &format!("export: echo\n{hook}"));
    let retry = wasmfn::triggers::RetryPolicy::default()
        .with_attempts(3)
        .with_backoff(Duration::from_millis(50));
    let functions = dir.builder().with_retry(retry).build().unwrap();
    let mut deliveries = functions.database().subscribe();

    // `emit` is not async: it cannot wait for the hooks, it only dispatches them.
    let dispatched =
        functions.database().emit(wasmfn::triggers::DbEvent::insert("users", json!({ "id": 7 })));
    assert_eq!(dispatched, 3);

    let mut attempts = std::collections::BTreeMap::<String, Vec<Result<(), String>>>::new();
    let expected = 3 + 1 + 1;
    for _ in 0..expected {
        let delivery = tokio::time::timeout(Duration::from_secs(20), deliveries.recv())
            .await
            .unwrap()
            .unwrap();
        let outcome = delivery.result.map(drop).map_err(|e| e.code().to_owned());
        attempts.entry(delivery.function).or_default().push(outcome);
    }
    assert_eq!(attempts["fine"], [Ok(())]);
    assert_eq!(attempts["refuses"], [Err("invalid_input".to_owned())]);
    assert_eq!(attempts["slow"], vec![Err("timeout".to_owned()); 3]);
    assert!(
        tokio::time::timeout(Duration::from_millis(500), deliveries.recv()).await.is_err(),
        "no fourth try"
    );
}
