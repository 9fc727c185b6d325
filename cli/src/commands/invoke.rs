//! `wasmfn invoke`: call a function on a running server, or in-process.

use std::{path::Path, process::ExitCode, sync::Arc};

use anyhow::Context;
use tower::ServiceExt;
use wasmfn::{FunctionService, Invocation, registry::FunctionRegistry, runtime::RuntimeOptions};
use wasmfn_schema::wire::ErrorBody;

pub(crate) fn run(
    dir: &Path,
    url: Option<&str>,
    name: &str,
    input: &str,
) -> anyhow::Result<ExitCode> {
    let input: serde_json::Value =
        serde_json::from_str(input).with_context(|| format!("the input is not JSON: {input}"))?;
    let runtime = tokio::runtime::Runtime::new()?;
    let (ok, output) = match url {
        Some(url) => runtime.block_on(over_http(url, name, &input))?,
        None => runtime.block_on(in_process(dir, name, &input))?,
    };
    println!("{}", serde_json::to_string_pretty(&output)?);
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

async fn over_http(
    url: &str,
    name: &str,
    input: &serde_json::Value,
) -> anyhow::Result<(bool, serde_json::Value)> {
    let endpoint = format!("{}/api/functions/{name}", url.trim_end_matches('/'));
    let response = reqwest::Client::new()
        .post(&endpoint)
        .json(input)
        .send()
        .await
        .with_context(|| format!("cannot reach {endpoint}"))?;
    let ok = response.status().is_success();
    let status = response.status();
    let body = response.text().await?;
    let output = serde_json::from_str(&body).with_context(|| {
        format!("{endpoint} answered {status} with a body that is not JSON: {body}")
    })?;
    Ok((ok, output))
}

async fn in_process(
    dir: &Path,
    name: &str,
    input: &serde_json::Value,
) -> anyhow::Result<(bool, serde_json::Value)> {
    let spec = super::find_function(dir, name)?;
    // Only this function is loaded: no need to compile the others.
    let registry = Arc::new(FunctionRegistry::new(RuntimeOptions::default()));
    registry.load(spec).map_err(anyhow::Error::msg)?;
    match FunctionService::new(registry).oneshot(Invocation::json(name, input)).await {
        Ok(output) => Ok((true, serde_json::from_slice(&output)?)),
        Err(err) => {
            let body = ErrorBody::new(err.code(), err.to_string());
            Ok((false, serde_json::to_value(body)?))
        }
    }
}
