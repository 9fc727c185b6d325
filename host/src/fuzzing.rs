//! Entry points for the fuzz targets in `fuzz/` (feature `fuzzing`): the parts of the host that
//! read what anonymous clients send, callable without a server or a guest around them. Not
//! part of the API: names and signatures change with the code they reach.

use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderValue};

use crate::triggers::{SIGNATURE_HEADER, SecretSource, WebhookVerifier};

/// The check every call's input passes before a guest runs (UTF-8, JSON, nesting depth).
pub fn check_input(bytes: &[u8]) -> Result<(), String> {
    crate::json::check(bytes, Some(crate::json::MAX_DEPTH))
}

/// A webhook signature check: `header` as the `X-Wasmfn-Signature` value, at `now` (unix
/// seconds).
pub fn verify_webhook(header: &[u8], body: &[u8], secret: &[u8], now: u64) -> Result<(), String> {
    let verifier = WebhookVerifier::new(SecretSource::from_fn(|_| None));
    let mut headers = HeaderMap::new();
    let value = HeaderValue::from_bytes(header).map_err(|e| e.to_string())?;
    headers.insert(SIGNATURE_HEADER, value);
    let now = SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(now));
    let now = now.unwrap_or(SystemTime::UNIX_EPOCH);
    verifier.check_signature(&headers, body, secret, now).map(drop).map_err(str::to_owned)
}

/// A JS function's error stack with the bundle's positions mapped through `source_map` (if it
/// parses), as the host does for every error a JS function throws.
pub fn map_stack(source_map: &str, message: &str) -> Option<String> {
    crate::runtime::map_stack(source_map, message)
}
