//! `wasmfn invoke`: call a function (or fire one of its triggers) on a running server, or
//! in-process.

use std::{path::Path, process::ExitCode, time::SystemTime};

use anyhow::{Context, bail};
use wasmfn::{
    Functions, FunctionsBuilder,
    runtime::RuntimeOptions,
    schema::Hook,
    triggers::{FireError, SIGNATURE_HEADER, TriggerKind, signature_header},
};
use wasmfn_schema::wire::ErrorBody;

pub(crate) fn run(
    dir: &Path,
    url: Option<&str>,
    name: &str,
    input: &str,
    trigger: Option<TriggerKind>,
) -> anyhow::Result<ExitCode> {
    let input: serde_json::Value =
        serde_json::from_str(input).with_context(|| format!("the input is not JSON: {input}"))?;
    // `null` (the default) asks for the trigger's test value.
    let payload = (!input.is_null()).then_some(input.clone());
    let runtime = tokio::runtime::Runtime::new()?;
    let (ok, output) = runtime.block_on(async {
        match (url, trigger) {
            (Some(url), None) => over_http(url, &format!("/api/functions/{name}"), &input).await,
            (Some(url), Some(TriggerKind::Webhook)) => {
                signed_webhook(dir, url, name, payload).await
            }
            (Some(url), Some(kind)) => {
                let body = serde_json::json!({ "trigger": kind, "payload": payload });
                over_http(url, &format!("/_wasmfn/api/functions/{name}/fire"), &body).await
            }
            (None, trigger) => in_process(dir, name, &input, trigger, payload).await,
        }
    })?;
    println!("{}", serde_json::to_string_pretty(&output)?);
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// POSTs `body` to `path` on the server at `url`.
async fn over_http(
    url: &str,
    path: &str,
    body: &serde_json::Value,
) -> anyhow::Result<(bool, serde_json::Value)> {
    let endpoint = format!("{}{path}", url.trim_end_matches('/'));
    let request = reqwest::Client::new().post(&endpoint).json(body);
    answer(&endpoint, request).await
}

async fn answer(
    endpoint: &str,
    request: reqwest::RequestBuilder,
) -> anyhow::Result<(bool, serde_json::Value)> {
    let response = request.send().await.with_context(|| format!("cannot reach {endpoint}"))?;
    let ok = response.status().is_success();
    let status = response.status();
    let body = response.text().await?;
    let output = serde_json::from_str(&body).with_context(|| {
        format!("{endpoint} answered {status} with a body that is not JSON: {body}")
    })?;
    Ok((ok, output))
}

/// Signs `payload` as the sender of `name`'s webhook would (the secret from the environment
/// variable its manifest names) and sends it to the server's webhook endpoint.
async fn signed_webhook(
    dir: &Path,
    url: &str,
    name: &str,
    payload: Option<serde_json::Value>,
) -> anyhow::Result<(bool, serde_json::Value)> {
    let spec = super::find_function(dir, name)?;
    let Some((path, secret_env)) = spec.manifest.hooks.iter().find_map(|hook| match hook {
        Hook::Webhook(webhook) => {
            Some((webhook.path.as_str().to_owned(), webhook.secret_env.as_str().to_owned()))
        }
        _ => None,
    }) else {
        bail!("{name} has no webhook hook in {}", spec.dir.display());
    };
    let secret = std::env::var(&secret_env)
        .with_context(|| format!("the webhook's secret {secret_env} is not set here"))?;
    let body = payload.unwrap_or_else(|| serde_json::json!({ "test": true })).to_string();
    let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH)?.as_secs();
    let endpoint = format!("{}/api/webhooks/{}", url.trim_end_matches('/'), path.trim_matches('/'));
    let request = reqwest::Client::new()
        .post(&endpoint)
        .header(SIGNATURE_HEADER, signature_header(secret.as_bytes(), now, body.as_bytes()))
        .header("content-type", "application/json")
        .body(body);
    answer(&endpoint, request).await
}

async fn in_process(
    dir: &Path,
    name: &str,
    input: &serde_json::Value,
    trigger: Option<TriggerKind>,
    payload: Option<serde_json::Value>,
) -> anyhow::Result<(bool, serde_json::Value)> {
    let spec = super::find_function(dir, name)?;
    // Only this function is loaded: no need to compile the others. No schedules: the call
    // below is the only one wanted.
    let functions: Functions = FunctionsBuilder::default()
        .with_runtime(RuntimeOptions::default())
        .with_schedules(false)
        .build()?;
    functions.registry().load(spec).map_err(anyhow::Error::msg)?;
    let result = match trigger {
        Some(kind) => functions.fire(name, kind, payload).await,
        None => {
            use tower::ServiceExt;
            let call = wasmfn::Invocation::json(name, input);
            functions.service().oneshot(call).await.map_err(FireError::Invoke)
        }
    };
    match result {
        Ok(output) => Ok((true, serde_json::from_slice(&output)?)),
        Err(FireError::Invoke(err)) => {
            let body = ErrorBody::new(err.code(), err.to_string());
            Ok((false, serde_json::to_value(body)?))
        }
        Err(err) => Ok((false, serde_json::to_value(wasmfn::ApiError::from(err).body())?)),
    }
}
