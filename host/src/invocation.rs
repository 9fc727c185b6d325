//! What one call of a function is: the name, the input and where it came from.

use std::{
    fmt,
    sync::atomic::{AtomicU64, Ordering},
};

use bytes::Bytes;

/// One call of a function, as the [`FunctionService`](crate::FunctionService) takes it.
///
/// ```
/// use wasmfn::{Invocation, Trigger};
///
/// let call = Invocation::json("hello-rust", &serde_json::json!({ "name": "Ada" }))
///     .with_trigger(Trigger::Http);
/// assert_eq!(call.input.as_ref(), br#"{"name":"Ada"}"#);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Invocation {
    /// The function to call.
    pub function: String,
    /// The input: a JSON document.
    pub input: Bytes,
    /// What caused the call.
    pub trigger: Trigger,
    /// Which of the function's handlers takes it: JSON (most triggers) or HTTP (its routes).
    pub handler: Handler,
}

impl Invocation {
    /// A call of `function` with `input` (JSON bytes), triggered directly.
    pub fn new(function: impl Into<String>, input: impl Into<Bytes>) -> Self {
        Self {
            function: function.into(),
            input: input.into(),
            trigger: Trigger::Direct,
            handler: Handler::Json,
        }
    }

    /// A request to one of `function`'s routes: `request` is its head and body as
    /// [`wasmfn_schema::wire::http::encode`] frames them; the output is the response, framed
    /// the same way.
    pub fn http(function: impl Into<String>, request: impl Into<Bytes>) -> Self {
        Self {
            function: function.into(),
            input: request.into(),
            trigger: Trigger::Route,
            handler: Handler::Http,
        }
    }

    /// A call of `function` with a JSON value as input.
    pub fn json(function: impl Into<String>, input: &serde_json::Value) -> Self {
        Self::new(function, serde_json::to_vec(input).expect("a JSON value serializes"))
    }

    /// Sets what caused the call.
    pub fn with_trigger(mut self, trigger: Trigger) -> Self {
        self.trigger = trigger;
        self
    }
}

/// What caused a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Trigger {
    /// Called from code through the service.
    Direct,
    /// `POST /api/functions/{name}`.
    Http,
    /// A signed request to `POST /api/webhooks/{path}`.
    Webhook,
    /// A cron schedule.
    Schedule,
    /// A row change the app reported.
    Database,
    /// A request to one of the function's `routes`.
    Route,
}

/// Which handler of a function a call goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Handler {
    /// JSON in, JSON out: the manifest's `export` (a process function's stdin and stdout).
    Json,
    /// An HTTP request in, a response out: the `http` export (for a process function, the
    /// same stdin and stdout, with `WASMFN_HANDLER=http` in its environment).
    Http,
}

impl Trigger {
    /// Its name: `direct`, `http`, `webhook`, `schedule`, `database` or `route`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Direct => "direct",
            Self::Http => "http",
            Self::Webhook => "webhook",
            Self::Schedule => "schedule",
            Self::Database => "database",
            Self::Route => "route",
        }
    }
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A new call id: unique in this process, shown as `id` in the `invocation` span, and what a
/// call's API token is bound to.
pub(crate) fn next_call_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}
