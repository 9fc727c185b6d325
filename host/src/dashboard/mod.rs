//! The dashboard at `/_wasmfn/`: a page listing the functions (status, version, build state
//! and the last build's error), their recent calls with logs (live), an invoke form and
//! buttons that fire a function's schedule, webhook or database hook by hand.
//!
//! Its files (`host/dashboard/`: HTML, CSS and one JavaScript module, no build step) are
//! embedded in the binary and use nothing from the network. The page reads the JSON API
//! (`/api/functions`, `/api/calls`); what it adds is `POST /_wasmfn/api/functions/{name}/fire`.
//! On in `wasmfn dev`; opt-in elsewhere ([`FunctionsBuilder::with_dashboard`], or
//! [`Functions::dashboard`] to put it behind your own auth).
//!
//! [`FunctionsBuilder::with_dashboard`]: crate::FunctionsBuilder::with_dashboard
//! [`Functions::dashboard`]: crate::Functions::dashboard

use std::sync::Arc;

use axum::{
    Json, Router,
    extract::{State, rejection::JsonRejection},
    http::{Uri, header},
    response::{IntoResponse, Redirect, Response},
    routing::{any, get, post},
};
use serde::Deserialize;
use wasmfn_schema::wire::codes;

use crate::{
    registry::FunctionRegistry,
    router::{ApiError, PathParam},
    triggers::{DatabaseEvents, Firing, TriggerKind, WebhookVerifier},
};

/// Where the dashboard is served.
pub(crate) const PREFIX: &str = "/_wasmfn";

#[derive(rust_embed::Embed)]
#[folder = "dashboard/"]
struct Assets;

/// What the dashboard's own endpoint needs.
#[derive(Clone)]
pub(crate) struct DashboardState {
    pub(crate) registry: Arc<FunctionRegistry>,
    pub(crate) webhooks: Arc<WebhookVerifier>,
    pub(crate) database: DatabaseEvents,
}

/// The dashboard's routes, under [`PREFIX`].
pub(crate) fn router(state: DashboardState) -> Router {
    Router::new()
        .route(PREFIX, get(|| async { Redirect::permanent("/_wasmfn/") }))
        .route("/_wasmfn/", get(|| asset("index.html")))
        .route("/_wasmfn/api/functions/{name}/fire", post(fire))
        .route("/_wasmfn/api/{*rest}", any(crate::router::not_found))
        .route("/_wasmfn/{*file}", get(file))
        .method_not_allowed_fallback(crate::router::method_not_allowed)
        .with_state(state)
}

async fn file(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches("/_wasmfn/");
    asset(path).await
}

/// An embedded file, with its type and headers that keep the page to its own origin.
async fn asset(path: &str) -> Response {
    let Some(file) = Assets::get(path) else {
        return crate::router::not_found(format!("/_wasmfn/{path}").parse().unwrap_or_default())
            .await
            .into_response();
    };
    let content_type = match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    };
    let headers = [
        (header::CONTENT_TYPE, content_type),
        // Rebuilt binaries change the files: always revalidate.
        (header::CACHE_CONTROL, "no-cache"),
        // Scripts, styles and requests from this origin only; never framed (clickjacking).
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ];
    (headers, file.data).into_response()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FireRequest {
    trigger: TriggerKind,
    /// The webhook's body or the database row; a small test value when absent.
    #[serde(default)]
    payload: Option<serde_json::Value>,
}

/// `POST /_wasmfn/api/functions/{name}/fire` with `{"trigger": "schedule"}`: JSON only, so a
/// cross-site form cannot post it (a browser sends JSON cross-origin only after a CORS
/// preflight, which is never granted here).
async fn fire(
    State(state): State<DashboardState>,
    PathParam(name): PathParam,
    request: Result<Json<FireRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(request) = request.map_err(|rejection| {
        ApiError::new(rejection.status(), codes::INVALID_INPUT, rejection.body_text())
    })?;
    let firing =
        Firing { registry: &state.registry, webhooks: &state.webhooks, database: &state.database };
    let output = firing.fire(&name, request.trigger, request.payload).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], output).into_response())
}
