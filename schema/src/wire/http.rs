//! HTTP requests and responses as they cross into and out of guests: a JSON head on one line,
//! then the body's raw bytes. serde_json never writes a raw newline, so the first `\n` ends the
//! head, and a body (HTML, a PNG) needs no encoding.
//!
//! The same framing carries a route's request to the `http` export and its response back, a
//! process function's stdin and stdout, and a JS `fetch()` through `wasmfn_fetch`.
//!
//! ```
//! use wasmfn_schema::wire::http::{self, ResponseHead};
//!
//! let head = ResponseHead { status: 201, headers: vec![("content-type".into(), "text/html".into())] };
//! let bytes = http::encode(&head, b"<p>hi</p>");
//! let (decoded, body): (ResponseHead, &[u8]) = http::decode(&bytes).unwrap();
//! assert_eq!(decoded, head);
//! assert_eq!(body, b"<p>hi</p>");
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::ErrorDetail;

/// A request to a function's route: what the `http` export (or a process function's stdin)
/// receives before the body.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct RequestHead {
    /// `GET`, `POST`, ... (`HEAD` when a client asked for a `GET` route's headers only).
    pub method: String,
    /// The absolute URL: `http://` and the `Host` header (`localhost` without one), then the
    /// path and query as the client sent them.
    pub url: String,
    /// The path, percent-encoded as sent.
    pub path: String,
    /// The query string without its `?`, as sent (empty when there is none).
    #[serde(default)]
    pub query: String,
    /// The route that matched, as the manifest writes it.
    #[serde(default)]
    pub route: String,
    /// The path parameters by name, percent-decoded.
    #[serde(default)]
    pub params: BTreeMap<String, String>,
    /// The headers in order (names in lower case; a name sent twice appears twice).
    #[serde(default)]
    pub headers: Vec<(String, String)>,
}

/// A function's response: what its `http` export (or a process function's stdout) returns
/// before the body.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct ResponseHead {
    /// The status, 200 to 599.
    pub status: u16,
    /// The headers in order (`set-cookie` may appear more than once).
    #[serde(default)]
    pub headers: Vec<(String, String)>,
}

/// An outbound request from a guest (host function `wasmfn_fetch`), sent only to the
/// manifest's `allowed_hosts`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct FetchRequest {
    /// The method.
    pub method: String,
    /// The absolute `http://` or `https://` URL.
    pub url: String,
    /// The headers in order.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// `follow` (default: up to 20 redirects, each target checked against `allowed_hosts`),
    /// `manual` (a redirect is the response) or `error` (a redirect fails the request).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect: Option<String>,
}

/// What `wasmfn_fetch` answers: the response's head (its body follows), or why there is none.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FetchResult {
    /// The server answered (whatever the status).
    Response {
        /// The status.
        status: u16,
        /// The headers in order (names in lower case).
        headers: Vec<(String, String)>,
        /// The URL that answered, after redirects.
        url: String,
        /// Whether redirects were followed to get here.
        redirected: bool,
    },
    /// No response: the host is not allowed, the URL is invalid, the connection failed, the
    /// call's time ran out.
    Error(ErrorDetail),
}

/// The head as one JSON line, then the body.
pub fn encode<T: Serialize>(head: &T, body: &[u8]) -> Vec<u8> {
    let mut bytes = serde_json::to_vec(head).expect("a head serializes");
    bytes.reserve(body.len() + 1);
    bytes.push(b'\n');
    bytes.extend_from_slice(body);
    bytes
}

/// The head and the body of [`encode`]d bytes. Without a newline, the whole input is the head
/// and the body is empty.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<(T, &[u8]), serde_json::Error> {
    let (head, body) = match bytes.iter().position(|&b| b == b'\n') {
        Some(end) => (&bytes[..end], &bytes[end + 1..]),
        None => (bytes, &[][..]),
    };
    Ok((serde_json::from_slice(head)?, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_raw_bytes_after_the_head_line() {
        let head = RequestHead {
            method: "POST".into(),
            url: "http://localhost/x?a=1".into(),
            path: "/x".into(),
            query: "a=1".into(),
            route: "POST /x".into(),
            params: BTreeMap::new(),
            headers: vec![("x-a".into(), "line\nbreak?".into())],
        };
        let body = b"\x89PNG\r\n\x1a\n\0\xff";
        let bytes = encode(&head, body);
        let (back, rest): (RequestHead, _) = decode(&bytes).unwrap();
        assert_eq!((back, rest), (head, &body[..]));
        let (only, rest): (ResponseHead, _) = decode(br#"{"status":204}"#).unwrap();
        assert_eq!((only.status, rest), (204, &b""[..]));
        assert!(decode::<ResponseHead>(b"not json\nbody").is_err());
    }
}
