//! `wasmfn invoke`: call a function in-process.

use std::{path::Path, process::ExitCode, sync::Arc};

use anyhow::Context;
use tower::ServiceExt;
use wasmfn::{FunctionRegistry, FunctionService, Invocation, RuntimeOptions};
use wasmfn_schema::wire::ErrorBody;

pub(crate) fn run(dir: &Path, name: &str, input: &str) -> anyhow::Result<ExitCode> {
    let input: serde_json::Value =
        serde_json::from_str(input).with_context(|| format!("the input is not JSON: {input}"))?;
    let spec = super::find_function(dir, name)?;
    // Only this function is loaded: no need to compile the others.
    let registry = Arc::new(FunctionRegistry::new(RuntimeOptions::default()));
    registry.load(spec).map_err(anyhow::Error::msg)?;
    let runtime = tokio::runtime::Runtime::new()?;
    let call = FunctionService::new(registry).oneshot(Invocation::json(name, &input));
    match runtime.block_on(call) {
        Ok(output) => {
            let output: serde_json::Value = serde_json::from_slice(&output)?;
            println!("{}", serde_json::to_string_pretty(&output)?);
            Ok(ExitCode::SUCCESS)
        }
        Err(err) => {
            let body = ErrorBody::new(err.code(), err.to_string());
            println!("{}", serde_json::to_string_pretty(&body)?);
            Ok(ExitCode::FAILURE)
        }
    }
}
