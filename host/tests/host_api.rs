//! Functions calling the app's own API: the real testbed guest, a real axum app (called
//! in-process and over TCP), real tokens checked by the app's own middleware.

use wasmfn_test_support as support;

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Json, Router,
    extract::{Path, Request, State},
    http::StatusCode,
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde_json::{Value, json};
use support::FunctionsDir;
use tower::ServiceExt;
use wasmfn::{Functions, Invocation, host_api::HostApi, runtime::RuntimeOptions};

const SCOPES: &str = "api:\n  scopes: [\"POST /api/audit\", \"GET /api/notes/*\"]\n";

/// What the app's routes saw.
#[derive(Default)]
struct Seen {
    /// Audit posts: the token's function and call, the token, the body.
    audit: Vec<(String, u64, String, Value)>,
    /// Requests to `/api/admin`, which no scope grants.
    admin: usize,
}

#[derive(Clone)]
struct AppState {
    functions: Functions,
    seen: Arc<Mutex<Seen>>,
}

/// The app's auth: `/api/audit` only for a function's live token that allows the request.
async fn require_function(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let tokens = app.functions.host_api().tokens();
    match tokens.verify_headers(request.headers()) {
        Ok(claims) if claims.allows(request.method().as_str(), request.uri().path()) => {
            let mut request = request;
            request.extensions_mut().insert(claims);
            next.run(request).await
        }
        Ok(_) => StatusCode::FORBIDDEN.into_response(),
        Err(e) => {
            (StatusCode::UNAUTHORIZED, Json(json!({ "error": e.to_string() }))).into_response()
        }
    }
}

async fn audit(State(app): State<AppState>, request: Request) -> (StatusCode, Json<Value>) {
    let claims = request.extensions().get::<wasmfn::host_api::TokenClaims>().cloned().unwrap();
    let token = request.headers()["authorization"].to_str().unwrap()[7..].to_owned();
    let body = axum::body::to_bytes(request.into_body(), 1 << 20).await.unwrap();
    let body: Value = serde_json::from_slice(&body).unwrap();
    let mut seen = app.seen.lock().unwrap();
    seen.audit.push((claims.function.clone(), claims.call_id, token, body));
    (StatusCode::CREATED, Json(json!({ "recorded": seen.audit.len() })))
}

async fn note(Path(id): Path<String>) -> Json<Value> {
    if id == "slow" {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Json(json!({ "id": id }))
}

async fn admin(State(app): State<AppState>) -> &'static str {
    app.seen.lock().unwrap().admin += 1;
    "secret"
}

struct App {
    _dir: FunctionsDir,
    functions: Functions,
    seen: Arc<Mutex<Seen>>,
    router: Router,
}

impl App {
    fn start(host_api: HostApi) -> Self {
        let dir = FunctionsDir::new();
        dir.add_testbed("caller", &format!("timeout: 5s\n{SCOPES}"));
        dir.add_testbed("no-scopes", "timeout: 5s\n");
        let runtime = RuntimeOptions::default().with_host_api(host_api);
        let functions = dir.builder().with_runtime(runtime).build().unwrap();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let state = AppState { functions: functions.clone(), seen: Arc::clone(&seen) };
        let router = Router::new()
            .route(
                "/api/audit",
                post(audit).layer(middleware::from_fn_with_state(state.clone(), require_function)),
            )
            .route("/api/notes/{id}", get(note))
            .route("/api/admin", get(admin))
            .with_state(state)
            .merge(functions.router());
        App { _dir: dir, functions, seen, router }
    }

    /// Runs `caller` (or another function) making `requests`; returns one answer per request.
    async fn call(&self, function: &str, requests: Value) -> Vec<Value> {
        let input = json!({ "op": "api", "requests": requests });
        let output = self.functions.service().oneshot(Invocation::json(function, &input)).await;
        let output = output.unwrap_or_else(|e| panic!("{function}: {e}"));
        serde_json::from_slice(&output).unwrap()
    }
}

fn code(answer: &Value) -> String {
    let body: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
    body["error"]["code"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_guest_calls_the_app_in_process_with_a_token_bound_to_its_call() {
    let app = App::start(HostApi::new());
    app.functions.host_api().connect(app.router.clone());

    let answers = app
        .call(
            "caller",
            json!([
                { "method": "POST", "path": "/api/audit", "body": { "action": "created", "note": 7 } },
                { "method": "GET", "path": "/api/notes/7" },
            ]),
        )
        .await;
    assert_eq!(answers[0]["status"], 201, "{answers:?}");
    assert_eq!(answers[0]["body"], r#"{"recorded":1}"#);
    assert_eq!(answers[1]["status"], 200);
    assert_eq!(answers[1]["body"], r#"{"id":"7"}"#);

    let (function, call_id, token, body) = app.seen.lock().unwrap().audit[0].clone();
    assert_eq!(function, "caller");
    assert!(call_id > 0);
    assert_eq!(body, json!({ "action": "created", "note": 7 }));
    // Each call gets its own token, and none outlives its call.
    app.call("caller", json!([{ "method": "POST", "path": "/api/audit", "body": {} }])).await;
    let (_, second_call, second_token, _) = app.seen.lock().unwrap().audit[1].clone();
    assert_ne!((second_call, &second_token), (call_id, &token));
    let tokens = app.functions.host_api().tokens();
    assert!(tokens.is_empty(), "{tokens:?}");
    assert!(tokens.verify(&token).is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_used_after_its_call_ended_is_rejected_by_the_app() {
    let app = App::start(HostApi::new());
    app.functions.host_api().connect(app.router.clone());
    app.call("caller", json!([{ "method": "POST", "path": "/api/audit", "body": {} }])).await;
    let token = app.seen.lock().unwrap().audit[0].2.clone();

    // Replayed over real HTTP, the way a leaked token would be.
    let addr = support::serve(app.router.clone()).await;
    let response = reqwest::Client::new()
        .post(format!("http://{addr}/api/audit"))
        .bearer_auth(&token)
        .json(&json!({ "replayed": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "unknown token, or its call has ended");
    assert_eq!(app.seen.lock().unwrap().audit.len(), 1, "the replay reached the handler");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_expires_after_its_ttl_even_while_the_call_runs() {
    let app = App::start(HostApi::new().with_token_ttl(Duration::from_millis(300)));
    app.functions.host_api().connect(app.router.clone());
    let answers = app
        .call(
            "caller",
            json!([
                { "method": "POST", "path": "/api/audit", "body": { "n": 1 } },
                { "method": "GET", "path": "/api/notes/slow" },
                { "method": "POST", "path": "/api/audit", "body": { "n": 2 } },
            ]),
        )
        .await;
    assert_eq!(answers[0]["status"], 201, "{answers:?}");
    assert_eq!(answers[1]["status"], 200);
    assert_eq!(answers[2]["status"], 401, "{answers:?}");
    assert!(answers[2]["body"].as_str().unwrap().contains("has expired"), "{answers:?}");
    assert_eq!(app.seen.lock().unwrap().audit.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_outside_the_scopes_get_403_and_never_reach_the_app() {
    let app = App::start(HostApi::new());
    app.functions.host_api().connect(app.router.clone());
    let answers = app
        .call(
            "caller",
            json!([
                { "method": "GET", "path": "/api/admin" },
                { "method": "DELETE", "path": "/api/audit" },
                { "method": "GET", "path": "/api/notes/7/history" },
                { "method": "GET", "path": "/api/notes/../admin" },
                { "method": "GET", "path": "/api/notes/%2e%2e/admin" },
                { "method": "GET", "path": "http://example.com/api/notes/1" },
            ]),
        )
        .await;
    for answer in &answers[..3] {
        assert_eq!(answer["status"], 403, "{answers:?}");
        assert_eq!(code(answer), "scope_denied");
    }
    let body = answers[0]["body"].as_str().unwrap();
    assert!(body.contains("GET /api/admin is outside the manifest's api.scopes"), "{body}");
    assert!(body.contains("POST /api/audit, GET /api/notes/*"), "{body}");
    for answer in &answers[3..] {
        assert_eq!(answer["error"]["code"], "invalid_input", "{answers:?}");
    }
    assert_eq!(app.seen.lock().unwrap().admin, 0);

    let answers = app.call("no-scopes", json!([{ "method": "GET", "path": "/api/notes/1" }])).await;
    assert_eq!(answers[0]["status"], 403);
    assert!(answers[0]["body"].as_str().unwrap().contains("grants no `api.scopes`"));
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_connected_app_requests_fail_and_the_call_goes_on() {
    let app = App::start(HostApi::new());
    let answers = app.call("caller", json!([{ "method": "GET", "path": "/api/notes/1" }])).await;
    assert_eq!(answers[0]["error"]["code"], "host_api_unavailable", "{answers:?}");

    app.functions.host_api().connect(app.router.clone());
    let answers = app.call("caller", json!([{ "method": "GET", "path": "/api/notes/1" }])).await;
    assert_eq!(answers[0]["status"], 200);
    app.functions.host_api().disconnect();
    let answers = app.call("caller", json!([{ "method": "GET", "path": "/api/notes/1" }])).await;
    assert_eq!(answers[0]["error"]["code"], "host_api_unavailable");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_app_out_of_process_is_reached_over_http_with_the_same_token_rules() {
    let app = App::start(HostApi::new());
    let addr = support::serve(app.router.clone()).await;
    app.functions.host_api().connect_url(&format!("http://{addr}/"));
    let answers = app
        .call(
            "caller",
            json!([
                { "method": "POST", "path": "/api/audit", "body": { "over": "http" } },
                { "method": "GET", "path": "/api/notes/9?verbose=1" },
                { "method": "GET", "path": "/api/admin" },
            ]),
        )
        .await;
    assert_eq!(answers[0]["status"], 201, "{answers:?}");
    assert_eq!(answers[1]["body"], r#"{"id":"9"}"#);
    assert_eq!(answers[2]["status"], 403);
    assert_eq!(app.seen.lock().unwrap().audit[0].0, "caller");
    assert!(app.functions.host_api().tokens().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_app_slower_than_the_call_fails_the_request_not_the_host() {
    let dir = FunctionsDir::new();
    dir.add_testbed("impatient", &format!("timeout: 200ms\n{SCOPES}"));
    let functions = dir.builder().build().unwrap();
    functions.host_api().connect(Router::new().route("/api/notes/{id}", get(note)));
    let input =
        json!({ "op": "api", "requests": [{ "method": "GET", "path": "/api/notes/slow" }] });
    let result = functions.service().oneshot(Invocation::json("impatient", &input)).await;
    match result {
        // The request gave up at the call's deadline, and the guest got to answer...
        Ok(output) => {
            let answers: Value = serde_json::from_slice(&output).unwrap();
            assert_eq!(answers[0]["error"]["code"], "host_api_failed", "{answers}");
        }
        // ...or the deadline interrupted the guest right after.
        Err(e) => assert_eq!(e.code(), "timeout", "{e}"),
    }
    assert!(functions.host_api().tokens().is_empty());
    let echo = json!({ "op": "echo", "value": "alive" });
    let output = functions.service().oneshot(Invocation::json("impatient", &echo)).await.unwrap();
    assert_eq!(output.as_ref(), br#""alive""#);
}

#[tokio::test(flavor = "multi_thread")]
async fn outbound_http_reaches_only_the_manifests_allowed_hosts() {
    let addr = support::serve(Router::new().route("/api/notes/{id}", get(note))).await;
    let dir = FunctionsDir::new();
    dir.add_testbed("fetcher", "allowed_hosts: [\"127.0.0.1\"]\n");
    dir.add_testbed("offline", "");
    let functions = dir.builder().build().unwrap();
    let fetch = |function: &'static str, url: String| {
        let service = functions.service();
        async move {
            let input = json!({ "op": "fetch", "url": url });
            service.oneshot(Invocation::json(function, &input)).await
        }
    };

    let output =
        fetch("fetcher", format!("http://127.0.0.1:{}/api/notes/3", addr.port())).await.unwrap();
    let output: Value = serde_json::from_slice(&output).unwrap();
    assert_eq!(output, json!({ "status": 200, "body": r#"{"id":"3"}"# }));

    // Same server, another name for it: not in the list.
    let blocked = fetch("fetcher", format!("http://localhost:{}/api/notes/3", addr.port()))
        .await
        .unwrap_err();
    assert!(blocked.to_string().contains("is not allowed"), "{blocked}");
    assert_eq!(blocked.code(), "trap");
    let blocked = fetch("offline", format!("http://127.0.0.1:{}/api/notes/3", addr.port()))
        .await
        .unwrap_err();
    assert!(blocked.to_string().contains("is not allowed"), "{blocked}");

    let echo = json!({ "op": "echo", "value": 1 });
    let output = functions.service().oneshot(Invocation::json("offline", &echo)).await.unwrap();
    assert_eq!(output.as_ref(), b"1");
}
