//! `GET /metrics` (feature `prometheus`): parsed, and its counts moving as calls are made.

use std::{collections::BTreeMap, sync::OnceLock};

use metrics_exporter_prometheus::PrometheusHandle;
use wasmfn_test_support::{FunctionsDir, http::serve};

/// The process's one recorder, for every test here.
fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| wasmfn::metrics::install_prometheus().unwrap()).clone()
}

/// The samples of a Prometheus text exposition: `name{labels}` -> value (comments skipped).
fn parse(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line}"));
            (series.to_owned(), value.parse().unwrap_or_else(|_| panic!("{line}")))
        })
        .collect()
}

async fn scrape(client: &reqwest::Client, url: &str) -> BTreeMap<String, f64> {
    let response = client.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    parse(&response.text().await.unwrap())
}

fn sample(samples: &BTreeMap<String, f64>, name: &str, labels: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|(series, _)| {
            series.starts_with(&format!("{name}{{"))
                && labels.iter().all(|(k, v)| series.contains(&format!("{k}=\"{v}\"")))
        })
        .map(|(_, value)| value)
        .sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn calls_errors_and_durations_are_counted_per_function() {
    let dir = FunctionsDir::new();
    dir.add_testbed("counted", "export: echo\n");
    let functions = dir.builder().with_prometheus(handle()).build().unwrap();
    let addr = serve(functions.app()).await;
    let client = reqwest::Client::new();
    let metrics = format!("http://{addr}/metrics");

    let before = scrape(&client, &metrics).await;
    let function = [("function", "counted")];
    assert_eq!(
        sample(
            &before,
            "wasmfn_function_loads_total",
            &[("function", "counted"), ("result", "ok")]
        ),
        1.0
    );
    let call = |body: &'static str| {
        let client = client.clone();
        async move {
            let url = format!("http://{addr}/api/functions/counted");
            client.post(url).body(body).send().await.unwrap().status().as_u16()
        }
    };
    assert_eq!(call(r#"{"a":1}"#).await, 200);
    assert_eq!(call(r#"{"a":2}"#).await, 200);
    assert_eq!(call("{not json").await, 400);

    let after = scrape(&client, &metrics).await;
    let calls = |samples: &BTreeMap<String, f64>, outcome: &str| {
        let labels = [("function", "counted"), ("trigger", "http"), ("outcome", outcome)];
        sample(samples, "wasmfn_function_calls_total", &labels)
    };
    assert_eq!(calls(&after, "ok") - calls(&before, "ok"), 2.0);
    assert_eq!(calls(&after, "invalid_input") - calls(&before, "invalid_input"), 1.0);
    // Every call is in the duration histogram; the two that ran got an instance.
    let durations = sample(&after, "wasmfn_function_call_duration_seconds_count", &function)
        - sample(&before, "wasmfn_function_call_duration_seconds_count", &function);
    assert_eq!(durations, 3.0);
    let waits = sample(&after, "wasmfn_function_queue_wait_seconds_count", &function)
        - sample(&before, "wasmfn_function_queue_wait_seconds_count", &function);
    assert_eq!(waits, 2.0);
    assert!(after.keys().any(|k| k.starts_with("wasmfn_function_call_duration_seconds_bucket{")
        && k.contains("le=\"0.001\"")));
    assert_eq!(sample(&after, "wasmfn_function_calls_in_flight", &function), 0.0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_layer_serves_metrics_only_when_asked_to() {
    let dir = FunctionsDir::new();
    dir.add_testbed("layered", "export: echo\n");
    let with = dir.builder().with_prometheus(handle()).build().unwrap();
    let app = axum::Router::new().layer(with.layer());
    let addr = serve(app).await;
    let response = reqwest::get(format!("http://{addr}/metrics")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("wasmfn_function_loads_total"));

    let without = dir.builder().build().unwrap();
    let addr = serve(without.app()).await;
    let response = reqwest::get(format!("http://{addr}/metrics")).await.unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn instances_slots_and_deliveries_are_counted() {
    let dir = FunctionsDir::new();
    dir.add_testbed("crashy", "");
    dir.add_testbed(
        "hooked",
        "hooks:\n  - type: database\n    source: users\n    action: insert\n",
    );
    let functions = dir.builder().with_prometheus(handle()).build().unwrap();
    let addr = serve(functions.app()).await;
    let client = reqwest::Client::new();
    let metrics = format!("http://{addr}/metrics");
    let crashy = [("function", "crashy")];
    let before = scrape(&client, &metrics).await;
    let post = |body: &'static str| {
        let client = client.clone();
        async move {
            let url = format!("http://{addr}/api/functions/crashy");
            client.post(url).body(body).send().await.unwrap().status().as_u16()
        }
    };
    assert_eq!(post(r#"{"op":"panic","message":"boom"}"#).await, 500);
    assert_eq!(post(r#"{"op":"echo","value":1}"#).await, 200);
    // The database event is not the testbed's input: refused (4xx), so dead at once.
    let event = wasmfn::triggers::DbEvent::insert("users", serde_json::json!({ "id": 1 }));
    let deliveries = functions.database().emit_and_wait(event).await;
    assert!(deliveries[0].result.is_err());
    functions.database().emit(wasmfn::triggers::DbEvent::insert("users", serde_json::json!({})));
    let hooked = [("function", "hooked"), ("trigger", "database"), ("result", "dead")];
    let mut after = scrape(&client, &metrics).await;
    for _ in 0..100 {
        if sample(&after, "wasmfn_trigger_deliveries_total", &hooked) > 0.0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        after = scrape(&client, &metrics).await;
    }

    let delta = |name: &str, labels: &[(&str, &str)]| {
        sample(&after, name, labels) - sample(&before, name, labels)
    };
    // The trap discards the instance; the next call creates one.
    assert_eq!(delta("wasmfn_instances_discarded_total", &crashy), 1.0);
    assert_eq!(delta("wasmfn_instances_created_total", &crashy), 1.0);
    let idle = [("function", "crashy"), ("state", "idle")];
    let busy = [("function", "crashy"), ("state", "busy")];
    assert_eq!(
        (sample(&after, "wasmfn_pool_slots", &busy), sample(&after, "wasmfn_pool_slots", &idle)),
        (0.0, 1.0)
    );
    assert_eq!(
        delta("wasmfn_trigger_deliveries_total", &hooked),
        1.0,
        "emit_and_wait is not a background delivery: only emit's try counts"
    );
}
