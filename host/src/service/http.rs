//! HTTP functions at the service's edge: a request turned into the bytes the `http` export
//! reads, and the bytes it returns checked and turned into a response. The framing is
//! [`wasmfn_schema::wire::http`]'s: a JSON head line, then the body.

use std::collections::BTreeMap;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, StatusCode, request::Parts};
use wasmfn_schema::wire::http::{self as wire, RequestHead, ResponseHead};

/// The most headers a response may have.
pub(crate) const MAX_RESPONSE_HEADERS: usize = 100;
/// The most bytes a response's header names and values may take together.
pub(crate) const MAX_RESPONSE_HEADER_BYTES: usize = 64 * 1024;

/// Headers the server sets itself (framing, connection management): a function's are dropped.
const SERVER_HEADERS: [&str; 7] = [
    "connection",
    "content-length",
    "keep-alive",
    "proxy-connection",
    "te",
    "transfer-encoding",
    "upgrade",
];

/// The bytes a route's function receives for `parts` and `body`: `route` as the manifest
/// writes it, its path parameters (percent-decoded) by name.
pub(crate) fn encode_request(
    parts: &Parts,
    route: &str,
    params: BTreeMap<String, String>,
    body: &[u8],
) -> Bytes {
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty())
        .unwrap_or("localhost");
    let path_and_query = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    let headers = parts
        .headers
        .iter()
        .map(|(name, value)| {
            // Header values are bytes; the few that are not UTF-8 arrive as Latin-1, as in
            // `fetch`'s `Headers`.
            let value = match value.to_str() {
                Ok(text) => text.to_owned(),
                Err(_) => value.as_bytes().iter().map(|&b| b as char).collect(),
            };
            (name.as_str().to_owned(), value)
        })
        .collect();
    let head = RequestHead {
        method: parts.method.as_str().to_owned(),
        url: format!("http://{host}{path_and_query}"),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or_default().to_owned(),
        route: route.to_owned(),
        params,
        headers,
    };
    Bytes::from(wire::encode(&head, body))
}

/// Checks what an `http` export returned: a head that parses, a status from 200 to 599, valid
/// headers within the limits, a body of at most `max_body` bytes. The error says what is wrong.
pub(crate) fn check_response(output: &[u8], max_body: u64) -> Result<(), String> {
    parse_response(output, max_body).map(drop)
}

/// The response a checked output describes.
pub(crate) fn into_response(output: Bytes) -> Result<http::Response<Bytes>, String> {
    let (head, body) = parse_response(&output, u64::MAX)?;
    let body = output.slice_ref(body);
    let mut response = http::Response::new(body);
    *response.status_mut() = head.0;
    *response.headers_mut() = head.1;
    Ok(response)
}

type Head = (StatusCode, http::HeaderMap);

fn parse_response(output: &[u8], max_body: u64) -> Result<(Head, &[u8]), String> {
    let (head, body): (ResponseHead, &[u8]) = wire::decode(output).map_err(|e| {
        format!("the response head is not JSON ({e}); return a Response (or status, headers, body)")
    })?;
    let status = StatusCode::from_u16(head.status)
        .ok()
        .filter(|s| (200..=599).contains(&s.as_u16()))
        .ok_or_else(|| format!("status {} is not a final HTTP status (200 to 599)", head.status))?;
    if body.len() as u64 > max_body {
        return Err(format!(
            "the body has {} bytes, more than http.max_response_body ({})",
            body.len(),
            bytesize::ByteSize(max_body)
        ));
    }
    if head.headers.len() > MAX_RESPONSE_HEADERS {
        return Err(format!(
            "{} headers, more than the {MAX_RESPONSE_HEADERS} a response may have",
            head.headers.len()
        ));
    }
    let size: usize = head.headers.iter().map(|(n, v)| n.len() + v.len()).sum();
    if size > MAX_RESPONSE_HEADER_BYTES {
        return Err(format!(
            "the headers take {size} bytes, more than {MAX_RESPONSE_HEADER_BYTES}"
        ));
    }
    let mut headers = http::HeaderMap::with_capacity(head.headers.len());
    for (name, value) in head.headers {
        let header = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("{name:?} is not a header name"))?;
        let value = HeaderValue::from_str(&value)
            .map_err(|_| format!("the value of header {name:?} is not a header value"))?;
        if !SERVER_HEADERS.contains(&header.as_str()) {
            headers.append(header, value);
        }
    }
    Ok(((status, headers), body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(head: &str, body: &[u8]) -> Bytes {
        let mut bytes = head.as_bytes().to_vec();
        bytes.push(b'\n');
        bytes.extend_from_slice(body);
        Bytes::from(bytes)
    }

    #[test]
    fn responses_are_checked_before_they_are_sent() {
        let ok = output(
            r#"{"status":201,"headers":[["set-cookie","a=1"],["set-cookie","b=2"],["content-length","9"]]}"#,
            b"<p>hi</p>",
        );
        check_response(&ok, 9).unwrap();
        let response = into_response(ok.clone()).unwrap();
        assert_eq!(response.status(), 201);
        assert_eq!(response.headers().get_all("set-cookie").iter().count(), 2);
        assert!(response.headers().get("content-length").is_none());
        assert!(check_response(&ok, 8).unwrap_err().contains("max_response_body"));

        for (head, error) in [
            (r#"{"status":99}"#, "not a final HTTP status"),
            (r#"{"status":700}"#, "not a final HTTP status"),
            (r#"{"status":200,"headers":[["bad name","x"]]}"#, "not a header name"),
            (r#"{"status":200,"headers":[["x-a","line\nbreak"]]}"#, "not a header value"),
            ("<html>", "not JSON"),
        ] {
            let message = check_response(&output(head, b""), 100).unwrap_err();
            assert!(message.contains(error), "{head}: {message}");
        }
        let many: Vec<String> = (0..101).map(|i| format!(r#"["x-{i}","v"]"#)).collect();
        let head = format!(r#"{{"status":200,"headers":[{}]}}"#, many.join(","));
        assert!(check_response(&output(&head, b""), 100).unwrap_err().contains("101 headers"));
    }
}
