//! The one HTTP client of the tests: [`Api`] (reqwest, async) against a server on a loopback
//! port, [`HttpLoad`] for many clients at once, and [`request`], a raw HTTP/1.1 exchange over
//! one `Connection: close` socket for tests that run outside tokio (the CLI's).

use std::{net::SocketAddr, time::Duration};

/// A real HTTP client for a router served on a loopback port.
pub struct Api {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
}

impl Api {
    /// Serves `router` until the test ends.
    pub async fn serve(router: axum::Router) -> Self {
        Self { addr: serve(router).await, client: reqwest::Client::new() }
    }

    /// `POST /api/functions/{name}` with a JSON body: the status and the JSON answer (`Null`
    /// when it is not JSON).
    pub async fn post(
        &self,
        name: &str,
        body: impl Into<reqwest::Body>,
    ) -> (u16, serde_json::Value) {
        let response = self
            .client
            .post(format!("http://{}/api/functions/{name}", self.addr))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(serde_json::Value::Null))
    }

    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        let response = self.client.get(format!("http://{}{path}", self.addr)).send().await.unwrap();
        (response.status().as_u16(), response.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// A call that must fail: its status, error code and message.
    pub async fn fail(&self, name: &str, body: impl Into<reqwest::Body>) -> (u16, String, String) {
        let (status, body) = self.post(name, body).await;
        let code = body["error"]["code"].as_str().unwrap_or_else(|| panic!("not an error: {body}"));
        (status, code.to_owned(), body["error"]["message"].as_str().unwrap().to_owned())
    }
}

/// A client for one server: requests by method and path, answers as JSON or text.
pub struct Client {
    pub base: String,
    pub client: reqwest::Client,
}

impl Client {
    pub fn new(addr: SocketAddr) -> Self {
        Self { base: format!("http://{addr}"), client: reqwest::Client::new() }
    }

    pub fn request(&self, method: &str, path: &str) -> reqwest::RequestBuilder {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        self.client.request(method, format!("{}{path}", self.base))
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.request("GET", path)
    }

    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.request("POST", path)
    }

    /// The status and the JSON answer (`Null` when it is not JSON).
    pub async fn json(&self, method: &str, path: &str) -> (u16, serde_json::Value) {
        let response = self.request(method, path).send().await.unwrap();
        (response.status().as_u16(), response.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// `GET path`: the status and the body as text.
    pub async fn text(&self, path: &str) -> (u16, String) {
        let response = self.get(path).send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }
}

/// Serves `router` on a loopback port until the test ends.
pub async fn serve(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

/// What an [`HttpLoad`] saw.
#[derive(Debug, Default)]
pub struct LoadReport {
    pub succeeded: u64,
    pub failed: u64,
    /// The first few failures: status and body.
    pub failures: Vec<String>,
}

/// Clients posting to a function over HTTP in a loop, each waiting for its answer, until
/// stopped.
pub struct HttpLoad {
    stop: tokio::sync::watch::Sender<bool>,
    clients: Vec<tokio::task::JoinHandle<LoadReport>>,
}

impl HttpLoad {
    pub fn start(addr: SocketAddr, function: &str, clients: usize) -> Self {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let url = format!("http://{addr}/api/functions/{function}");
        let clients = (0..clients)
            .map(|client| {
                let url = url.clone();
                let stopped = stopped.clone();
                tokio::spawn(async move {
                    let http = reqwest::Client::new();
                    let mut report = LoadReport::default();
                    let mut n = 0u64;
                    while !*stopped.borrow() {
                        n += 1;
                        let body = format!(r#"{{"client":{client},"n":{n}}}"#);
                        let response = http.post(&url).body(body.clone()).send().await;
                        let outcome = match response {
                            Ok(r) if r.status() == 200 => match r.text().await {
                                Ok(text) if text == body => Ok(()),
                                Ok(text) => Err(format!("200 with {text:?}, sent {body:?}")),
                                Err(e) => Err(e.to_string()),
                            },
                            Ok(r) => Err(format!(
                                "{} {}",
                                r.status(),
                                r.text().await.unwrap_or_default()
                            )),
                            Err(e) => Err(e.to_string()),
                        };
                        match outcome {
                            Ok(()) => report.succeeded += 1,
                            Err(failure) => {
                                report.failed += 1;
                                if report.failures.len() < 5 {
                                    report.failures.push(failure);
                                }
                            }
                        }
                    }
                    report
                })
            })
            .collect();
        Self { stop, clients }
    }

    pub async fn stop(self) -> LoadReport {
        self.stop.send(true).unwrap();
        let mut total = LoadReport::default();
        for client in self.clients {
            let report = client.await.unwrap();
            total.succeeded += report.succeeded;
            total.failed += report.failed;
            total.failures.extend(report.failures);
        }
        total
    }
}

/// A raw `method path` exchange without a body: the status and the body as text.
pub fn request_text(addr: &str, method: &str, path: &str) -> (u16, String) {
    exchange(addr, method, path, "", "")
}

/// A raw HTTP/1.1 exchange, so the test needs no client library.
pub fn request(addr: &str, method: &str, path: &str, body: &str) -> (u16, serde_json::Value) {
    request_with(addr, method, path, &[], body)
}

/// [`request`] with extra headers.
pub fn request_with(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, serde_json::Value) {
    let headers: String =
        headers.iter().map(|(name, value)| format!("{name}: {value}\r\n")).collect();
    let headers =
        format!("Content-Type: application/json\r\n{headers}Content-Length: {}\r\n", body.len());
    let (status, body) = exchange(addr, method, path, &headers, body);
    (status, serde_json::from_str(&body).unwrap_or(serde_json::Value::Null))
}

/// One request over its own `Connection: close` socket (`headers`: whole lines, CRLF
/// included): the status and the body as text.
fn exchange(addr: &str, method: &str, path: &str, headers: &str, body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    // A server that stopped answering fails the test instead of hanging it.
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}Connection: close\r\n\r\n{body}"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let (_, body) = response.split_once("\r\n\r\n").unwrap();
    (status, body.to_owned())
}

/// A loopback server for functions to call out to, counting the requests that reach it:
/// `GET /data` ("fetched"), `POST /greet` (JSON `{"name"}` in, `{"greeting"}` out), `GET /slow`
/// (answers after 30 s), `GET /away` (a redirect to the same server as `localhost`, for an
/// allow-list that only names `127.0.0.1`).
pub struct Upstream {
    pub addr: SocketAddr,
    hits: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Upstream {
    pub async fn start() -> Self {
        use std::sync::{
            Arc,
            atomic::{AtomicU64, Ordering},
        };

        use axum::{
            Json,
            routing::{get, post},
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let away = format!("http://localhost:{}/data", addr.port());
        let hits = Arc::new(AtomicU64::new(0));
        let counted = Arc::clone(&hits);
        let app = axum::Router::new()
            .route("/data", get(|| async { "fetched" }))
            .route(
                "/greet",
                post(|Json(body): Json<serde_json::Value>| async move {
                    let name = body["name"].as_str().unwrap_or("?").to_owned();
                    Json(serde_json::json!({ "greeting": format!("Hello, {name}!") }))
                }),
            )
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    "late"
                }),
            )
            .route("/away", get(move || async move { axum::response::Redirect::temporary(&away) }))
            .layer(axum::middleware::from_fn(move |request, next: axum::middleware::Next| {
                counted.fetch_add(1, Ordering::SeqCst);
                next.run(request)
            }));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { addr, hits }
    }

    /// How many requests reached the server.
    pub fn hits(&self) -> u64 {
        self.hits.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}
