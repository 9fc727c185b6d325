//! Errors as HTTP responses: a status and `{ "error": { "code", "message" } }`.

use axum::{
    Json,
    extract::{FromRequestParts, Path, rejection::BytesRejection},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use wasmfn_schema::wire::{ErrorBody, codes};

use crate::InvokeError;

/// An error answered over HTTP.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
}

impl ApiError {
    /// An error with its status, code and message.
    pub fn new(status: StatusCode, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self { status, body: ErrorBody::new(code, message) }
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub(super) fn from_body_rejection(function: &str, rejection: BytesRejection) -> Self {
        let status = rejection.status();
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
            codes::PAYLOAD_TOO_LARGE
        } else {
            codes::INVALID_INPUT
        };
        Self::new(status, code, format!("request to {function}: {}", rejection.body_text()))
    }
}

impl From<InvokeError> for ApiError {
    fn from(error: InvokeError) -> Self {
        Self::new(error.status(), error.code(), error.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

impl IntoResponse for InvokeError {
    fn into_response(self) -> Response {
        ApiError::from(self).into_response()
    }
}

/// One path parameter (a function name, a webhook path), its rejection (a segment that is
/// not UTF-8 once decoded) answered as a JSON error like every other.
pub(super) struct PathParam(pub(super) String);

impl<S: Send + Sync> FromRequestParts<S> for PathParam {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        match Path::<String>::from_request_parts(parts, state).await {
            Ok(Path(param)) => Ok(Self(param)),
            Err(rejection) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                codes::INVALID_INPUT,
                format!("the path {} is not valid: {}", parts.uri.path(), rejection.body_text()),
            )),
        }
    }
}
