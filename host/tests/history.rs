//! The call history: recent calls with their input, output and logs, per function and bounded,
//! served as JSON and live (Server-Sent Events); off by default, redacted or off per manifest.

use std::time::Duration;

use serde_json::{Value, json};
use wasmfn::history::HistoryOptions;
use wasmfn_test_support::{FunctionsDir, http::Api};

fn calls(body: &Value) -> &Vec<Value> {
    body["calls"].as_array().unwrap_or_else(|| panic!("no calls in {body}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn calls_are_kept_newest_first_with_input_output_logs_and_errors() {
    let dir = FunctionsDir::new();
    dir.add_testbed("kept", "");
    dir.add_testbed("other", "");
    let options = HistoryOptions::default().with_calls_per_function(3);
    let functions = dir.builder().with_call_history(options).build().unwrap();
    let api = Api::serve(functions.app()).await;

    let (status, _) = api.post("kept", r#"{"op":"log","message":"hello","times":2}"#).await;
    assert_eq!(status, 200);
    let (status, _) = api.post("kept", r#"{"op":"fail","code":"nope","message":"refused"}"#).await;
    assert_eq!(status, 500, "a guest's own code");
    api.post("other", r#"{"op":"echo","value":1}"#).await;

    let (status, body) = api.get("/api/functions/kept/calls").await;
    assert_eq!(status, 200, "{body}");
    let kept = calls(&body);
    assert_eq!(kept.len(), 2, "{body}");
    let (failed, logged) = (&kept[0], &kept[1]);
    assert!(failed["id"].as_u64() > logged["id"].as_u64(), "newest first: {body}");
    assert_eq!(logged["trigger"], "http");
    assert_eq!(logged["outcome"], "ok");
    assert_eq!(logged["redacted"], false);
    assert!(logged["input"]["text"].as_str().unwrap().contains(r#""message":"hello""#));
    assert_eq!(logged["input"]["truncated"], false);
    assert!(logged["output"]["text"].is_string());
    let lines: Vec<&str> =
        logged["logs"].as_array().unwrap().iter().map(|l| l["message"].as_str().unwrap()).collect();
    assert_eq!(lines, ["hello", "hello"]);
    assert_eq!(logged["logs"][0]["call"], logged["id"]);
    assert!(logged["duration_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(failed["outcome"], "nope");
    assert!(failed["error"].as_str().unwrap().contains("refused"), "{failed}");
    assert!(failed.get("output").is_none());

    // Every function's, or one's by query; the ring keeps the newest 3 per function.
    let (_, all) = api.get("/api/calls").await;
    assert_eq!(calls(&all).len(), 3);
    let (_, other) = api.get("/api/calls?function=other").await;
    assert_eq!(calls(&other).len(), 1);
    for n in 0..4 {
        api.post("kept", format!(r#"{{"op":"echo","value":{n}}}"#)).await;
    }
    let (_, body) = api.get("/api/functions/kept/calls").await;
    let values: Vec<&str> =
        calls(&body).iter().map(|c| c["output"]["text"].as_str().unwrap()).collect();
    assert_eq!(values, ["3", "2", "1"]);
    let (_, limited) = api.get("/api/calls?limit=1").await;
    assert_eq!(calls(&limited).len(), 1);

    // Bad requests get JSON errors.
    let (status, body) = api.get("/api/functions/nobody/calls").await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("function_not_found")));
    let (status, body) = api.get("/api/calls?limit=lots").await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_input")));
}

#[tokio::test(flavor = "multi_thread")]
async fn inputs_and_outputs_are_cut_and_a_call_logs_only_so_much() {
    let dir = FunctionsDir::new();
    dir.add_testbed("big", "");
    let options = HistoryOptions::default().with_max_payload(32).with_max_logs_per_call(10);
    let functions = dir.builder().with_call_history(options).build().unwrap();
    let api = Api::serve(functions.app()).await;

    let input = json!({ "op": "log", "message": "0123456789", "times": 3, "pad": "é".repeat(40) });
    assert_eq!(api.post("big", input.to_string()).await.0, 200);
    let (_, body) = api.get("/api/functions/big/calls").await;
    let call = &calls(&body)[0];
    assert_eq!(call["input"]["truncated"], true);
    assert_eq!(call["input"]["bytes"], input.to_string().len());
    assert!(call["input"]["text"].as_str().unwrap().len() <= 32);
    assert_eq!(call["logs"].as_array().unwrap().len(), 1, "{call}");
    assert_eq!(call["logs_dropped"], 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_history_is_off_by_default_and_manifests_can_redact_or_refuse_it() {
    let dir = FunctionsDir::new();
    dir.add_testbed("secretive", "history: redacted\n");
    dir.add_testbed("invisible", "history: off\n");
    let off = Api::serve(dir.functions().app()).await;
    let (status, body) = off.get("/api/calls").await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("history_off")));

    let functions = dir.builder().with_call_history(HistoryOptions::default()).build().unwrap();
    let api = Api::serve(functions.app()).await;
    api.post("secretive", r#"{"op":"log","message":"card 4242","times":1}"#).await;
    api.post("invisible", r#"{"op":"echo","value":"x"}"#).await;
    let (_, body) = api.get("/api/functions/secretive/calls").await;
    let call = &calls(&body)[0];
    assert_eq!((call["redacted"].as_bool(), call["outcome"].as_str()), (Some(true), Some("ok")));
    assert!(call.get("input").is_none() && call.get("output").is_none());
    assert!(call["logs"].as_array().unwrap().is_empty());
    assert!(!body.to_string().contains("4242"));
    let (_, body) = api.get("/api/functions/invisible/calls").await;
    assert!(calls(&body).is_empty());
}

/// Reads Server-Sent Events from `response` until `wanted` says it has what it needs.
async fn read_events(
    response: &mut reqwest::Response,
    mut wanted: impl FnMut(&[(String, Value)]) -> bool,
) -> Vec<(String, Value)> {
    let (mut text, mut events) = (String::new(), Vec::new());
    let read = async {
        while let Some(chunk) = response.chunk().await.unwrap() {
            text.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = text.find("\n\n") {
                let block: String = text.drain(..end + 2).collect();
                let event = block.lines().find_map(|l| l.strip_prefix("event: "));
                let data = block.lines().find_map(|l| l.strip_prefix("data: "));
                if let (Some(event), Some(data)) = (event, data) {
                    let data = serde_json::from_str(data).unwrap_or(Value::String(data.into()));
                    events.push((event.to_owned(), data));
                }
            }
            if wanted(&events) {
                return;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), read).await.expect("the events came");
    events
}

#[tokio::test(flavor = "multi_thread")]
async fn the_live_stream_carries_calls_logs_and_registry_changes_of_the_function_asked_for() {
    let dir = FunctionsDir::new();
    dir.add_testbed("watched", "");
    dir.add_testbed("ignored", "");
    let functions = dir.builder().with_call_history(HistoryOptions::default()).build().unwrap();
    let api = Api::serve(functions.app()).await;
    let mut stream = api
        .client
        .get(format!("http://{}/api/calls?function=watched", api.addr))
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    // The first event says where the registry is: the stream is open from here on.
    read_events(&mut stream, |events| events.iter().any(|(e, _)| e == "functions")).await;

    api.post("ignored", r#"{"op":"log","message":"not this one"}"#).await;
    api.post("watched", r#"{"op":"log","message":"this one"}"#).await;
    functions.registry().reload("watched").unwrap().unwrap();
    let events = read_events(&mut stream, |events| {
        // The reload is the second registry change this stream sees.
        events.iter().any(|(e, _)| e == "call") && events.iter().any(|(e, _)| e == "functions")
    })
    .await;
    let log = events.iter().find(|(e, _)| e == "log").map(|(_, d)| d).expect("a log event");
    assert_eq!(
        (log["function"].as_str(), log["message"].as_str()),
        (Some("watched"), Some("this one"))
    );
    let call = events.iter().find(|(e, _)| e == "call").map(|(_, d)| d).unwrap();
    assert_eq!(
        (call["function"].as_str(), call["logs"][0]["message"].as_str()),
        (Some("watched"), Some("this one"))
    );
    assert!(!events.iter().any(|(_, d)| d.to_string().contains("not this one")));
}
