//! HTTP functions: a handler marked [`#[wasmfn_pdk::http]`](macro@crate::http) answers the routes
//! of its manifest (`routes: ["GET /hello/{name}"]`) with the `http` crate's types, the way an
//! axum handler does; [`send`] makes outbound requests to the manifest's `allowed_hosts`.
//!
//! ```
//! use wasmfn_pdk::http::{Html, IntoResponse, Request, RequestExt, StatusCode};
//!
//! #[wasmfn_pdk::http]
//! fn page(request: Request) -> impl IntoResponse {
//!     let name = request.param("name").unwrap_or("world").to_owned();
//!     (StatusCode::CREATED, [("x-greeted", name.clone())], Html(format!("<h1>Hello, {name}!</h1>")))
//! }
//! ```
//!
//! A handler returns anything [`IntoResponse`]: a [`Response`], a `String` or `&'static str`
//! (text), `Vec<u8>` (bytes), [`Html`], [`Json`], a [`StatusCode`], or a tuple of a status,
//! headers and one of those. Returning `Result<_, E>` where `E: Into<wasmfn_pdk::Error>` makes
//! `Err` a function error: the caller gets `{"error": {"code", "message"}}` with its status.

use std::collections::BTreeMap;

pub use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use serde::Serialize;
use wasmfn_schema::wire::http::{
    self as wire, FetchRequest, FetchResult, RequestHead, ResponseHead,
};

use crate::{Error, codes};

/// A request's or a response's body: its bytes, read whole.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Body(Vec<u8>);

impl Body {
    /// The body as bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The body's bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    /// The body as UTF-8 text; an `invalid_input` error if it is not.
    pub fn text(&self) -> Result<&str, Error> {
        std::str::from_utf8(&self.0)
            .map_err(|e| Error::invalid_input(format!("the body is not UTF-8 text: {e}")))
    }

    /// The body parsed as JSON into `T`; an `invalid_input` error naming what does not fit.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.0)
            .map_err(|e| Error::invalid_input(format!("the body is not the JSON expected: {e}")))
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }
}

impl From<&[u8]> for Body {
    fn from(bytes: &[u8]) -> Self {
        Self(bytes.to_vec())
    }
}

impl From<String> for Body {
    fn from(text: String) -> Self {
        Self(text.into_bytes())
    }
}

impl From<&str> for Body {
    fn from(text: &str) -> Self {
        Self(text.as_bytes().to_vec())
    }
}

impl From<()> for Body {
    fn from((): ()) -> Self {
        Self::default()
    }
}

/// A request to one of the function's routes.
pub type Request = http::Request<Body>;
/// A function's response.
pub type Response = http::Response<Body>;

/// The path parameters of the route that matched (in the request's extensions).
#[derive(Clone, Debug, Default)]
pub struct Params(pub BTreeMap<String, String>);

/// The route that matched, as the manifest writes it (in the request's extensions).
#[derive(Clone, Debug, Default)]
pub struct MatchedRoute(pub String);

/// What a route's request offers beyond `http::Request`.
pub trait RequestExt {
    /// The path parameter `name` (`{name}` in the route), percent-decoded.
    fn param(&self, name: &str) -> Option<&str>;
    /// The query's first value for `key`, decoded (`+` is a space).
    fn query(&self, key: &str) -> Option<String>;
}

impl RequestExt for Request {
    fn param(&self, name: &str) -> Option<&str> {
        self.extensions().get::<Params>()?.0.get(name).map(String::as_str)
    }

    fn query(&self, key: &str) -> Option<String> {
        let query = self.uri().query()?;
        query.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode_form(k) == key).then(|| decode_form(v))
        })
    }
}

fn decode_form(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|hex| u8::from_str_radix(hex, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// An HTML body (`content-type: text/html; charset=utf-8`).
#[derive(Clone, Debug)]
pub struct Html<T>(pub T);

/// A JSON body (`content-type: application/json`).
#[derive(Clone, Debug)]
pub struct Json<T>(pub T);

/// What a handler may return.
pub trait IntoResponse {
    /// The response.
    fn into_response(self) -> Response;
}

fn with_type(body: impl Into<Body>, content_type: &'static str) -> Response {
    let mut response = Response::new(body.into());
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

impl IntoResponse for Response {
    fn into_response(self) -> Response {
        self
    }
}

impl IntoResponse for String {
    fn into_response(self) -> Response {
        with_type(self, "text/plain; charset=utf-8")
    }
}

impl IntoResponse for &'static str {
    fn into_response(self) -> Response {
        with_type(self, "text/plain; charset=utf-8")
    }
}

impl IntoResponse for Vec<u8> {
    fn into_response(self) -> Response {
        with_type(self, "application/octet-stream")
    }
}

impl IntoResponse for StatusCode {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::default());
        *response.status_mut() = self;
        response
    }
}

impl<T: Into<Body>> IntoResponse for Html<T> {
    fn into_response(self) -> Response {
        with_type(self.0, "text/html; charset=utf-8")
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(bytes) => with_type(bytes, "application/json"),
            Err(e) => {
                let mut response = format!("cannot serialize the response: {e}").into_response();
                *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                response
            }
        }
    }
}

impl<R: IntoResponse> IntoResponse for (StatusCode, R) {
    fn into_response(self) -> Response {
        let mut response = self.1.into_response();
        *response.status_mut() = self.0;
        response
    }
}

impl<R, K, V, const N: usize> IntoResponse for (StatusCode, [(K, V); N], R)
where
    R: IntoResponse,
    K: TryInto<HeaderName>,
    V: TryInto<HeaderValue>,
{
    /// Headers that are not valid are left out (the host would refuse the response).
    fn into_response(self) -> Response {
        let (status, headers, body) = self;
        let mut response = (status, body).into_response();
        for (name, value) in headers {
            if let (Ok(name), Ok(value)) = (name.try_into(), value.try_into()) {
                response.headers_mut().append(name, value);
            }
        }
        response
    }
}

/// What a `#[wasmfn_pdk::http]` handler returns: a response, or a result whose error becomes
/// the function's error.
pub trait HandlerOutput {
    /// The response, or the function's error.
    fn into_outcome(self) -> Result<Response, Error>;
}

impl<R: IntoResponse> HandlerOutput for R {
    fn into_outcome(self) -> Result<Response, Error> {
        Ok(self.into_response())
    }
}

impl<R: IntoResponse, E: Into<Error>> HandlerOutput for Result<R, E> {
    fn into_outcome(self) -> Result<Response, Error> {
        self.map(IntoResponse::into_response).map_err(Into::into)
    }
}

/// The request the host sent, framed as `wasmfn_schema::wire::http` frames it.
pub(crate) fn decode_request(input: &[u8]) -> Result<Request, Error> {
    let (head, body): (RequestHead, &[u8]) = wire::decode(input)
        .map_err(|e| Error::new(codes::INVALID_INPUT, format!("not an HTTP request: {e}")))?;
    let path_and_query = match head.query.is_empty() {
        true => head.path.clone(),
        false => format!("{}?{}", head.path, head.query),
    };
    let mut request = http::Request::builder().method(head.method.as_str()).uri(path_and_query);
    for (name, value) in &head.headers {
        request = request.header(name, value);
    }
    let mut request = request
        .body(Body::from(body))
        .map_err(|e| Error::new(codes::INVALID_INPUT, format!("not an HTTP request: {e}")))?;
    request.extensions_mut().insert(Params(head.params));
    request.extensions_mut().insert(MatchedRoute(head.route));
    Ok(request)
}

/// The response as the host reads it.
pub(crate) fn encode_response(response: Response) -> Vec<u8> {
    let (parts, body) = response.into_parts();
    let head = ResponseHead { status: parts.status.as_u16(), headers: header_list(&parts.headers) };
    wire::encode(&head, &body.0)
}

fn header_list(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect()
}

/// Sends `request` (its URI absolute: `https://api.example.com/x`) and returns the response,
/// following redirects. Only hosts in the manifest's `allowed_hosts` are reached; any other,
/// a failed connection or the call's time running out is an `Err` with a code
/// (`host_not_allowed`, `network_error`, `timeout`, ...), never a trap.
///
/// ```no_run
/// use wasmfn_pdk::http::{self, Body, Request};
///
/// let mut request = Request::new(Body::default());
/// *request.uri_mut() = "https://api.example.com/status".parse()?;
/// let response = http::send(request)?;
/// println!("{}", response.body().text()?);
/// # Ok::<(), wasmfn_pdk::Error>(())
/// ```
pub fn send(request: Request) -> Result<Response, Error> {
    let (parts, body) = request.into_parts();
    let head = FetchRequest {
        method: parts.method.to_string(),
        url: parts.uri.to_string(),
        headers: header_list(&parts.headers),
        redirect: None,
    };
    let answer = crate::abi::fetch(wire::encode(&head, &body.0));
    let (result, body): (FetchResult, &[u8]) = wire::decode(&answer).map_err(|e| {
        Error::new(codes::GUEST_ERROR, format!("the host's answer is unreadable: {e}"))
    })?;
    match result {
        FetchResult::Response { status, headers, .. } => {
            let mut response = Response::new(Body::from(body));
            *response.status_mut() = StatusCode::from_u16(status)
                .map_err(|e| Error::new("network_error", e.to_string()))?;
            for (name, value) in headers {
                if let (Ok(name), Ok(value)) =
                    (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(&value))
                {
                    response.headers_mut().append(name, value);
                }
            }
            Ok(response)
        }
        FetchResult::Error(error) => Err(Error::new(error.code, error.message)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_round_trips_and_a_response_is_framed() {
        let head = RequestHead {
            method: "POST".into(),
            url: "http://localhost/hello/Ada?x=a+b&y=%C3%A9".into(),
            path: "/hello/Ada".into(),
            query: "x=a+b&y=%C3%A9".into(),
            route: "POST /hello/{name}".into(),
            params: [("name".to_owned(), "Ada".to_owned())].into(),
            headers: vec![("content-type".into(), "image/png".into())],
        };
        let request = decode_request(&wire::encode(&head, b"\x89PNG\0")).unwrap();
        assert_eq!(request.method(), Method::POST);
        assert_eq!(request.param("name"), Some("Ada"));
        assert_eq!(request.query("x").as_deref(), Some("a b"));
        assert_eq!(request.query("y").as_deref(), Some("é"));
        assert_eq!(request.query("z"), None);
        assert_eq!(request.body().as_bytes(), b"\x89PNG\0");

        let response = (StatusCode::CREATED, [("set-cookie", "a=1")], Html("<p>")).into_response();
        let bytes = encode_response(response);
        let (head, body): (ResponseHead, &[u8]) = wire::decode(&bytes).unwrap();
        assert_eq!(head.status, 201);
        assert!(head.headers.contains(&("set-cookie".into(), "a=1".into())));
        assert!(head.headers.contains(&("content-type".into(), "text/html; charset=utf-8".into())));
        assert_eq!(body, b"<p>");
    }
}
