//! `wasmfn_fetch`: a guest's outbound HTTP request (JS `fetch()`), sent only to the manifest's
//! `allowed_hosts`, matched as Extism matches them for its own `http_request`. Unlike that
//! function, a refusal or a failed connection is an answer the guest reads (JS rejects the
//! promise with a `TypeError`), never a trap; every redirect's target is checked too, and the
//! request gets only the call's remaining time.

use std::{io::Read, time::Duration};

use extism::{CurrentPlugin, Function, PTR, UserData, Val};
use wasmfn_schema::wire::{
    ErrorDetail, abi,
    http::{self as wire, FetchRequest, FetchResult},
};

use crate::runtime::wasm::state::HostState;

/// The most redirects followed, as browsers do.
const MAX_REDIRECTS: usize = 20;
/// The largest response body read (Extism's own limit for `http_request`).
const MAX_RESPONSE_BYTES: u64 = 50 * 1024 * 1024;

pub(super) fn function(state: &UserData<HostState>) -> Function {
    Function::new(abi::FETCH, [PTR], [PTR], state.clone(), fetch)
}

fn fetch(
    plugin: &mut CurrentPlugin,
    inputs: &[Val],
    outputs: &mut [Val],
    state: UserData<HostState>,
) -> Result<(), extism::Error> {
    let input: Vec<u8> = plugin.memory_get_val::<&[u8]>(&inputs[0])?.to_vec();
    let allowed = state.get()?.lock().unwrap_or_else(|e| e.into_inner()).allowed_hosts.clone();
    let remaining = plugin.time_remaining();
    let (result, body) = match wire::decode::<FetchRequest>(&input) {
        Ok((request, body)) => send(&allowed, request, body, remaining),
        Err(e) => (error("invalid_input", format!("not a fetch request: {e}")), Vec::new()),
    };
    if let FetchResult::Error(error) = &result {
        tracing::debug!(code = %error.code, "fetch failed: {}", error.message);
    }
    plugin.memory_set_val(&mut outputs[0], wire::encode(&result, &body).as_slice())?;
    Ok(())
}

fn error(code: &str, message: impl Into<String>) -> FetchResult {
    FetchResult::Error(ErrorDetail { code: code.to_owned(), message: message.into() })
}

/// Whether `url`'s host is one of `allowed` (glob patterns, or exact names).
fn allows(allowed: &[String], url: &url::Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    allowed.iter().any(|pattern| match glob::Pattern::new(pattern) {
        Ok(glob) => glob.matches(host),
        Err(_) => pattern == host,
    })
}

fn send(
    allowed: &[String],
    request: FetchRequest,
    body: &[u8],
    remaining: Option<Duration>,
) -> (FetchResult, Vec<u8>) {
    let FetchRequest { mut method, url, headers, redirect } = request;
    let mut url = match url::Url::parse(&url) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => url,
        Ok(url) => {
            return (
                error("invalid_url", format!("{url}: only http and https are fetched")),
                vec![],
            );
        }
        Err(e) => return (error("invalid_url", format!("{url:?} is not a URL: {e}")), vec![]),
    };
    let mut body = Some(body.to_vec());
    let started = std::time::Instant::now();
    for hop in 0..=MAX_REDIRECTS {
        if !allows(allowed, &url) {
            let host = url.host_str().unwrap_or_default();
            let how = if hop == 0 { "" } else { "a redirect to " };
            return (
                error(
                    "host_not_allowed",
                    format!(
                        "fetch to {how}{url} refused: {host} is not in the manifest's allowed_hosts"
                    ),
                ),
                vec![],
            );
        }
        let left = remaining.map(|r| r.saturating_sub(started.elapsed()));
        if left == Some(Duration::ZERO) {
            return (error("timeout", format!("fetch {url}: the call has no time left")), vec![]);
        }
        let response = match request_once(&method, &url, &headers, body.as_deref(), left) {
            Ok(response) => response,
            Err(e) => return (error("network_error", format!("fetch {url}: {e}")), vec![]),
        };
        let status = response.status().as_u16();
        let location = response.headers().get("location").and_then(|l| l.to_str().ok());
        let follow = redirect.as_deref().unwrap_or("follow");
        if let (true, Some(location)) = ((300..400).contains(&status), location) {
            match follow {
                "manual" => {}
                "error" => {
                    return (
                        error("redirect", format!("fetch {url}: redirected (redirect: \"error\")")),
                        vec![],
                    );
                }
                _ => {
                    let next = match url.join(location) {
                        Ok(next) => next,
                        Err(e) => {
                            return (
                                error("network_error", format!("fetch {url}: bad redirect: {e}")),
                                vec![],
                            );
                        }
                    };
                    // As fetch does: 303 (and 301/302 after a POST) go on as a GET without body.
                    if status == 303 || (matches!(status, 301 | 302) && method == "POST") {
                        method = "GET".to_owned();
                        body = None;
                    }
                    url = next;
                    continue;
                }
            }
        }
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (n.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned())
            })
            .collect();
        let mut bytes = Vec::new();
        let read =
            response.into_body().into_reader().take(MAX_RESPONSE_BYTES + 1).read_to_end(&mut bytes);
        if let Err(e) = read {
            return (error("network_error", format!("fetch {url}: reading the body: {e}")), vec![]);
        }
        if bytes.len() as u64 > MAX_RESPONSE_BYTES {
            return (
                error("too_large", format!("fetch {url}: the body is larger than 50 MiB")),
                vec![],
            );
        }
        let result =
            FetchResult::Response { status, headers, url: url.to_string(), redirected: hop > 0 };
        return (result, bytes);
    }
    (error("redirect", format!("fetch: more than {MAX_REDIRECTS} redirects")), vec![])
}

fn request_once(
    method: &str,
    url: &url::Url,
    headers: &[(String, String)],
    body: Option<&[u8]>,
    timeout: Option<Duration>,
) -> Result<ureq::http::Response<ureq::Body>, String> {
    let mut request = ureq::http::Request::builder().method(method).uri(url.as_str());
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let request = request.body(body.unwrap_or_default().to_vec()).map_err(|e| e.to_string())?;
    let agent = agent();
    let request = agent
        .configure_request(request)
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(timeout)
        .build();
    agent.run(request).map_err(|e| match e {
        ureq::Error::Timeout(_) => "the call's time ran out".to_owned(),
        other => other.to_string(),
    })
}

/// One client for the process: connections to a host are reused across calls.
fn agent() -> &'static ureq::Agent {
    static AGENT: std::sync::OnceLock<ureq::Agent> = std::sync::OnceLock::new();
    AGENT.get_or_init(ureq::Agent::new_with_defaults)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_matched_like_extism_does() {
        let allowed = ["127.0.0.1".to_owned(), "*.example.com".to_owned()];
        let url = |s: &str| url::Url::parse(s).unwrap();
        assert!(allows(&allowed, &url("http://127.0.0.1:8080/x")));
        assert!(allows(&allowed, &url("https://api.example.com/")));
        assert!(!allows(&allowed, &url("https://example.com.evil.net/")));
        assert!(!allows(&allowed, &url("http://localhost/")));
        assert!(!allows(&[], &url("http://127.0.0.1/")));
    }

    #[test]
    fn a_refused_host_is_an_answer_and_no_request() {
        let request = FetchRequest {
            method: "GET".into(),
            url: "http://10.255.255.1/".into(),
            headers: vec![],
            redirect: None,
        };
        let (result, _) = send(&["127.0.0.1".into()], request, b"", None);
        let FetchResult::Error(error) = result else { panic!("sent: {result:?}") };
        assert_eq!(error.code, "host_not_allowed");
        assert!(error.message.contains("10.255.255.1 is not in the manifest's allowed_hosts"));
    }
}
