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
        let (function, trigger) = (invocation.function.clone(), invocation.trigger);
        Box::pin(
            async move {
                let started = Instant::now();
                let mut loaded = None;
                let result = invoke(&registry, invocation, id, &mut loaded).await;
                let elapsed = started.elapsed();
                let code = result.as_ref().err().map(InvokeError::code);
                match loaded {
                    Some(loaded) => loaded.metrics().call(trigger, code, elapsed),
                    None => metrics::call(&function, trigger, code, elapsed),
                }
                let span = tracing::Span::current();
                span.record("duration_ms", elapsed.as_secs_f64() * 1000.0);
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

/// Calls `invocation`; `loaded` gets the function that ran it (for its metrics).
async fn invoke(
    registry: &FunctionRegistry,
    invocation: Invocation,
    id: u64,
    loaded: &mut Option<Arc<LoadedFunction>>,
) -> Result<Bytes, InvokeError> {
    let name = invocation.function;
    let entry =
        registry.get(&name).ok_or_else(|| InvokeError::NotFound { function: name.clone() })?;
    let Some(function) = entry.current().cloned() else {
        let reason = entry
            .last_error()
            .map_or(DisabledReason::NotLoaded, |error| DisabledReason::Load(Arc::clone(error)));
        return Err(InvokeError::Disabled { function: name, reason });
    };
    *loaded = Some(Arc::clone(&function));
    if invocation.handler == Handler::Http {
        let output = function.call_as(invocation.input, id, Handler::Http).await?;
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
    let output = function.call_as(invocation.input, id, Handler::Json).await?;
    if let Err(message) = json::check(&output, None) {
        return Err(InvokeError::InvalidOutput { function: name, message });
    }
    Ok(output)
}
