//! Calling functions in-process, as the service does for every trigger.

use std::{
    path::Path,
    time::{Duration, Instant},
};

use serde_json::Value;
use tokio::task::JoinHandle;
use tower::ServiceExt;
use wasmfn::{Functions, Invocation, InvokeError};

/// Calls `name` with `input` through the service; its JSON output or its error.
pub async fn call(functions: &Functions, name: &str, input: Value) -> Result<Value, InvokeError> {
    let output = functions.service().oneshot(Invocation::json(name, &input)).await?;
    Ok(serde_json::from_slice(&output).unwrap())
}

/// [`call`] in the background.
pub fn spawn_call(
    functions: &Functions,
    name: &'static str,
    input: Value,
) -> JoinHandle<Result<Value, InvokeError>> {
    let functions = functions.clone();
    tokio::spawn(async move { call(&functions, name, input).await })
}

/// The testbed's `spin` iteration count that takes about `target` on this machine, measured
/// with a real call.
pub async fn spin_iterations_for(functions: &Functions, name: &str, target: Duration) -> u64 {
    let function = functions.registry().get(name).unwrap().current().unwrap().clone();
    let probe = 20_000_000u64;
    let input = format!(r#"{{"op":"spin","iterations":{probe}}}"#);
    let started = Instant::now();
    function.call(input.into()).await.unwrap();
    let per_iteration = started.elapsed().as_secs_f64() / probe as f64;
    (target.as_secs_f64() / per_iteration) as u64
}

/// Replaces `to` with a copy of `from` the way build tools do: write a hidden temporary file
/// beside it, then rename it over the old one.
pub fn replace_file(from: &Path, to: &Path) {
    let name = to.file_name().unwrap().to_string_lossy();
    let temporary = to.with_file_name(format!(".{name}.tmp"));
    std::fs::copy(from, &temporary).unwrap();
    std::fs::rename(&temporary, to).unwrap();
}
