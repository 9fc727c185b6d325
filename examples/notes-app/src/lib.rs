//! A small notes service on axum and SQLite (or PostgreSQL) that runs wasmfn functions on its
//! row changes.
//!
//! - `POST/PUT/DELETE /api/notes[/{id}]` change the `notes` table and report the change to
//!   wasmfn: with SQLite after the commit (`emit`, in the background); with PostgreSQL in the
//!   change's own transaction (`emit_in`: delivered at least once, by any replica, only if it
//!   commits).
//! - The `audit-log` function (in `functions/`) hooks those events and writes an audit row by
//!   calling `POST /api/audit` back through the host API, with the token wasmfn minted for
//!   that call. Only a function's live token with the `POST /api/audit` scope may write there.
//! - `GET /api/audit` lists the audit log; `/api/functions/...` is wasmfn's own API.

pub mod db;

use axum::{
    Json, Router,
    extract::{Path, Request, State},
    http::StatusCode,
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;
use serde_json::json;
use wasmfn::{Functions, host_api::TokenClaims};

use crate::db::{AuditEntry, Db, DbError, Note};

/// Why a request failed; each maps to a status and a JSON error body.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No note has the id.
    #[error("no note {0}")]
    NoteNotFound(i64),
    /// The request needs a function's token and has none that is valid.
    #[error("{0}")]
    Unauthorized(String),
    /// The token's scopes do not cover the request.
    #[error("the function {0} may not do this")]
    Forbidden(String),
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] DbError),
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            Self::NoteNotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Self::Database(_) => (StatusCode::INTERNAL_SERVER_ERROR, "database"),
        };
        let body = json!({ "error": { "code": code, "message": self.to_string() } });
        (status, Json(body)).into_response()
    }
}

#[derive(Clone)]
struct AppState {
    db: Db,
    functions: Functions,
}

/// The note a client sends.
#[derive(Deserialize)]
struct NoteInput {
    title: String,
    #[serde(default)]
    body: String,
}

/// The audit row a function sends.
#[derive(Deserialize)]
struct AuditInput {
    action: String,
    note_id: i64,
}

/// The app's router, wasmfn's routes merged in, and the functions connected to it: their
/// API requests come back into this same router, in-process.
pub fn router(db: Db, functions: Functions) -> Router {
    let state = AppState { db, functions: functions.clone() };
    let router = Router::new()
        .route("/api/notes", post(create_note).get(list_notes))
        .route("/api/notes/{id}", get(get_note).put(update_note).delete(delete_note))
        .route(
            "/api/audit",
            get(list_audit).merge(
                post(record_audit)
                    .layer(middleware::from_fn_with_state(state.clone(), function_only)),
            ),
        )
        .with_state(state)
        .merge(functions.router());
    functions.host_api().connect(router.clone());
    router
}

async fn create_note(
    State(app): State<AppState>,
    Json(input): Json<NoteInput>,
) -> Result<(StatusCode, Json<Note>), AppError> {
    let note = app.db.create_note(&app.functions, input.title, input.body).await?;
    Ok((StatusCode::CREATED, Json(note)))
}

async fn list_notes(State(app): State<AppState>) -> Result<Json<Vec<Note>>, AppError> {
    Ok(Json(app.db.list_notes().await?))
}

async fn get_note(
    State(app): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Note>, AppError> {
    app.db.get_note(id).await?.map(Json).ok_or(AppError::NoteNotFound(id))
}

async fn update_note(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    Json(input): Json<NoteInput>,
) -> Result<Json<Note>, AppError> {
    let note = app.db.update_note(&app.functions, id, input.title, input.body).await?;
    note.map(Json).ok_or(AppError::NoteNotFound(id))
}

async fn delete_note(
    State(app): State<AppState>,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    if app.db.delete_note(&app.functions, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NoteNotFound(id))
    }
}

async fn list_audit(State(app): State<AppState>) -> Result<Json<Vec<AuditEntry>>, AppError> {
    Ok(Json(app.db.list_audit().await?))
}

/// Lets a request through only with a function's live token whose scopes cover it, and hands
/// the token's claims to the handler.
async fn function_only(
    State(app): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, AppError> {
    let claims = app
        .functions
        .host_api()
        .tokens()
        .verify_headers(request.headers())
        .map_err(|e| AppError::Unauthorized(format!("a function's token is required: {e}")))?;
    if !claims.allows(request.method().as_str(), request.uri().path()) {
        return Err(AppError::Forbidden(claims.function));
    }
    request.extensions_mut().insert(claims);
    Ok(next.run(request).await)
}

async fn record_audit(
    State(app): State<AppState>,
    axum::Extension(claims): axum::Extension<TokenClaims>,
    Json(input): Json<AuditInput>,
) -> Result<(StatusCode, Json<AuditEntry>), AppError> {
    let entry =
        app.db.insert_audit(input.action, input.note_id, claims.function, claims.call_id).await?;
    Ok((StatusCode::CREATED, Json(entry)))
}
