//! One call's access to the app's API: what the `wasmfn_api_request` host function uses to
//! check, sign and send a guest's request.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, Request, header};
use wasmfn_schema::wire::{ApiRequest, ApiResponse, ApiResult, ErrorBody, ErrorDetail, codes};

use super::{HostApi, scope::ScopeSet};

/// What a running call needs to reach the app's API. Lives on the slot's thread that runs
/// the guest; the token it carries is revoked by the async side when the call ends.
#[derive(Clone, Debug)]
pub(crate) struct CallApi {
    pub(super) api: HostApi,
    pub(super) scopes: Arc<ScopeSet>,
    pub(super) token: Option<String>,
    pub(super) deadline: Instant,
    pub(super) runtime: Option<tokio::runtime::Handle>,
}

impl CallApi {
    /// The call starts now (it may have waited for a slot): its requests may take until
    /// `timeout` from now.
    pub(crate) fn start(&mut self, timeout: Duration) {
        self.deadline = Instant::now() + timeout;
    }

    /// Checks `request` against the scopes, then sends it to the app with the call's token.
    pub(crate) fn send(&self, request: ApiRequest) -> ApiResult {
        let started = Instant::now();
        let (method, path) = (request.method.clone(), request.path.clone());
        let result = self.check_and_send(request);
        match &result {
            ApiResult::Response(response) => tracing::debug!(
                %method, %path, status = response.status, elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
                "host API request"
            ),
            ApiResult::Error(error) => tracing::warn!(
                %method, %path, code = %error.code, "host API request failed: {}", error.message
            ),
        }
        result
    }

    fn check_and_send(&self, request: ApiRequest) -> ApiResult {
        if self.scopes.is_empty() {
            return ApiResult::Response(forbidden(format!(
                "{} {} is not allowed: the manifest grants no `api.scopes`",
                request.method, request.path
            )));
        }
        let method = match Method::from_bytes(request.method.as_bytes()) {
            Ok(method) => method,
            Err(_) => {
                return error(
                    codes::INVALID_INPUT,
                    format!("{:?} is not an HTTP method", request.method),
                );
            }
        };
        if let Err(reason) = check_path(&request.path) {
            return error(codes::INVALID_INPUT, format!("{:?}: {reason}", request.path));
        }
        if !self.scopes.allows(method.as_str(), &request.path) {
            return scope_denied(&method, &request.path, &self.scopes);
        }
        let (Some(target), Some(token), Some(runtime)) =
            (self.api.target(), &self.token, &self.runtime)
        else {
            return error(
                codes::HOST_API_UNAVAILABLE,
                "the app has connected no API (HostApi::connect)",
            );
        };
        let request = match build_request(method, request, token) {
            Ok(request) => request,
            Err(message) => return error(codes::INVALID_INPUT, message),
        };
        let remaining = self.deadline.saturating_duration_since(Instant::now());
        if remaining == Duration::ZERO {
            return error(codes::HOST_API_FAILED, "the call has no time left");
        }
        // The timer is made inside the runtime: the slot's thread is not one of its own.
        let send = async { tokio::time::timeout(remaining, target.send(request)).await };
        let response = runtime.block_on(send);
        match response {
            Ok(Ok(response)) => ApiResult::Response(ApiResponse {
                status: response.status().as_u16(),
                headers: response
                    .headers()
                    .iter()
                    .filter_map(|(name, value)| {
                        Some((name.to_string(), value.to_str().ok()?.to_owned()))
                    })
                    .collect(),
                body: String::from_utf8_lossy(response.body()).into_owned(),
            }),
            Ok(Err(e)) => error(codes::HOST_API_FAILED, format!("the app's API failed: {e}")),
            Err(_) => {
                error(codes::HOST_API_FAILED, "the call's time ran out waiting for the app's API")
            }
        }
    }
}

fn scope_denied(method: &Method, path: &str, scopes: &ScopeSet) -> ApiResult {
    let granted = scopes.iter().collect::<Vec<_>>().join(", ");
    ApiResult::Response(forbidden(format!(
        "{method} {path} is outside the manifest's api.scopes ({granted})"
    )))
}

fn forbidden(message: String) -> ApiResponse {
    let body = ErrorBody::new(codes::SCOPE_DENIED, message);
    ApiResponse {
        status: 403,
        headers: [("content-type".to_owned(), "application/json".to_owned())].into(),
        body: serde_json::to_string(&body).expect("two strings serialize"),
    }
}

fn error(code: &str, message: impl Into<String>) -> ApiResult {
    ApiResult::Error(ErrorDetail { code: code.to_owned(), message: message.into() })
}

/// Refuses what could reach a route other than the one the scopes were checked against:
/// relative paths, dot segments, encoded separators.
fn check_path(path: &str) -> Result<(), &'static str> {
    if !path.starts_with('/') || path.starts_with("//") {
        return Err("the path must start with a single '/'");
    }
    let path = path.split_once('?').map_or(path, |(path, _)| path);
    if path.split('/').any(|segment| segment == "." || segment == "..") {
        return Err("the path must not have '.' or '..' segments");
    }
    let lower = path.to_ascii_lowercase();
    if ["%2e", "%2f", "%5c", "\\"].iter().any(|s| lower.contains(s)) {
        return Err("the path must not encode '.', '/' or '\\'");
    }
    Ok(())
}

fn build_request(
    method: Method,
    request: ApiRequest,
    token: &str,
) -> Result<Request<Bytes>, String> {
    let mut builder = Request::builder().method(method).uri(&request.path);
    let headers = builder.headers_mut().expect("the request is valid so far");
    for (name, value) in &request.headers {
        let name =
            HeaderName::try_from(name.as_str()).map_err(|e| format!("header {name:?}: {e}"))?;
        // The host's to set: who is calling, and how the body is framed.
        let reserved = [
            header::AUTHORIZATION,
            header::HOST,
            header::CONTENT_LENGTH,
            header::TRANSFER_ENCODING,
            header::CONNECTION,
        ];
        if reserved.contains(&name) {
            continue;
        }
        let value =
            HeaderValue::try_from(value.as_str()).map_err(|e| format!("header {name}: {e}"))?;
        headers.insert(name, value);
    }
    let bearer = HeaderValue::try_from(format!("Bearer {token}")).expect("tokens are hex");
    headers.insert(header::AUTHORIZATION, bearer);
    builder
        .body(Bytes::from(request.body.unwrap_or_default()))
        .map_err(|e| format!("{:?} is not a valid request path: {e}", request.path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guest_cannot_set_the_token_or_the_body_framing() {
        let request = ApiRequest {
            method: "POST".into(),
            path: "/api/audit".into(),
            headers: [
                ("authorization".to_owned(), "Bearer forged".to_owned()),
                ("content-length".to_owned(), "999".to_owned()),
                ("x-trace".to_owned(), "1".to_owned()),
            ]
            .into(),
            body: Some("{}".into()),
        };
        let built = build_request(Method::POST, request, "wfn_real").unwrap();
        assert_eq!(built.headers()[header::AUTHORIZATION], "Bearer wfn_real");
        assert!(built.headers().get(header::CONTENT_LENGTH).is_none());
        assert_eq!(built.headers()["x-trace"], "1");
    }

    #[test]
    fn paths_that_could_escape_their_scope_are_refused() {
        for ok in ["/api/audit", "/api/notes/7?x=../y", "/api/notes/a.b", "/"] {
            assert!(check_path(ok).is_ok(), "{ok}");
        }
        for bad in [
            "api/audit",
            "//evil.example/x",
            "/api/audit/../admin",
            "/api/./x",
            "/api/%2e%2e/admin",
            "/api/a%2Fb",
            "/api\\admin",
        ] {
            assert!(check_path(bad).is_err(), "{bad}");
        }
    }
}
