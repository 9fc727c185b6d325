//! Calling the host app's own API from a function.
//!
//! The host sends the request to the app (in-process through its router, or to its base URL)
//! with a token minted for this one call, holding the scopes the manifest's `api.scopes`
//! grant. A request no scope covers gets a 403 `scope_denied` response without reaching the
//! app. The token is never visible to the function.
//!
//! ```no_run
//! use serde_json::json;
//! use wasmfn_pdk::api;
//!
//! # fn run() -> wasmfn_pdk::Result<()> {
//! let note: serde_json::Value = api::get("/api/notes/7")?.error_for_status()?.json()?;
//! api::post("/api/audit", &json!({ "note": note["id"], "action": "viewed" }))?
//!     .error_for_status()?;
//! # Ok(()) }
//! ```
//!
//! Outside wasm (unit tests) every request fails with `host_api_unavailable`.

use std::collections::BTreeMap;

use serde::{Serialize, de::DeserializeOwned};
use wasmfn_schema::wire::{ApiRequest, ApiResponse, ApiResult, codes};

use crate::Error;

/// `GET path`.
pub fn get(path: &str) -> Result<Response, Error> {
    Request::new("GET", path).send()
}

/// `POST path` with `body` as JSON.
pub fn post<T: Serialize + ?Sized>(path: &str, body: &T) -> Result<Response, Error> {
    Request::new("POST", path).json(body)?.send()
}

/// `PUT path` with `body` as JSON.
pub fn put<T: Serialize + ?Sized>(path: &str, body: &T) -> Result<Response, Error> {
    Request::new("PUT", path).json(body)?.send()
}

/// `DELETE path`.
pub fn delete(path: &str) -> Result<Response, Error> {
    Request::new("DELETE", path).send()
}

/// A request to the host app's API, for what the shortcuts ([`get`], [`post`], ...) do not
/// cover.
///
/// ```
/// let request = wasmfn_pdk::api::Request::new("PATCH", "/api/notes/7")
///     .header("if-match", "\"v3\"")
///     .body(r#"{"title":"new"}"#);
/// let err = request.send().unwrap_err(); // outside wasm there is no host
/// assert_eq!(err.code(), "host_api_unavailable");
/// ```
#[derive(Clone, Debug)]
pub struct Request {
    inner: ApiRequest,
}

impl Request {
    /// A request with `method` (`GET`, `POST`, ...) for `path` (with its query, if any).
    pub fn new(method: &str, path: &str) -> Self {
        Self {
            inner: ApiRequest {
                method: method.to_ascii_uppercase(),
                path: path.to_owned(),
                headers: BTreeMap::new(),
                body: None,
            },
        }
    }

    /// Adds a header (the host sets `authorization` itself).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.inner.headers.insert(name.to_ascii_lowercase(), value.to_owned());
        self
    }

    /// Sets the body as text.
    pub fn body(mut self, body: impl Into<String>) -> Self {
        self.inner.body = Some(body.into());
        self
    }

    /// Sets the body to `value` as JSON, with `content-type: application/json`.
    pub fn json<T: Serialize + ?Sized>(self, value: &T) -> Result<Self, Error> {
        let body = serde_json::to_string(value).map_err(|e| {
            Error::new(codes::INVALID_INPUT, format!("the request body is not JSON: {e}"))
        })?;
        Ok(self.header("content-type", "application/json").body(body))
    }

    /// Sends the request and waits for the app's response (any status). Fails only when
    /// there is no response: no API connected, the call's time ran out, the app failed.
    pub fn send(self) -> Result<Response, Error> {
        let (method, path) = (self.inner.method.clone(), self.inner.path.clone());
        match crate::abi::api_request(self.inner) {
            ApiResult::Response(inner) => Ok(Response { method, path, inner }),
            ApiResult::Error(error) => Err(Error::new(error.code, error.message)),
        }
    }
}

/// The app's response to a [`Request`].
#[derive(Clone, Debug)]
pub struct Response {
    method: String,
    path: String,
    inner: ApiResponse,
}

impl Response {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.inner.status
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.inner.status)
    }

    /// A header's value (names are case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.inner.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }

    /// The body as text.
    pub fn text(&self) -> &str {
        &self.inner.body
    }

    /// The body parsed as JSON into `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_str(&self.inner.body).map_err(|e| {
            Error::new(
                codes::HOST_API_FAILED,
                format!(
                    "{} {} answered with a body that is not the JSON expected: {e}",
                    self.method, self.path
                ),
            )
        })
    }

    /// The response itself when its status is 2xx, else an error with code `host_api_status`
    /// naming the request, the status and the body.
    pub fn error_for_status(self) -> Result<Self, Error> {
        if self.is_success() {
            return Ok(self);
        }
        Err(Error::new(
            "host_api_status",
            format!(
                "{} {} answered {}: {}",
                self.method, self.path, self.inner.status, self.inner.body
            ),
        ))
    }
}
