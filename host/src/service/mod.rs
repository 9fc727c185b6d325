//! The tower [`Service`] every call goes through, whatever triggered it, so limits, tracing
//! and errors are the same for all.

pub(crate) mod http;

use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Instant,
};

use bytes::Bytes;
use tower::Service;
use tracing::{Instrument, field::Empty};

use crate::{
    history::{Capture, Recording},
    invocation::{self, Handler, Invocation},
    json, metrics,
    registry::FunctionRegistry,
    runtime::{
        LoadedFunction,
        error::{DisabledReason, InvokeError},
    },
};

/// Calls functions from a [`FunctionRegistry`]: `Service<Invocation, Response = Bytes>`, the
/// response being the function's JSON output (for an [`Invocation::http`], its response,
/// checked: status, headers and size). Cheap to clone.
///
/// Each call runs in a `tracing` span `invocation` with the function's name, a call id, the
/// trigger, and once it ends its `outcome` and `duration_ms`.
///
/// ```no_run
/// use tower::ServiceExt;
/// use wasmfn::{Functions, Invocation};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let functions = Functions::builder().with_dir("functions").build()?;
/// let output = functions
///     .service()
///     .oneshot(Invocation::json("hello-rust", &serde_json::json!({ "name": "Ada" })))
///     .await?;
/// println!("{}", String::from_utf8_lossy(&output));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct FunctionService {
    registry: Arc<FunctionRegistry>,
}

impl FunctionService {
    /// A service calling the functions of `registry`.
    pub fn new(registry: Arc<FunctionRegistry>) -> Self {
        Self { registry }
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

impl Service<Invocation> for FunctionService {
    type Response = Bytes;
    type Error = InvokeError;
    type Future = BoxFuture<Result<Bytes, InvokeError>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // Back-pressure is per function (its instance pool), applied inside the call.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, invocation: Invocation) -> Self::Future {
        let id = invocation::next_call_id();
        let span = tracing::info_span!(
            "invocation",
            function = %invocation.function,
            id,
            trigger = %invocation.trigger,
            outcome = Empty,
            duration_ms = Empty,
        );
        let registry = Arc::clone(&self.registry);
        Box::pin(
            async move {
                let result = invoke(&registry, invocation, id).await;
                let span = tracing::Span::current();
                match &result {
                    Ok(_) => {
                        span.record("outcome", "ok");
                        tracing::debug!("invocation succeeded");
                    }
                    Err(error) => {
                        span.record("outcome", error.code());
                        // A caller's mistake (an unknown name, bad input) is theirs to see, not
                        // the operator's: anyone can send those, as often as they like.
                        if error.status().is_server_error() {
                            tracing::warn!(%error, "invocation failed");
                        } else {
                            tracing::debug!(%error, "invocation failed");
                        }
                    }
                }
                result
            }
            .instrument(span),
        )
    }
}

/// Calls `invocation` as call `id`, recording it: metrics, the span's duration and, when the
/// history keeps the function's calls, its record.
async fn invoke(
    registry: &FunctionRegistry,
    invocation: Invocation,
    id: u64,
) -> Result<Bytes, InvokeError> {
    let started = Instant::now();
    let trigger = invocation.trigger;
    let function = match resolve(registry, &invocation.function) {
        Ok(function) => function,
        Err(error) => {
            let elapsed = started.elapsed();
            metrics::call(&invocation.function, trigger, Some(error.code()), elapsed);
            tracing::Span::current().record("duration_ms", elapsed.as_secs_f64() * 1000.0);
            return Err(error);
        }
    };
    let mode = function.spec().manifest.history;
    let recording =
        registry.history().begin(function.shared_name(), mode, id, trigger, &invocation.input);
    let capture = recording.as_ref().map(Recording::capture).cloned().unwrap_or_default();
    let result = run(&function, invocation, id, &capture).await;
    let elapsed = started.elapsed();
    function.metrics().call(trigger, result.as_ref().err().map(InvokeError::code), elapsed);
    tracing::Span::current().record("duration_ms", elapsed.as_secs_f64() * 1000.0);
    if let Some(recording) = recording {
        let outcome = match &result {
            Ok(output) => Ok(output),
            Err(error) => Err((error.code(), error.to_string())),
        };
        recording.finish(outcome, elapsed);
    }
    result
}

/// The version of `name` serving calls.
fn resolve(registry: &FunctionRegistry, name: &str) -> Result<Arc<LoadedFunction>, InvokeError> {
    let not_found = || InvokeError::NotFound { function: name.to_owned() };
    let entry = registry.get(name).ok_or_else(not_found)?;
    let Some(loaded) = entry.current().cloned() else {
        let reason = entry
            .last_error()
            .map_or(DisabledReason::NotLoaded, |error| DisabledReason::Load(Arc::clone(error)));
        return Err(InvokeError::Disabled { function: name.to_owned(), reason });
    };
    Ok(loaded)
}

/// Checks the input, calls `function`, checks the output.
async fn run(
    function: &LoadedFunction,
    invocation: Invocation,
    id: u64,
    capture: &Capture,
) -> Result<Bytes, InvokeError> {
    let name = invocation.function;
    if invocation.handler == Handler::Http {
        let output = function.call_as(invocation.input, id, Handler::Http, capture).await?;
        let limit = function.spec().manifest.http.response_body_limit();
        return match http::check_response(&output, limit) {
            Ok(()) => Ok(output),
            Err(message) => Err(InvokeError::InvalidResponse { function: name, message }),
        };
    }
    // No input at all is the guest's to read as it likes (wasmfn's PDKs: `null`).
    let empty = invocation.input.iter().all(u8::is_ascii_whitespace);
    if !empty && let Err(message) = json::check(&invocation.input, Some(json::MAX_DEPTH)) {
        return Err(InvokeError::InvalidInput { function: name, message });
    }
    let output = function.call_as(invocation.input, id, Handler::Json, capture).await?;
    if let Err(message) = json::check(&output, None) {
        return Err(InvokeError::InvalidOutput { function: name, message });
    }
    Ok(output)
}
