//! The HTTP API, as an axum [`Router`]:
//!
//! | route | what |
//! | --- | --- |
//! | `POST /api/functions/{name}` | call a function: JSON in, JSON out; with `Prefer: respond-async`, 202 and a job to poll |
//! | `GET /api/jobs/{id}` | a queued call: state, tries, output or error |
//! | `GET /api/functions` | list functions with their status and last error |
//! | `GET /api/functions/{name}` | one function's status |
//! | `GET /api/functions/{name}/calls`, `GET /api/calls` | recent calls with their logs (JSON), or live (`Accept: text/event-stream`), when the host keeps a [history](crate::history) |
//! | `GET /metrics` | the metrics in Prometheus' text format (with `with_prometheus`) |
//! | `GET /api/health` | `ok`, or `degraded` when a function is disabled or the trigger store is unreachable |
//! | `POST /api/webhooks/{path}` | a signed webhook (see [`triggers::webhook`](crate::triggers::webhook)) |
//! | the functions' `routes` | their HTTP handlers (`http.rs`), matched in one table (`routes.rs`) |
//!
//! Errors are `{ "error": { "code", "message" } }` with the status from
//! [`InvokeError::status`](crate::InvokeError::status); an oversized body is 413.

pub(crate) mod error;
mod history;
mod http;
mod layer;
mod routes;

use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, State, rejection::BytesRejection},
    http::{HeaderMap, Method, StatusCode, Uri, header},
    response::{IntoResponse, Response},
    routing::{any, get, post},
};
use bytes::Bytes;
use tower::ServiceExt;
use wasmfn_schema::wire::codes;

pub(crate) use self::error::PathParam;
use self::error::relative;
pub use self::{
    error::ApiError,
    layer::{FunctionsLayer, WithFunctions},
};
use crate::{
    invocation::{Invocation, Trigger},
    registry::{FunctionInfo, FunctionRegistry, FunctionStatus},
    runtime::error::InvokeError,
    service::FunctionService,
    triggers::{Jobs, WebhookVerifier},
};

/// Where the metrics are served, when they are.
pub(crate) const METRICS_PATH: &str = "/metrics";

/// The paths the router answers, for [`FunctionsLayer`] to steer by.
pub(crate) const PATH_PREFIXES: [&str; 5] =
    ["/api/functions", "/api/calls", "/api/health", "/api/jobs", "/api/webhooks"];

pub(crate) use self::routes::Routes;

#[derive(Clone)]
struct ApiState {
    service: FunctionService,
    registry: Arc<FunctionRegistry>,
    webhooks: Arc<WebhookVerifier>,
    jobs: Jobs,
    routes: Arc<Routes>,
    body_limit: usize,
}

/// What the router serves: `registry`'s functions, request bodies up to `body_limit` bytes
/// (a route's own `http.max_request_body` wins), webhooks checked by `webhooks`, asynchronous
/// calls queued in `jobs`, the functions' routes looked up in `routes`.
pub(crate) struct RouterParts {
    pub(crate) registry: Arc<FunctionRegistry>,
    pub(crate) body_limit: usize,
    pub(crate) webhooks: Arc<WebhookVerifier>,
    pub(crate) jobs: Jobs,
    pub(crate) routes: Arc<Routes>,
    /// Renders `GET /metrics` when set.
    #[cfg(feature = "prometheus")]
    pub(crate) prometheus: Option<metrics_exporter_prometheus::PrometheusHandle>,
    /// More routes served beside the API (the dashboard), under `extra_prefix`.
    pub(crate) extra: Option<(&'static str, Router)>,
}

/// What a router answers beyond the JSON API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fallback {
    /// Nothing: no fallback, so an app with a fallback of its own can merge the router.
    None,
    /// The functions' routes as the fallback; other paths get axum's empty 404.
    Routes,
    /// The functions' routes, then a JSON 404.
    RoutesThenJson404,
}

/// The JSON API, and what `fallback` says beyond it.
pub(crate) fn router(parts: RouterParts, fallback: Fallback) -> Router {
    #[cfg(feature = "prometheus")]
    let prometheus = parts.prometheus.clone();
    let RouterParts { registry, body_limit, webhooks, jobs, routes, extra, .. } = parts;
    let service = FunctionService::new(Arc::clone(&registry));
    let state = ApiState { service, registry, webhooks, jobs, routes, body_limit };
    let api = Router::new()
        .route("/api/functions", get(list))
        .route("/api/functions/{name}", post(call).get(show))
        .route("/api/functions/{name}/calls", get(history::of_function))
        .route("/api/calls", get(history::all))
        .route("/api/health", get(health))
        .route("/api/jobs/{id}", get(job))
        .route("/api/webhooks/{*path}", post(webhook))
        // Under our prefixes, what matches nothing gets a JSON 404 too. Catch-all routes
        // rather than a router fallback: an app merging this router may have its own.
        .route("/api/functions/", any(not_found))
        .route("/api/functions/{name}/", any(not_found))
        .route("/api/functions/{name}/{*rest}", any(not_found))
        .route("/api/calls/{*rest}", any(not_found))
        .route("/api/health/{*rest}", any(not_found))
        .route("/api/jobs", any(not_found))
        .route("/api/jobs/", any(not_found))
        .route("/api/jobs/{id}/{*rest}", any(not_found))
        .route("/api/webhooks", any(not_found))
        .route("/api/webhooks/", any(not_found))
        .method_not_allowed_fallback(method_not_allowed);
    let api = match fallback {
        Fallback::None => api,
        Fallback::Routes => api.fallback(http::fallback),
        Fallback::RoutesThenJson404 => api.fallback(http::fallback_json),
    };
    #[cfg(feature = "prometheus")]
    let api = match prometheus {
        Some(handle) => api.route(METRICS_PATH, get(move || async move { handle.render() })),
        None => api,
    };
    let api = api.layer(DefaultBodyLimit::max(body_limit)).with_state(state);
    match extra {
        Some((_, extra)) => api.merge(extra),
        None => api,
    }
}

/// A JSON 404 naming the path: under the API's prefixes, and (in [`Functions::app`]) anywhere.
///
/// [`Functions::app`]: crate::Functions::app
pub(crate) async fn not_found(uri: Uri) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, codes::ROUTE_NOT_FOUND, format!("no route {}", uri.path()))
}

/// A JSON 405 naming the method and the path.
pub(crate) async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    let message = format!("{method} is not allowed on {}", uri.path());
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, codes::METHOD_NOT_ALLOWED, message)
}

async fn call(
    State(state): State<ApiState>,
    PathParam(name): PathParam,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(|rejection| ApiError::from_body_rejection(&name, rejection))?;
    if prefers_async(&headers) {
        let job = state.jobs.enqueue(&name, &body).await.map_err(ApiError::from)?;
        let location = format!("/api/jobs/{}", job.id);
        let headers = [
            (header::LOCATION, location),
            (header::HeaderName::from_static("preference-applied"), "respond-async".to_owned()),
        ];
        return Ok((StatusCode::ACCEPTED, headers, Json(job)).into_response());
    }
    // An empty body calls the function with `null`.
    // The service checks that it is JSON, for every trigger.
    let input =
        if body.iter().all(u8::is_ascii_whitespace) { Bytes::from_static(b"null") } else { body };
    let invocation = Invocation::new(name, input).with_trigger(Trigger::Http);
    let output = state.service.clone().oneshot(invocation).await.map_err(|e| state.public(e))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], output).into_response())
}

/// Whether the request says `Prefer: respond-async` (RFC 7240), alone or among others.
fn prefers_async(headers: &HeaderMap) -> bool {
    let preferences = headers.get_all("prefer").into_iter().filter_map(|v| v.to_str().ok());
    preferences
        .flat_map(|value| value.split(','))
        .any(|preference| preference.trim().eq_ignore_ascii_case("respond-async"))
}

async fn job(
    State(state): State<ApiState>,
    PathParam(id): PathParam,
) -> Result<Response, ApiError> {
    match state.jobs.get(&id).await? {
        Some(job) => Ok(Json(job).into_response()),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            codes::JOB_NOT_FOUND,
            "no queued call has this id",
        )),
    }
}

async fn webhook(
    State(state): State<ApiState>,
    PathParam(path): PathParam,
    method: Method,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(|rejection| {
        ApiError::from_body_rejection(&format!("webhook {path}"), rejection)
    })?;
    let invocation = state
        .webhooks
        .invocation(&state.registry, &path, method.as_str(), &headers, &body)
        .await
        .map_err(ApiError::from)?;
    let output = state.service.clone().oneshot(invocation).await.map_err(|e| state.public(e))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], output).into_response())
}

async fn list(State(state): State<ApiState>) -> impl IntoResponse {
    let folders = state.folders();
    let functions: Vec<FunctionInfo> =
        state.registry.list().into_iter().map(|info| public_info(info, &folders)).collect();
    Json(serde_json::json!({ "functions": functions }))
}

async fn show(
    State(state): State<ApiState>,
    PathParam(name): PathParam,
) -> Result<Response, ApiError> {
    let entry = state.registry.get(&name).ok_or(InvokeError::NotFound { function: name })?;
    Ok(Json(public_info(entry.info(), &state.folders())).into_response())
}

impl ApiState {
    /// The folders holding the functions: what clients see of paths is relative to them.
    fn folders(&self) -> Vec<PathBuf> {
        let mut folders: Vec<PathBuf> = self
            .registry
            .entries()
            .iter()
            .filter_map(|entry| entry.dir().parent().map(Path::to_path_buf))
            .collect();
        folders.sort();
        folders.dedup();
        folders
    }

    /// A recorded call as a client sees it: paths in its error relative to the folders.
    fn public_call(&self, mut call: crate::history::CallRecord) -> crate::history::CallRecord {
        if let Some(error) = &call.error {
            let folders = self.folders();
            call.error = Some(relative(error, folders.iter().map(PathBuf::as_path)));
        }
        call
    }

    /// A call's error as a client sees it.
    fn public(&self, error: InvokeError) -> ApiError {
        let folders = self.folders();
        ApiError::from(error).relative_to(folders.iter().map(PathBuf::as_path))
    }
}

/// A function's summary as a client sees it: its folder and the paths in its errors relative
/// to the functions' folders.
fn public_info(mut info: FunctionInfo, folders: &[PathBuf]) -> FunctionInfo {
    let folders = || folders.iter().map(PathBuf::as_path);
    info.dir = PathBuf::from(relative(&info.dir.display().to_string(), folders()));
    info.last_error = info.last_error.map(|error| relative(&error, folders()));
    if let Some(build) = &mut info.build {
        build.error = build.error.take().map(|error| relative(&error, folders()));
        build.output = relative(&build.output, folders());
    }
    info
}

async fn health(State(state): State<ApiState>) -> impl IntoResponse {
    let functions = state.registry.list();
    let disabled = functions.iter().filter(|f| f.status == FunctionStatus::Disabled).count();
    let store = state.jobs.store_status();
    let status = if disabled == 0 && store != "unreachable" { "ok" } else { "degraded" };
    (
        StatusCode::OK,
        Json(serde_json::json!({
            "status": status,
            "functions": { "ready": functions.len() - disabled, "disabled": disabled },
            "store": store,
        })),
    )
}
