//! A TS function answering its routes with the web's `Request`/`Response`, and calling out with
//! `fetch` (and ofetch, an npm client built on it), through the real server.

use serde_json::{Value, json};
use wasmfn_test_support::{
    self as support, FunctionsDir,
    http::{Client, Upstream, serve},
};

const ROUTES: &str = r#"routes:
  - GET /js/page
  - GET /js/hello/{name}
  - POST /js/echo
  - POST /js/form
  - GET /js/fetch
  - GET /js/ofetch
  - GET /js/bad-status
  - GET /js/not-a-response
allowed_hosts: [127.0.0.1]
timeout: 2s
"#;

struct Site {
    _dir: FunctionsDir,
    http: Client,
}

impl Site {
    async fn start() -> Self {
        let dir = FunctionsDir::new();
        dir.add("site", ROUTES, built());
        let addr = serve(dir.functions().app()).await;
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
async fn a_ts_route_answers_html_with_status_cookies_and_headers() {
    let site = Site::start().await;
    let response = site.get("/js/page").send().await.unwrap();
    assert_eq!(response.status(), 201);
    let cookies: Vec<_> = response.headers().get_all("set-cookie").iter().collect();
    assert_eq!(cookies, ["a=1; Path=/", "b=2; Path=/"]);
    assert_eq!(response.headers()["x-wasmfn-test"], "ts");
    assert_eq!(response.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(response.text().await.unwrap(), "<!doctype html><h1>Hello from TS</h1>");
}

#[tokio::test(flavor = "multi_thread")]
async fn params_query_and_headers_reach_the_request() {
    let site = Site::start().await;
    let response = site.get("/js/hello/Ada%20L%C3%A9?q=a%26b").header("accept", "text/x-test");
    let response = response.send().await.unwrap();
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({ "method": "GET", "name": "Ada Lé", "q": "a&b", "accept": "text/x-test" })
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn binary_bodies_and_forms_round_trip() {
    let site = Site::start().await;
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend((0..=255u8).cycle().take(50_000));
    let response = site.post("/js/echo").header("content-type", "image/png").body(png.clone());
    let response = response.send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/png");
    assert_eq!(response.bytes().await.unwrap().as_ref(), png.as_slice());

    let form = site.post("/js/form").form(&[("name", "Ada Lé"), ("tags", "a&b")]);
    let body: Value = form.send().await.unwrap().json().await.unwrap();
    assert_eq!(body, json!({ "name": "Ada Lé", "tags": "a&b" }));

    let multipart = reqwest::multipart::Form::new().text("title", "hé").part(
        "file",
        reqwest::multipart::Part::bytes(b"line 1\r\nline 2".to_vec())
            .file_name("notes.txt")
            .mime_str("text/plain")
            .unwrap(),
    );
    let response = site.post("/js/form").multipart(multipart).send().await.unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({
            "title": "hé",
            "file": { "name": "notes.txt", "type": "text/plain", "size": 14, "text": "line 1\r\nline 2" },
        })
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_responses_are_500s_naming_the_function() {
    let site = Site::start().await;
    // The web's Response refuses a status outside 200-599 itself (a RangeError).
    let (status, body) = site.json("GET", "/js/bad-status?status=99").await;
    assert_eq!(status, 500, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("RangeError"), "{body}");
    let (status, body) = site.json("GET", "/js/not-a-response").await;
    assert_eq!(status, 500, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("site") && message.contains("must return a Response"), "{message}");
    // The JSON API has no handler for a function with routes.
    let response = site.post("/api/functions/site").send().await.unwrap();
    assert_eq!(response.status(), 501);
}

#[tokio::test(flavor = "multi_thread")]
async fn fetch_reaches_allowed_hosts_and_is_refused_elsewhere_without_a_request() {
    let upstream = Upstream::start().await;
    let site = Site::start().await;
    let url = |target: &str| format!("/js/fetch?url={}", urlencode(target));

    let (status, body) = site.json("GET", &url(&upstream.url("/data"))).await;
    assert_eq!((status, body), (200, json!({ "status": 200, "body": "fetched" })));
    assert_eq!(upstream.hits(), 1);

    // `localhost` is the same server but not in allowed_hosts: a rejected promise with a
    // TypeError, and the server never sees the request.
    let refused = format!("http://localhost:{}/data", upstream.addr.port());
    let (status, body) = site.json("GET", &url(&refused)).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["error"], "TypeError");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("localhost is not in the manifest's allowed_hosts"), "{message}");
    assert_eq!(upstream.hits(), 1);

    // A redirect to it is checked the same way.
    let (status, body) = site.json("GET", &url(&upstream.url("/away"))).await;
    assert_eq!(status, 502, "{body}");
    assert!(body["message"].as_str().unwrap().contains("a redirect to http://localhost"), "{body}");
    assert_eq!(upstream.hits(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_npm_client_built_on_fetch_works_unmodified() {
    let upstream = Upstream::start().await;
    let site = Site::start().await;
    let (status, body) =
        site.json("GET", &format!("/js/ofetch?url={}", urlencode(&upstream.url("/greet")))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({ "via": "ofetch", "data": { "greeting": "Hello, ofetch!" } }));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_server_runs_into_the_calls_timeout() {
    let upstream = Upstream::start().await;
    let site = Site::start().await;
    let (status, body) =
        site.json("GET", &format!("/js/fetch?url={}", urlencode(&upstream.url("/slow")))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (504, Some("timeout")), "{body}");
    // The function serves the next request.
    assert_eq!(site.get("/js/page").send().await.unwrap().status(), 201);
}

/// The fixture, bundled and pre-initialized once for every test here.
fn built() -> &'static [u8] {
    static BUILT: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| {
        let scratch = FunctionsDir::new();
        let source = support::repo_root().join("host/tests/js/http-site");
        scratch.add_js("site", &source, ROUTES, true);
        std::fs::read(scratch.path().join("site/plugin.wasm")).unwrap()
    })
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
