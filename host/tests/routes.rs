//! HTTP functions through the real server: a Rust guest's routes (`#[wasmfn_pdk::http]`), a
//! process function speaking the same request/response shape, limits, conflicts, reloads,
//! `HEAD`/`OPTIONS`, and the layer in front of an app. JS functions: `tests/js_http.rs`.

use axum::{Router, routing::get};
use serde_json::{Value, json};
use wasmfn_test_support::{
    self as support, FunctionsDir,
    http::{Client, Upstream, serve},
};

const SITE: &str = r#"routes: ["GET /page", "GET /hello/{name}", "POST /echo", "GET /big", "GET /fails"]
http:
  max_request_body: 1mib
  max_response_body: 256kib
"#;

struct Site {
    _dir: FunctionsDir,
    http: Client,
}

impl Site {
    async fn start(extra: impl FnOnce(&FunctionsDir)) -> Self {
        let dir = FunctionsDir::new();
        dir.add_testbed("site", SITE);
        extra(&dir);
        let functions = dir.functions();
        let addr = serve(functions.app()).await;
        Self { _dir: dir, http: Client::new(addr) }
    }
}

impl std::ops::Deref for Site {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.http
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rust_route_answers_html_with_its_status_cookie_and_headers() {
    let site = Site::start(|_| {}).await;
    let response = site.request("GET", "/page").send().await.unwrap();
    assert_eq!(response.status(), 201);
    let headers = response.headers();
    assert_eq!(headers["set-cookie"], "session=abc; HttpOnly");
    assert_eq!(headers["x-wasmfn-test"], "yes");
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(response.text().await.unwrap(), "<!doctype html><h1>Hello from Rust</h1>");
}

#[tokio::test(flavor = "multi_thread")]
async fn path_params_and_query_arrive_decoded() {
    let site = Site::start(|_| {}).await;
    let (status, body) = site.json("GET", "/hello/Ada%20L%C3%A9?q=a+b&x=1").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({ "method": "GET", "name": "Ada Lé", "q": "a b", "uri": "/hello/Ada%20L%C3%A9?q=a+b&x=1" })
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_binary_body_round_trips_unchanged() {
    let site = Site::start(|_| {}).await;
    // A PNG signature, then every byte value (NUL, CR LF, invalid UTF-8).
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend((0..=255u8).cycle().take(100_000));
    let response = site
        .request("POST", "/echo")
        .header("content-type", "image/png")
        .body(png.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/png");
    assert_eq!(response.bytes().await.unwrap().as_ref(), png.as_slice());
}

#[tokio::test(flavor = "multi_thread")]
async fn head_options_and_other_methods_on_a_get_route() {
    let site = Site::start(|_| {}).await;
    // HEAD: the GET route runs (seeing HEAD), the server sends its headers and no body.
    let head = site.request("HEAD", "/page").send().await.unwrap();
    assert_eq!(head.status(), 201);
    assert_eq!(head.headers()["x-wasmfn-test"], "yes");
    assert_eq!(head.headers()["content-length"], "39");
    assert!(head.bytes().await.unwrap().is_empty());
    let (_, seen) = site.json("HEAD", "/hello/x").await;
    assert_eq!(seen, Value::Null, "HEAD has no body");

    // OPTIONS without an OPTIONS route: 204 and what the path takes.
    let options = site.request("OPTIONS", "/page").send().await.unwrap();
    assert_eq!(options.status(), 204);
    assert_eq!(options.headers()["allow"], "GET, HEAD, OPTIONS");

    // Any other method: 405, JSON, and the same Allow.
    let refused = site.request("DELETE", "/page").send().await.unwrap();
    assert_eq!(refused.status(), 405);
    assert_eq!(refused.headers()["allow"], "GET, HEAD, OPTIONS");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed");
}

#[tokio::test(flavor = "multi_thread")]
async fn unmatched_paths_get_a_json_404_and_the_api_still_answers() {
    let site = Site::start(|_| {}).await;
    let (status, body) = site.json("GET", "/nope").await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("route_not_found")));
    let (status, body) = site.json("GET", "/page/extra").await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("route_not_found")));
    let (status, body) = site.json("GET", "/api/health").await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
}

#[tokio::test(flavor = "multi_thread")]
async fn limits_and_errors_are_json_with_their_status() {
    let site = Site::start(|_| {}).await;
    // Request body over http.max_request_body (1 MiB).
    let response =
        site.request("POST", "/echo").body(vec![0u8; 1024 * 1024 + 1]).send().await.unwrap();
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "payload_too_large");

    // Response body over http.max_response_body (256 KiB): the function is named.
    let (status, body) = site.json("GET", "/big").await;
    assert_eq!((status, body["error"]["code"].as_str()), (500, Some("invalid_response")));
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("function site") && message.contains("max_response_body"),
        "{message}"
    );

    // The handler's own error: its code and status.
    let (status, body) = site.json("GET", "/fails").await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")));

    // A routed function has no JSON handler: the JSON API says so.
    let (status, body) = site.json("POST", "/api/functions/site").await;
    assert_eq!((status, body["error"]["code"].as_str()), (501, Some("handler_missing")), "{body}");

    // And the host is alive.
    assert_eq!(site.request("GET", "/page").send().await.unwrap().status(), 201);
}

#[tokio::test(flavor = "multi_thread")]
async fn two_manifests_claiming_one_route_are_both_named() {
    let dir = FunctionsDir::new();
    dir.add_testbed("alpha", "routes: [\"GET /hello/{name}\"]\n");
    dir.add_testbed("beta", "routes: [\"ANY /hello/{who}\", \"GET /beta\"]\n");
    // A parameter and a catch-all at one place cannot be told apart, whatever the methods.
    dir.add_testbed("gamma", "routes: [\"POST /hello/**\"]\n");
    let functions = dir.functions();
    let registry = functions.registry();
    assert!(registry.get("alpha").unwrap().current().is_some());
    for (loser, route) in [("beta", "ANY /hello/{who}"), ("gamma", "POST /hello/{*rest}")] {
        let entry = registry.get(loser).unwrap();
        assert!(entry.current().is_none(), "{loser} must be disabled");
        let error = entry.last_error().unwrap().to_string();
        let alpha = dir.path().join("alpha/manifest.yaml");
        let own = dir.path().join(format!("{loser}/manifest.yaml"));
        assert!(error.contains(route), "{error}");
        for file in [alpha, own] {
            let file = std::fs::canonicalize(file).unwrap();
            assert!(
                error.contains(&file.display().to_string()),
                "{error} names {}",
                file.display()
            );
        }
    }
    // The winner serves; the loser's other route is not served either.
    let addr = serve(functions.app()).await;
    let client = reqwest::Client::new();
    let hello = client.get(format!("http://{addr}/hello/x")).send().await.unwrap();
    assert_eq!(hello.status(), 200);
    let beta = client.get(format!("http://{addr}/beta")).send().await.unwrap();
    assert_eq!(beta.status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reload_that_changes_routes_takes_effect_at_once() {
    let dir = FunctionsDir::new();
    let folder = dir.add_testbed("site", "routes: [\"GET /page\"]\n");
    let functions = dir.functions();
    let addr = serve(functions.app()).await;
    let client = reqwest::Client::new();
    let status = |path: &'static str| {
        let client = client.clone();
        async move { client.get(format!("http://{addr}{path}")).send().await.unwrap().status() }
    };
    assert_eq!(status("/page").await, 201);
    assert_eq!(status("/hello/x").await, 404);
    std::fs::write(folder.join("manifest.yaml"), "name: site\nroutes: [\"GET /hello/{name}\"]\n")
        .unwrap();
    functions.registry().reload("site").unwrap().unwrap();
    assert_eq!(status("/page").await, 404);
    assert_eq!(status("/hello/x").await, 200);
    functions.registry().unload("site");
    assert_eq!(status("/hello/x").await, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_layer_serves_routes_in_front_of_an_app() {
    let dir = FunctionsDir::new();
    dir.add_testbed("site", SITE);
    let functions = dir.functions();
    let app = Router::new()
        .route("/", get(|| async { "the app" }))
        .route("/page", get(|| async { "shadowed by the function" }))
        .layer(functions.layer());
    let app = Client::new(serve(app).await);
    assert_eq!(app.text("/").await, (200, "the app".to_owned()));
    assert_eq!(app.text("/page").await.0, 201);
    assert_eq!(app.text("/hello/x").await.0, 200);
    // The app's own 404 (axum's, empty), not the functions'.
    assert_eq!(app.text("/nope").await, (404, String::new()));
}

#[tokio::test(flavor = "multi_thread")]
async fn routes_merged_into_an_app_or_as_its_fallback_serve_and_leave_other_paths_alone() {
    let dir = FunctionsDir::new();
    dir.add_testbed("site", SITE);
    let functions = dir.functions();
    let merged = Router::new().route("/", get(|| async { "the app" })).merge(functions.routes());
    let as_fallback = Router::new()
        .route("/", get(|| async { "the app" }))
        .merge(functions.router())
        .fallback_service(functions.routes());
    for app in [merged, as_fallback] {
        let app = Client::new(serve(app).await);
        assert_eq!(app.text("/").await, (200, "the app".to_owned()));
        assert_eq!(app.text("/page").await.0, 201);
        assert_eq!(app.text("/api/health").await.0, 200);
        assert_eq!(app.text("/nope").await, (404, String::new()));
    }
}

const PYTHON_SITE: &str = r#"
import json, os, sys
head = json.loads(sys.stdin.buffer.readline())
body = sys.stdin.buffer.read()
assert os.environ["WASMFN_HANDLER"] == "http"
if head["path"] == "/py/bad":
    sys.stdout.write(json.dumps({"status": 99}) + "\n")
else:
    out = {"status": 202, "headers": [["content-type", "application/octet-stream"], ["x-route", head["route"]], ["x-param", head["params"]["id"]]]}
    sys.stdout.buffer.write(json.dumps(out).encode() + b"\n" + body[::-1])
"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_process_function_gets_the_same_request_and_response_shape() {
    let site = Site::start(|dir| {
        let folder = dir.add_manifest_only(
            "py-site",
            "name: py-site\nruntime: process\nprocess:\n  entry: main.py\nroutes: [\"POST /py/{id}\"]\n",
        );
        std::fs::write(folder.join("main.py"), PYTHON_SITE).unwrap();
    })
    .await;
    let response =
        site.request("POST", "/py/42").body(b"\x00\x01\xff".to_vec()).send().await.unwrap();
    assert_eq!(response.status(), 202);
    assert_eq!(response.headers()["x-route"], "POST /py/{id}");
    assert_eq!(response.headers()["x-param"], "42");
    assert_eq!(response.bytes().await.unwrap().as_ref(), b"\xff\x01\x00");

    // Its JSON API is refused like a wasm function's: it answers HTTP only.
    let (status, body) = site.json("POST", "/api/functions/py-site").await;
    assert_eq!((status, body["error"]["code"].as_str()), (501, Some("handler_missing")), "{body}");

    let (status, body) = site.json("POST", "/py/bad").await;
    assert_eq!((status, body["error"]["code"].as_str()), (500, Some("invalid_response")));
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("function py-site") && message.contains("status 99"), "{message}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rust_guest_fetches_allowed_hosts_only() {
    let upstream = Upstream::start().await;
    let dir = FunctionsDir::new();
    dir.add_testbed("fetcher", "export: fetch\nallowed_hosts: [127.0.0.1]\n");
    let functions = dir.functions();
    let fetch = |url: String| support::call(&functions, "fetcher", json!({ "url": url }));
    let ok = fetch(upstream.url("/data")).await.unwrap();
    assert_eq!(ok, json!({ "status": 200, "body": "fetched" }));
    assert_eq!(upstream.hits(), 1);
    // `localhost` is the same server, but not in allowed_hosts: refused before any request.
    let url = format!("http://localhost:{}/data", upstream.addr.port());
    let error = fetch(url).await.unwrap_err();
    assert_eq!(error.code(), "host_not_allowed", "{error}");
    assert!(
        error.to_string().contains("localhost is not in the manifest's allowed_hosts"),
        "{error}"
    );
    assert_eq!(upstream.hits(), 1, "the refused request reached the server");
    // A redirect to it is refused too: only the redirecting request reached the server.
    let error = fetch(upstream.url("/away")).await.unwrap_err();
    assert_eq!(error.code(), "host_not_allowed", "{error}");
    assert!(error.to_string().contains("a redirect to http://localhost"), "{error}");
    assert_eq!(upstream.hits(), 2);
}
