//! Triggers fired by hand (`Functions::fire`, `POST /_wasmfn/api/functions/{name}/fire`) and
//! the dashboard's files: served only when asked for, from the binary, with a strict policy.

use serde_json::{Value, json};
use wasmfn::triggers::{FireError, SecretSource, TriggerKind, WebhookError};
use wasmfn_test_support::{FunctionsDir, http::Api};

fn output(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn each_trigger_fires_with_the_input_it_would_give() {
    let dir = FunctionsDir::new();
    dir.add_testbed("hooked", wasmfn_test_support::EVERY_HOOK);
    dir.add_testbed("plain", "export: echo\n");
    let secrets = SecretSource::from_fn(|name| (name == "HOOK_SECRET").then(|| "s3cret".into()));
    let functions = dir.builder().with_secrets(secrets).build().unwrap();

    let tick = output(&functions.fire("hooked", TriggerKind::Schedule, None).await.unwrap());
    assert_eq!(
        (tick["type"].as_str(), tick["cron"].as_str()),
        (Some("schedule"), Some("0 0 1 1 *"))
    );
    assert!(tick["scheduled_at"].is_string());

    // Signed and verified like any webhook: twice in a row is not a replay (a fresh body).
    for _ in 0..2 {
        let hook = output(&functions.fire("hooked", TriggerKind::Webhook, None).await.unwrap());
        assert_eq!(
            (hook["type"].as_str(), hook["path"].as_str()),
            (Some("webhook"), Some("github"))
        );
        assert_eq!(hook["json"]["test"], true);
        assert!(hook["headers"]["x-wasmfn-signature"].as_str().unwrap().starts_with("t="));
    }
    let body = json!({ "action": "opened" });
    let hook =
        output(&functions.fire("hooked", TriggerKind::Webhook, Some(body.clone())).await.unwrap());
    assert_eq!(hook["json"], body);

    let row = json!({ "id": 7, "email": "ada@example.com" });
    let event =
        output(&functions.fire("hooked", TriggerKind::Database, Some(row.clone())).await.unwrap());
    assert_eq!(
        (event["type"].as_str(), event["table"].as_str()),
        (Some("database"), Some("users"))
    );
    assert_eq!((event["new"].clone(), event["try"].clone()), (row, json!(1)));

    let error = functions.fire("plain", TriggerKind::Schedule, None).await.unwrap_err();
    assert!(matches!(error, FireError::NoTrigger { kind: TriggerKind::Schedule, .. }), "{error}");
    let error = functions.fire("nobody", TriggerKind::Schedule, None).await.unwrap_err();
    assert!(matches!(error, FireError::Invoke(_)), "{error}");

    // Without the secret, nothing is signed: the same refusal a sender would get.
    let unsigned = dir.builder().with_secrets(SecretSource::from_fn(|_| None)).build().unwrap();
    let error = unsigned.fire("hooked", TriggerKind::Webhook, None).await.unwrap_err();
    assert!(matches!(error, FireError::Webhook(WebhookError::SecretMissing { .. })), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_is_served_only_when_asked_for_and_fires_over_json_only() {
    let dir = FunctionsDir::new();
    dir.add_testbed("hooked", wasmfn_test_support::EVERY_HOOK);
    let plain = Api::serve(dir.functions().app()).await;
    let response = plain.client.get(format!("http://{}/_wasmfn/", plain.addr)).send().await;
    assert_eq!(response.unwrap().status(), 404);

    let functions = dir.builder().with_dashboard(true).build().unwrap();
    let api = Api::serve(functions.app()).await;
    let url = |path: &str| format!("http://{}{path}", api.addr);
    let page = api.client.get(url("/_wasmfn/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    let policy = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(policy.contains("default-src 'self'") && policy.contains("frame-ancestors 'none'"));
    assert!(page.text().await.unwrap().contains("app.js"));
    let script = api.client.get(url("/_wasmfn/app.js")).send().await.unwrap();
    assert_eq!(script.headers()["content-type"], "text/javascript; charset=utf-8");
    let redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(url("/_wasmfn"))
        .send()
        .await
        .unwrap();
    assert_eq!(redirect.headers()["location"], "/_wasmfn/");
    let (status, body) = api.get("/_wasmfn/missing.js").await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("route_not_found")));
    // The dashboard turns the history on.
    assert_eq!(api.get("/api/calls").await.0, 200);

    let fire = |body: &'static str, content_type: &'static str| {
        api.client
            .post(url("/_wasmfn/api/functions/hooked/fire"))
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let fired = fire(r#"{"trigger":"schedule"}"#, "application/json").await.unwrap();
    assert_eq!(fired.status(), 200);
    assert_eq!(fired.json::<Value>().await.unwrap()["type"], "schedule");
    let (_, calls) = api.get("/api/functions/hooked/calls").await;
    assert_eq!(calls["calls"][0]["trigger"], "schedule");
    // What a cross-site form can send is refused: no JSON, no call.
    let form = fire(r#"{"trigger":"schedule"}"#, "text/plain").await.unwrap();
    assert_eq!(form.status(), 415);
    let unknown = fire(r#"{"trigger":"cosmic-ray"}"#, "application/json").await.unwrap();
    assert_eq!(unknown.status(), 422);
    let body: Value = unknown.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_input");
    let missing = api
        .client
        .post(url("/_wasmfn/api/functions/nobody/fire"))
        .json(&json!({ "trigger": "database" }))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let (status, body) = api.get("/_wasmfn/api/functions/hooked/fire").await;
    assert_eq!((status, body["error"]["code"].as_str()), (405, Some("method_not_allowed")));

    // The router alone, as an app mounts it behind its auth; and the layer steers to it.
    let alone = Api::serve(dir.functions().dashboard()).await;
    assert_eq!(
        alone.client.get(format!("http://{}/_wasmfn/", alone.addr)).send().await.unwrap().status(),
        200
    );
    let layered = Api::serve(axum::Router::new().layer(functions.layer())).await;
    let page = layered.client.get(format!("http://{}/_wasmfn/", layered.addr)).send().await;
    assert_eq!(page.unwrap().status(), 200);
}
