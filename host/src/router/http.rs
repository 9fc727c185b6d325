//! Requests to the functions' own routes: matched in the [`RouteTable`](super::routes), read
//! within the route's body limit, passed to the function's `http` export through the
//! [`FunctionService`](crate::service::FunctionService), and its response sent as it is.

use axum::{
    body::Body,
    extract::{Request, State},
    http::{Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use tower::ServiceExt;
use wasmfn_schema::wire::codes;

use super::{ApiState, error::ApiError, routes::Lookup};
use crate::{invocation::Invocation, service::http as function_http};

/// Answers a request that no API route took: a function's route, or a 404 (JSON when `json`,
/// else axum's empty one, for an app that merged the router and answers its own 404s).
pub(super) async fn serve(state: ApiState, request: Request, json: bool) -> Response {
    let table = state.routes.table(&state.registry);
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let (target, params) = match table.1.find(&method, &path) {
        Lookup::Found(target, params) => (target, params),
        Lookup::NotFound if json => {
            return super::not_found(request.uri().clone()).await.into_response();
        }
        Lookup::NotFound => return StatusCode::NOT_FOUND.into_response(),
        Lookup::MethodNotAllowed(mut allowed) => {
            allowed.push("OPTIONS".to_owned());
            let allow = allowed.join(", ");
            let allow_header = [(header::ALLOW, allow.clone())];
            // What the route takes, for a client asking; any other method is refused.
            if method == Method::OPTIONS {
                return (StatusCode::NO_CONTENT, allow_header).into_response();
            }
            let message = format!("{method} is not allowed on {path} (allowed: {allow})");
            let error =
                ApiError::new(StatusCode::METHOD_NOT_ALLOWED, codes::METHOD_NOT_ALLOWED, message);
            return (allow_header, error).into_response();
        }
    };
    let limit = target.max_request_body.map_or(state.body_limit, |limit| limit as usize);
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, limit).await {
        Ok(body) => body,
        Err(error) => {
            return ApiError::from_body_error(&target.function, &error).into_response();
        }
    };
    let input = function_http::encode_request(&parts, &target.route, params, &body);
    let invocation = Invocation::http(target.function.clone(), input);
    let output = match state.service.clone().oneshot(invocation).await {
        Ok(output) => output,
        Err(error) => return state.public(error).into_response(),
    };
    match function_http::into_response(output) {
        Ok(response) => response.map(Body::from),
        // The service checked it; a response it let through always converts.
        Err(message) => {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, codes::INVALID_RESPONSE, message)
                .into_response()
        }
    }
}

/// `router()`'s fallback: a function's route, or axum's empty 404.
pub(super) async fn fallback(State(state): State<ApiState>, request: Request) -> Response {
    serve(state, request, false).await
}

/// `app()`'s fallback: a function's route, or a JSON 404.
pub(super) async fn fallback_json(State(state): State<ApiState>, request: Request) -> Response {
    serve(state, request, true).await
}
