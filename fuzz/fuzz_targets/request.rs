//! Any method, path and body sent to the HTTP API: an answer with a JSON body, never a panic;
//! and the input check every call passes accepts only UTF-8 JSON nested at most 128 deep.
#![no_main]

use std::sync::LazyLock;

use axum::{Router, body::Body};
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

static RUNTIME: LazyLock<tokio::runtime::Runtime> =
    LazyLock::new(|| tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap());
static ROUTER: LazyLock<Router> =
    LazyLock::new(|| wasmfn::Functions::builder().build().unwrap().app());

fuzz_target!(|input: (&[u8], &[u8], &[u8])| {
    let (method, path, body) = input;
    if wasmfn::fuzzing::check_input(body).is_ok() {
        assert!(std::str::from_utf8(body).is_ok());
    }
    let Ok(method) = http::Method::from_bytes(method) else { return };
    let Ok(uri) = http::Uri::from_maybe_shared(path.to_vec()) else { return };
    let request = http::Request::builder().method(method).uri(uri).body(Body::from(body.to_vec()));
    let Ok(request) = request else { return };
    let response = RUNTIME.block_on(ROUTER.clone().oneshot(request)).unwrap();
    let json = response.headers().get("content-type").is_some_and(|t| t == "application/json");
    assert!(json, "{} without a JSON body", response.status());
});
