//! A guest that misbehaves on request, for the host's tests and benchmarks.

use std::hint::black_box;

use serde::Deserialize;
use serde_json::{Value, json};
use wasmfn_pdk::{Error, api, config, http, info};

#[derive(Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum Op {
    Echo {
        value: Value,
    },
    Fail {
        code: String,
        message: String,
    },
    Panic {
        message: String,
    },
    Loop,
    Spin {
        iterations: u64,
        /// Logged before spinning: a test waits for it to know the call has started.
        #[serde(default)]
        announce: Option<String>,
    },
    Alloc {
        mib: usize,
    },
    Log {
        message: String,
        /// How many times (default once).
        #[serde(default = "once")]
        times: u32,
    },
    Config {
        key: String,
    },
    Output {
        bytes: usize,
    },
    /// Requests to the host app's API, spinning `spin_between` iterations between them.
    Api {
        requests: Vec<ApiCall>,
        #[serde(default)]
        spin_between: u64,
    },
    /// A plain outbound HTTP GET (Extism's, limited to the manifest's `allowed_hosts`).
    Fetch {
        url: String,
    },
}

#[derive(Deserialize)]
struct ApiCall {
    method: String,
    path: String,
    #[serde(default)]
    body: Option<Value>,
}

fn once() -> u32 {
    1
}

fn spin(iterations: u64) -> u64 {
    let mut x = 0u64;
    for i in 0..iterations {
        x = black_box(x.wrapping_mul(31).wrapping_add(i));
    }
    x
}

#[wasmfn_pdk::function]
fn handle(op: Op) -> Result<Value, Error> {
    Ok(match op {
        Op::Echo { value } => value,
        Op::Fail { code, message } => return Err(Error::new(code, message)),
        Op::Panic { message } => panic!("{message}"),
        #[allow(clippy::empty_loop)]
        Op::Loop => loop {},
        Op::Spin { iterations, announce } => {
            if let Some(announce) = announce {
                info!("{announce}");
            }
            json!({ "spun": iterations, "x": spin(iterations) })
        }
        Op::Alloc { mib } => {
            let mut chunks = Vec::new();
            for _ in 0..mib {
                chunks.push(vec![1u8; 1 << 20]);
            }
            json!({ "allocated_mib": black_box(chunks).len() })
        }
        Op::Log { message, times } => {
            for _ in 0..times {
                info!("{message}");
            }
            json!({ "logged": true })
        }
        Op::Config { key } => json!({ "value": config::get(&key) }),
        Op::Output { bytes } => json!("x".repeat(bytes)),
        Op::Api { requests, spin_between } => {
            let mut answers = Vec::new();
            for (i, call) in requests.into_iter().enumerate() {
                if i > 0 {
                    black_box(spin(spin_between));
                }
                let mut request = api::Request::new(&call.method, &call.path);
                if let Some(body) = &call.body {
                    request = request.json(body)?;
                }
                answers.push(match request.send() {
                    Ok(response) => json!({ "status": response.status(), "body": response.text() }),
                    Err(e) => json!({ "error": { "code": e.code(), "message": e.message() } }),
                });
            }
            json!(answers)
        }
        Op::Fetch { url } => {
            let response =
                extism_pdk::http::request::<()>(&extism_pdk::HttpRequest::new(&url), None)
                    .map_err(|e| Error::new("fetch_failed", e.to_string()))?;
            json!({ "status": response.status_code(), "body": String::from_utf8_lossy(&response.body()) })
        }
    })
}

/// Returns its input unchanged: the cheapest possible call, for benchmarks.
#[wasmfn_pdk::function]
fn echo(input: Value) -> Result<Value, Error> {
    Ok(input)
}

/// Spins for the manifest's `config.iterations`, whatever the input, then echoes the input:
/// a slow function for triggers (schedules, webhooks) whose input the test does not choose.
#[wasmfn_pdk::function]
fn slow_echo(input: Value) -> Result<Value, Error> {
    let iterations: u64 = config::require("iterations")?.parse()?;
    black_box(spin(iterations));
    Ok(input)
}

/// Logs its input as one line (`recorded {json}`) and returns it: a trigger's run, visible in
/// the host's log whichever replica made it.
#[wasmfn_pdk::function]
fn record(input: Value) -> Result<Value, Error> {
    info!("recorded {input}");
    Ok(input)
}

/// Always crashes (a trap, 500): a trigger's retries and dead letters.
#[wasmfn_pdk::function]
fn crash(input: Value) -> Result<Value, Error> {
    panic!("crash on purpose: {input}");
}

/// A plain Extism plugin export (no wasmfn PDK): upper-cases text, fails on empty input with
/// a plain-text error, as existing Extism plugins do.
#[extism_pdk::plugin_fn]
pub fn raw_upper(input: String) -> extism_pdk::FnResult<String> {
    if input.is_empty() {
        return Err(extism_pdk::WithReturnCode::new(extism_pdk::Error::msg("empty input"), 1));
    }
    Ok(input.to_uppercase())
}

/// The testbed's routes (`http` export): one handler, steered by the matched route's path.
#[wasmfn_pdk::http]
fn site(request: http::Request) -> Result<http::Response, Error> {
    use http::{Html, IntoResponse, RequestExt, StatusCode};

    let route = request.extensions().get::<http::MatchedRoute>().map(|r| r.0.clone());
    let response = match route.as_deref().unwrap_or_default() {
        "GET /page" => (
            StatusCode::CREATED,
            [("set-cookie", "session=abc; HttpOnly"), ("x-wasmfn-test", "yes")],
            Html("<!doctype html><h1>Hello from Rust</h1>"),
        )
            .into_response(),
        "GET /hello/{name}" => http::Json(serde_json::json!({
            "method": request.method().as_str(),
            "name": request.param("name"),
            "q": request.query("q"),
            "uri": request.uri().to_string(),
        }))
        .into_response(),
        "POST /echo" => {
            let content_type = request.headers().get("content-type").cloned();
            let mut response = request.into_body().into_bytes().into_response();
            if let Some(content_type) = content_type {
                response.headers_mut().insert("content-type", content_type);
            }
            response
        }
        "GET /big" => vec![b'x'; 300 * 1024].into_response(),
        "GET /fails" => return Err(Error::not_found("nothing here")),
        other => (StatusCode::NOT_FOUND, format!("no handler for {other}")).into_response(),
    };
    Ok(response)
}

/// Fetches `url` through the host (`wasmfn_pdk::http::send`): its status and text body.
#[wasmfn_pdk::function]
fn fetch(input: Value) -> Result<Value, Error> {
    let url = input["url"].as_str().unwrap_or_default();
    let mut request = http::Request::new(http::Body::default());
    *request.uri_mut() = url.parse().map_err(|e| Error::invalid_input(format!("{e}")))?;
    let response = http::send(request)?;
    Ok(serde_json::json!({
        "status": response.status().as_u16(),
        "body": response.body().text()?,
    }))
}
