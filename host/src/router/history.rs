//! The call history over HTTP: `GET /api/calls` and `GET /api/functions/{name}/calls`, as JSON
//! or, asked with `Accept: text/event-stream`, as a live stream of Server-Sent Events (`call`
//! when a call ends, `log` when a running call logs a line, `functions` when the registry
//! changes: a load, a reload, a build).

use std::{convert::Infallible, time::Duration};

use axum::{
    Json,
    extract::{Query, State, rejection::QueryRejection},
    http::{HeaderMap, StatusCode, header},
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
};
use serde::Deserialize;
use tokio::sync::broadcast;
use tokio_stream::{
    Stream, StreamExt,
    wrappers::{BroadcastStream, WatchStream, errors::BroadcastStreamRecvError},
};
use wasmfn_schema::wire::codes;

use super::{ApiState, error::PathParam};
use crate::{
    history::{CallRecord, HistoryEvent},
    router::ApiError,
    runtime::error::InvokeError,
};

/// The most calls one answer lists.
const MAX_LIMIT: usize = 1000;

#[derive(Debug, Deserialize)]
pub(super) struct CallsQuery {
    /// Only this function's calls.
    function: Option<String>,
    /// At most this many (default 50).
    limit: Option<usize>,
}

/// The query, or a JSON 400 saying what is wrong with it.
fn parsed(query: Result<Query<CallsQuery>, QueryRejection>) -> Result<CallsQuery, ApiError> {
    query.map(|Query(query)| query).map_err(|rejection| {
        ApiError::new(StatusCode::BAD_REQUEST, codes::INVALID_INPUT, rejection.body_text())
    })
}

/// `GET /api/calls[?function=&limit=]`.
pub(super) async fn all(
    State(state): State<ApiState>,
    query: Result<Query<CallsQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let query = parsed(query)?;
    answer(&state, query.function, query.limit, &headers)
}

/// `GET /api/functions/{name}/calls[?limit=]`.
pub(super) async fn of_function(
    State(state): State<ApiState>,
    PathParam(name): PathParam,
    query: Result<Query<CallsQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let query = parsed(query)?;
    if state.registry.get(&name).is_none() {
        return Err(InvokeError::NotFound { function: name }.into());
    }
    answer(&state, Some(name), query.limit, &headers)
}

fn answer(
    state: &ApiState,
    function: Option<String>,
    limit: Option<usize>,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let history = state.registry.history();
    let Some(events) = history.subscribe() else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            codes::HISTORY_OFF,
            "this host keeps no call history (FunctionsBuilder::with_call_history; `wasmfn serve --call-history`)",
        ));
    };
    if wants_stream(headers) {
        return Ok(live(state, function, events).into_response());
    }
    let limit = limit.unwrap_or(50).min(MAX_LIMIT);
    let calls: Vec<CallRecord> = history
        .calls(function.as_deref(), limit)
        .into_iter()
        .map(|call| state.public_call(call))
        .collect();
    Ok(Json(serde_json::json!({ "calls": calls })).into_response())
}

/// Whether the client asked for the live stream.
fn wants_stream(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.contains("text/event-stream"))
}

/// The live stream: calls and log lines (of `function`, or all), and registry changes.
fn live(
    state: &ApiState,
    function: Option<String>,
    events: broadcast::Receiver<HistoryEvent>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>> + use<>> {
    // The first value is the current generation: the client learns where it starts.
    let changes = WatchStream::new(state.registry.subscribe())
        .map(|generation| Event::default().event("functions").data(generation.to_string()));
    let state = state.clone();
    let calls = BroadcastStream::new(events).filter_map(move |event| match event {
        Ok(event) if function.as_deref().is_some_and(|f| f != event.function()) => None,
        Ok(HistoryEvent::Call(call)) => {
            let call = state.public_call(CallRecord::clone(&call));
            Event::default().event("call").json_data(call).ok()
        }
        Ok(HistoryEvent::Log(line)) => Event::default().event("log").json_data(&*line).ok(),
        // A reader that fell behind is told how much it missed, and goes on.
        Err(BroadcastStreamRecvError::Lagged(missed)) => {
            Some(Event::default().event("lagged").data(missed.to_string()))
        }
    });
    let stream = changes.merge(calls).map(Ok);
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
