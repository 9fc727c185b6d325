//! Errors as HTTP responses: a status and `{ "error": { "code", "message" } }`.

use std::time::Duration;

use axum::{
    Json,
    extract::{FromRequestParts, Path, rejection::BytesRejection},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use wasmfn_schema::wire::{ErrorBody, codes};

use crate::{
    runtime::error::InvokeError,
    store::StoreError,
    triggers::{FireError, JobError, WebhookError},
};

/// What a request body that missed its deadline fails with (see
/// [`ServerOptions::with_body_timeout`](crate::server::ServerOptions::with_body_timeout)); the
/// router answers it with 408 `request_timeout`.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within {}", humantime::format_duration(*.0))]
pub struct BodyTimeout(pub Duration);

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

    /// The JSON body: `{ "error": { "code", "message" } }`.
    pub fn body(&self) -> &ErrorBody {
        &self.body
    }

    pub(super) fn from_body_rejection(function: &str, rejection: BytesRejection) -> Self {
        let timed_out = std::iter::successors(
            Some(&rejection as &(dyn std::error::Error + 'static)),
            |error| error.source(),
        )
        .find_map(|error| error.downcast_ref::<BodyTimeout>());
        if let Some(timeout) = timed_out {
            let message = format!("request to {function}: {timeout}");
            return Self::new(StatusCode::REQUEST_TIMEOUT, codes::REQUEST_TIMEOUT, message);
        }
        let status = rejection.status();
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
            codes::PAYLOAD_TOO_LARGE
        } else {
            codes::INVALID_INPUT
        };
        Self::new(status, code, format!("request to {function}: {}", rejection.body_text()))
    }
}

impl ApiError {
    /// A request body that could not be read whole: too large (413), too slow (408), or cut
    /// off (400).
    pub(super) fn from_body_error(function: &str, error: &axum::Error) -> Self {
        let mut sources =
            std::iter::successors(Some(error as &(dyn std::error::Error + 'static)), |error| {
                error.source()
            });
        let cause =
            sources.find(|e| e.is::<BodyTimeout>() || e.is::<http_body_util::LengthLimitError>());
        match cause {
            Some(timeout) if timeout.is::<BodyTimeout>() => Self::new(
                StatusCode::REQUEST_TIMEOUT,
                codes::REQUEST_TIMEOUT,
                format!("request to {function}: {timeout}"),
            ),
            Some(_) => Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                codes::PAYLOAD_TOO_LARGE,
                format!("request to {function}: the body is larger than the route accepts"),
            ),
            None => Self::new(
                StatusCode::BAD_REQUEST,
                codes::INVALID_INPUT,
                format!("request to {function}: the body could not be read: {error}"),
            ),
        }
    }
}

impl From<InvokeError> for ApiError {
    fn from(error: InvokeError) -> Self {
        Self::new(error.status(), error.code(), error.public_message())
    }
}

impl From<WebhookError> for ApiError {
    fn from(error: WebhookError) -> Self {
        let (status, code) = match &error {
            WebhookError::NotFound(_) => (StatusCode::NOT_FOUND, "webhook_not_found"),
            WebhookError::SecretMissing { .. } => {
                (StatusCode::SERVICE_UNAVAILABLE, "webhook_secret_missing")
            }
            WebhookError::Unauthorized { .. } => (StatusCode::UNAUTHORIZED, "unauthorized"),
            WebhookError::StoreUnavailable { source, .. } => {
                return Self::from(source);
            }
        };
        Self::new(status, code, error.to_string())
    }
}

impl From<FireError> for ApiError {
    fn from(error: FireError) -> Self {
        match error {
            FireError::NoTrigger { .. } => {
                Self::new(StatusCode::NOT_FOUND, codes::TRIGGER_NOT_FOUND, error.to_string())
            }
            FireError::Webhook(error) => error.into(),
            FireError::Invoke(error) => error.into(),
            // A variant added later: a server-side failure until mapped.
            #[allow(unreachable_patterns)]
            error => Self::new(StatusCode::INTERNAL_SERVER_ERROR, "fire_failed", error.to_string()),
        }
    }
}

impl From<&StoreError> for ApiError {
    /// The database's own message (addresses, names) stays in the log.
    fn from(error: &StoreError) -> Self {
        tracing::warn!("request refused: {error}");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            codes::STORE_UNAVAILABLE,
            "the trigger store cannot be reached; try again later",
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        Self::from(&error)
    }
}

impl From<JobError> for ApiError {
    fn from(error: JobError) -> Self {
        match error {
            JobError::Invoke(error) => error.into(),
            JobError::Store(error) => error.into(),
        }
    }
}

impl ApiError {
    /// The same error with every path under one of `folders` made relative to it.
    pub(super) fn relative_to<'a>(
        mut self,
        folders: impl IntoIterator<Item = &'a std::path::Path>,
    ) -> Self {
        self.body.error.message = relative(&self.body.error.message, folders);
        self
    }
}

/// `text` with `<folder>/` removed wherever it appears, for each of `folders`: what a client
/// sees of the host's paths is relative to the functions' folders.
pub(super) fn relative<'a>(
    text: &str,
    folders: impl IntoIterator<Item = &'a std::path::Path>,
) -> String {
    folders
        .into_iter()
        .fold(text.to_owned(), |text, folder| text.replace(&format!("{}/", folder.display()), ""))
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
pub(crate) struct PathParam(pub(crate) String);

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
