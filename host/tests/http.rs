//! The HTTP API over a real TCP server, with the real testbed guest: statuses, JSON errors, and
//! the server (and every other function) alive after each bad request.

use wasmfn_test_support as support;

use axum::{Router, routing::get};
use serde_json::{Value, json};
use support::{Api, FunctionsDir};

/// The echo function still answers: the server and the other functions are fine.
async fn assert_alive(api: &Api) {
    assert_eq!(api.post("echo", r#"{"still":"here"}"#).await, (200, json!({ "still": "here" })));
}

async fn start(dir: &FunctionsDir, body_limit: usize) -> Api {
    let functions = dir.builder().with_body_limit(body_limit).build().unwrap();
    Api::serve(functions.router()).await
}

fn testbed_functions() -> FunctionsDir {
    let dir = FunctionsDir::new();
    dir.add_testbed("echo", "export: echo\n");
    dir.add_testbed("testbed", "timeout: 1s\nmemory: 16mib\n");
    dir
}

fn error_code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_else(|| panic!("not an error body: {body}"))
}

#[tokio::test]
async fn calls_return_the_guest_output() {
    let dir = testbed_functions();
    let api = start(&dir, 1 << 20).await;
    assert_eq!(api.post("echo", r#"{"a":[1,2,3]}"#).await, (200, json!({ "a": [1, 2, 3] })));
    // An empty body calls the function with null.
    assert_eq!(api.post("echo", "").await, (200, Value::Null));
}

#[tokio::test]
async fn bad_requests_get_json_errors_with_the_right_status() {
    let dir = testbed_functions();
    dir.add_manifest_only(
        "unbuilt",
        "name: unbuilt\nbuild:\n  command: cargo\n  output: out.wasm\n",
    );
    dir.add("garbage", "", b"\0asm but not really");
    let api = start(&dir, 64 * 1024).await;

    let cases: Vec<(&str, String, u16, &str)> = vec![
        ("nope", "{}".into(), 404, "function_not_found"),
        ("echo", "{not json".into(), 400, "invalid_input"),
        ("echo", format!(r#""{}""#, "x".repeat(100 * 1024)), 413, "payload_too_large"),
        ("testbed", r#"{"op":"panic","message":"boom"}"#.into(), 500, "trap"),
        ("testbed", r#"{"op":"loop"}"#.into(), 504, "timeout"),
        ("testbed", r#"{"op":"alloc","mib":64}"#.into(), 500, "memory_limit"),
        (
            "testbed",
            r#"{"op":"fail","code":"not_found","message":"no user 7"}"#.into(),
            404,
            "not_found",
        ),
        ("testbed", r#"{"op":"whatever"}"#.into(), 400, "invalid_input"),
        // A guest cannot claim a host fault: its instance is kept, the code is its own.
        ("testbed", r#"{"op":"fail","code":"trap","message":"fake"}"#.into(), 500, "guest_error"),
        ("unbuilt", "{}".into(), 503, "disabled"),
        ("garbage", "{}".into(), 503, "disabled"),
    ];
    for (name, body, status, code) in cases {
        let (got_status, got_body) = api.post(name, body).await;
        assert_eq!((got_status, error_code(&got_body)), (status, code), "{name}: {got_body}");
        assert!(got_body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert_alive(&api).await;
    }
}

#[tokio::test]
async fn listing_and_health_show_disabled_functions_with_their_error() {
    let dir = testbed_functions();
    dir.add_manifest_only("broken", "name: broken\nmemory: -1\n");
    dir.add_manifest_only(
        "unbuilt",
        "name: unbuilt\nbuild:\n  command: cargo\n  output: out.wasm\n",
    );
    let api = start(&dir, 1 << 20).await;

    let (status, list) = api.get("/api/functions").await;
    assert_eq!(status, 200);
    let functions = list["functions"].as_array().unwrap();
    let by_name = |n: &str| functions.iter().find(|f| f["name"] == n).unwrap().clone();
    assert_eq!(by_name("echo")["status"], "ready");
    assert_eq!(by_name("broken")["status"], "disabled");
    assert!(
        by_name("broken")["last_error"].as_str().unwrap().contains("manifest.yaml:2:9: memory")
    );
    assert!(by_name("unbuilt")["last_error"].as_str().unwrap().contains("out.wasm"));

    let (status, one) = api.get("/api/functions/echo").await;
    assert_eq!((status, one["status"].as_str()), (200, Some("ready")));
    assert_eq!(api.get("/api/functions/missing").await.0, 404);

    let (status, health) = api.get("/api/health").await;
    assert_eq!(status, 200);
    let functions = json!({ "ready": 2, "disabled": 2 });
    assert_eq!(health, json!({ "status": "degraded", "functions": functions, "store": "memory" }));
}

#[tokio::test]
async fn the_layer_adds_functions_to_an_existing_app() {
    let dir = testbed_functions();
    let functions = dir.functions();
    let app = Router::new().route("/", get(|| async { "the app" })).layer(functions.layer());
    let api = Api::serve(app).await;

    let home = api.client.get(format!("http://{}/", api.addr)).send().await.unwrap();
    assert_eq!(home.text().await.unwrap(), "the app");
    assert_alive(&api).await;
    assert_eq!(api.get("/api/health").await.1["status"], "ok");
}

#[tokio::test]
async fn paths_and_methods_that_match_nothing_get_json_errors_too() {
    let dir = testbed_functions();
    let functions = dir.functions();
    // An app with a fallback of its own can still merge the functions' routes.
    let app = Router::new()
        .route("/", get(|| async { "the app" }))
        .fallback(|| async { "the app's fallback" })
        .merge(functions.router());
    let api = Api::serve(app).await;
    let send = |method: reqwest::Method, path: &'static str| {
        let request = api.client.request(method, format!("http://{}{path}", api.addr));
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap_or_else(|e| panic!("{path}: {e}"));
            (status, error_code(&body).to_owned())
        }
    };
    use reqwest::Method;
    let cases = [
        (Method::POST, "/api/functions/echo/", 404, "route_not_found"),
        (Method::GET, "/api/functions/echo/calls/1", 404, "route_not_found"),
        (Method::GET, "/api/functions/", 404, "route_not_found"),
        (Method::GET, "/api/health/x", 404, "route_not_found"),
        (Method::DELETE, "/api/functions/echo", 405, "method_not_allowed"),
        (Method::GET, "/api/webhooks/github", 405, "method_not_allowed"),
        (Method::POST, "/api/functions/%FF%FE", 400, "invalid_input"),
        (Method::POST, "/api/webhooks/%FF", 400, "invalid_input"),
    ];
    for (method, path, status, code) in cases {
        assert_eq!(send(method.clone(), path).await, (status, code.to_owned()), "{method} {path}");
    }
    let fallback = api.client.get(format!("http://{}/elsewhere", api.addr)).send().await.unwrap();
    assert_eq!(fallback.text().await.unwrap(), "the app's fallback");
    assert_alive(&api).await;
}
