//! What crosses the boundary between the host, its callers and guests.
//!
//! A call's input and output are plain JSON documents (the bytes passed to and returned by the
//! guest's export), so any Extism plugin works unchanged. When a call fails, a wasmfn guest
//! sets a [`GuestError`] as its Extism error string; the host answers callers with an
//! [`ErrorBody`].
//!
//! ```
//! use wasmfn_schema::wire::{ErrorBody, GuestError};
//!
//! let from_guest = GuestError::new("not_found", "no user 42");
//! let text = from_guest.to_json();
//! assert_eq!(GuestError::from_json(&text), Some(from_guest.clone()));
//!
//! let body = ErrorBody::new(from_guest.code, from_guest.message);
//! assert_eq!(
//!     serde_json::to_value(&body).unwrap(),
//!     serde_json::json!({ "error": { "code": "not_found", "message": "no user 42" } })
//! );
//! ```

pub mod http;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A failure reported by a guest: a machine-readable `code` and a human-readable `message`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct GuestError {
    /// A short snake_case code callers can match on, like `invalid_input` or `not_found`.
    pub code: String,
    /// What went wrong, for people.
    pub message: String,
    /// The HTTP status the guest wants callers to get (400-599); without it the host picks
    /// one from the code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
}

impl GuestError {
    /// A guest error with the given code and message.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self { code: code.into(), message: message.into(), status: None }
    }

    /// Encodes the error as the guest's Extism error string.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("two strings serialize")
    }

    /// Decodes an Extism error string, if it came from a wasmfn guest.
    pub fn from_json(text: &str) -> Option<Self> {
        serde_json::from_str(text).ok()
    }
}

/// The JSON body of every error response: `{ "error": { "code": ..., "message": ... } }`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

impl ErrorBody {
    /// An error body with the given code and message.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self { error: ErrorDetail { code: code.into(), message: message.into() } }
    }
}

/// The inside of an [`ErrorBody`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct ErrorDetail {
    /// A short snake_case code, stable across versions; see [`codes`].
    pub code: String,
    /// What went wrong, for people.
    pub message: String,
}

/// A log record a guest sends to the host's `tracing` (host function `wasmfn_log`).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct LogRecord {
    /// `error`, `warn`, `info`, `debug` or `trace`.
    pub level: String,
    /// The message.
    pub message: String,
    /// Structured fields, recorded as JSON.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub fields: serde_json::Map<String, serde_json::Value>,
}

/// A request a guest makes to the host app's own API (host function `wasmfn_api_request`).
/// The host adds the call's token; the guest never sees it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct ApiRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path and query, starting with `/`, like `/api/notes?limit=10`.
    pub path: String,
    /// Request headers (an `authorization` header is replaced by the host's).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// The body, as text (usually JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// The app's answer to an [`ApiRequest`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct ApiResponse {
    /// The HTTP status: 403 with code `scope_denied` when no scope of the manifest allows the
    /// request (it never reached the app).
    pub status: u16,
    /// Response headers (names in lowercase).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// The body, as text (bytes that are not UTF-8 are replaced).
    #[serde(default)]
    pub body: String,
}

/// What the host returns for an [`ApiRequest`]: the app's response, or why there is none
/// (`{"response": ...}` or `{"error": {"code", "message"}}`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiResult {
    /// The app answered (whatever the status).
    Response(ApiResponse),
    /// The request could not be made: no app API is connected, the call ran out of time,
    /// the app's service failed.
    Error(ErrorDetail),
}

/// The error codes wasmfn itself uses. Guests may use their own, and of these the ones that
/// describe their answer (`invalid_input`, `not_found`, `scope_denied`, ...); the codes of
/// host faults are [reserved](codes::is_reserved).
pub mod codes {
    /// The input was not what the function accepts.
    pub const INVALID_INPUT: &str = "invalid_input";
    /// The guest failed without saying why in wasmfn's format.
    pub const GUEST_ERROR: &str = "guest_error";
    /// The guest trapped or panicked.
    pub const TRAP: &str = "trap";
    /// The call ran past its time limit.
    pub const TIMEOUT: &str = "timeout";
    /// The call needed more memory than its limit.
    pub const MEMORY_LIMIT: &str = "memory_limit";
    /// Something the input refers to does not exist (for guests to use).
    pub const NOT_FOUND: &str = "not_found";
    /// No function has the name that was called.
    pub const FUNCTION_NOT_FOUND: &str = "function_not_found";
    /// The function exists but cannot run (bad manifest, missing or broken artifact).
    pub const DISABLED: &str = "disabled";
    /// Every instance of the function stayed busy for longer than the call could wait.
    pub const OVERLOADED: &str = "overloaded";
    /// The request body is larger than the host accepts.
    pub const PAYLOAD_TOO_LARGE: &str = "payload_too_large";
    /// A guest asked for part of the host app's API that its manifest's scopes do not grant.
    pub const SCOPE_DENIED: &str = "scope_denied";
    /// A guest called the host app's API, but the app connected none.
    pub const HOST_API_UNAVAILABLE: &str = "host_api_unavailable";
    /// A request to the host app's API failed before it had an answer (time ran out, the
    /// connection failed).
    pub const HOST_API_FAILED: &str = "host_api_failed";
    /// The function's output is not JSON.
    pub const INVALID_OUTPUT: &str = "invalid_output";
    /// A process function's program could not be started.
    pub const SPAWN_FAILED: &str = "spawn_failed";
    /// A process function exited with a failure (non-zero status, or killed by a signal).
    pub const PROCESS_FAILED: &str = "process_failed";
    /// A process function wrote more output than the host accepts.
    pub const OUTPUT_TOO_LARGE: &str = "output_too_large";
    /// No route of the host's HTTP API matches the request's path.
    pub const ROUTE_NOT_FOUND: &str = "route_not_found";
    /// The route exists, but not for the request's method.
    pub const METHOD_NOT_ALLOWED: &str = "method_not_allowed";
    /// The request's body did not arrive in time.
    pub const REQUEST_TIMEOUT: &str = "request_timeout";
    /// The shared trigger store (the database) cannot be reached; try again later.
    pub const STORE_UNAVAILABLE: &str = "store_unavailable";
    /// No queued call has the id asked for.
    pub const JOB_NOT_FOUND: &str = "job_not_found";
    /// The function has no handler for this kind of call (a JSON call of a function that
    /// only exports an HTTP handler, or the reverse).
    pub const HANDLER_MISSING: &str = "handler_missing";
    /// An HTTP function's response is not a valid response (status, headers, size).
    pub const INVALID_RESPONSE: &str = "invalid_response";
    /// The host keeps no call history (it is off unless turned on).
    pub const HISTORY_OFF: &str = "history_off";
    /// The function has no trigger of the kind asked to fire (no schedule, webhook or
    /// database hook).
    pub const TRIGGER_NOT_FOUND: &str = "trigger_not_found";

    /// The codes only the host reports: faults it observed itself (a trap, a timeout, memory,
    /// a process that failed), or its refusal of a request before any function ran. A guest
    /// error carrying one is reported as [`GUEST_ERROR`] instead.
    ///
    /// ```
    /// use wasmfn_schema::wire::codes;
    /// assert!(codes::is_reserved("trap"));
    /// assert!(!codes::is_reserved("not_found"));
    /// ```
    pub fn is_reserved(code: &str) -> bool {
        [
            TRAP,
            TIMEOUT,
            MEMORY_LIMIT,
            FUNCTION_NOT_FOUND,
            DISABLED,
            OVERLOADED,
            PAYLOAD_TOO_LARGE,
            SPAWN_FAILED,
            PROCESS_FAILED,
            OUTPUT_TOO_LARGE,
            ROUTE_NOT_FOUND,
            METHOD_NOT_ALLOWED,
            REQUEST_TIMEOUT,
            STORE_UNAVAILABLE,
            JOB_NOT_FOUND,
            INVALID_RESPONSE,
            HISTORY_OFF,
            TRIGGER_NOT_FOUND,
        ]
        .contains(&code)
    }
}

/// The host functions a wasmfn guest imports (Extism's user namespace): what the host defines
/// under these names, and what both PDKs (the Rust PDK, and the JS engine through it) call.
pub mod abi {
    /// A log record ([`LogRecord`](super::LogRecord) in JSON) into the host's `tracing`.
    pub const LOG: &str = "wasmfn_log";
    /// A request to the host app's API: [`ApiRequest`](super::ApiRequest) in,
    /// [`ApiResult`](super::ApiResult) out (JSON).
    pub const API_REQUEST: &str = "wasmfn_api_request";
    /// Random bytes from the host's OS: a length (JSON number) in, the bytes out.
    pub const RANDOM: &str = "wasmfn_random";
    /// A JS function's bundle, for the engine to evaluate.
    pub const JS_SCRIPT: &str = "wasmfn_js_script";
    /// An outbound HTTP request to an allowed host: [`FetchRequest`](super::http::FetchRequest)
    /// and its body in, [`FetchResult`](super::http::FetchResult) and the response body out
    /// (both framed as [`http::encode`](super::http::encode) does).
    pub const FETCH: &str = "wasmfn_fetch";
    /// Every name above.
    pub const ALL: [&str; 5] = [LOG, API_REQUEST, RANDOM, JS_SCRIPT, FETCH];
    /// The export a function's routes call: an HTTP request in, a response out (framed as
    /// [`http::encode`](super::http::encode) does). JSON calls go to the manifest's `export`.
    pub const HTTP_EXPORT: &str = "http";
    /// The JS engine's clock (rquickjs's one import on `wasm32-unknown-unknown`), in the `env`
    /// namespace: microseconds since the epoch as an `f64`.
    pub const CLOCK: &str = "__rquickjs_host_now_us";
}
