//! Signed webhooks: `POST /api/webhooks/{path}` runs the function whose manifest declares
//! `type: webhook, path: {path}`.
//!
//! A request must carry `X-Wasmfn-Signature: t=<unix seconds>,v1=<hex>`, where `<hex>` is the
//! HMAC-SHA256, keyed with the hook's secret, of `<t>.<raw body>`:
//!
//! ```sh
//! t=$(date +%s)
//! sig=$(printf '%s.%s' "$t" "$body" | openssl dgst -sha256 -hmac "$SECRET" -hex | cut -d' ' -f2)
//! curl -H "X-Wasmfn-Signature: t=$t,v1=$sig" -d "$body" localhost:8080/api/webhooks/github
//! ```
//!
//! The signature is compared in constant time; a timestamp more than 5 minutes away from now,
//! or a signature already used within that window (a replay), is refused with 401, like a
//! missing or wrong one. The secret comes from the environment variable the manifest names
//! (`secret_env`), or from the app's own [`SecretSource`]; never from the manifest itself.
//!
//! The function gets `{ "type": "webhook", "path", "method", "headers", "body", "json" }`:
//! `body` is the raw body as text, `json` the body parsed when it is JSON (else `null`).

use std::{
    collections::{BTreeMap, HashMap},
    fmt,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};

use axum::http::{HeaderMap, StatusCode};
use bytes::Bytes;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use wasmfn_schema::Hook;

use crate::{ApiError, FunctionRegistry, Invocation, Trigger};

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "x-wasmfn-signature";

type Lookup = dyn Fn(&str) -> Option<String> + Send + Sync;

/// How the webhook secrets named in manifests (`secret_env`) are looked up.
#[derive(Clone)]
pub struct SecretSource(Arc<Lookup>);

impl SecretSource {
    /// Secrets from the process environment (the default).
    pub fn env() -> Self {
        Self(Arc::new(|name| std::env::var(name).ok()))
    }

    /// Secrets from `lookup` (a vault, a config file, a test's map).
    pub fn from_fn(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        Self(Arc::new(lookup))
    }

    fn get(&self, name: &str) -> Option<String> {
        (self.0)(name)
    }
}

impl Default for SecretSource {
    fn default() -> Self {
        Self::env()
    }
}

impl fmt::Debug for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretSource")
    }
}

/// Checks webhook signatures and remembers the ones used, to refuse replays.
#[derive(Debug)]
pub struct WebhookVerifier {
    secrets: SecretSource,
    window: Duration,
    seen: Mutex<HashMap<String, SystemTime>>,
}

impl WebhookVerifier {
    /// A verifier with a 5 minute window.
    pub fn new(secrets: SecretSource) -> Self {
        Self { secrets, window: Duration::from_secs(300), seen: Mutex::new(HashMap::new()) }
    }

    /// Finds the webhook's function, verifies the request, and builds its invocation.
    pub(crate) fn invocation(
        &self,
        registry: &FunctionRegistry,
        path: &str,
        method: &str,
        headers: &HeaderMap,
        body: &Bytes,
    ) -> Result<Invocation, ApiError> {
        let (function, secret_env) = find_hook(registry, path).ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "webhook_not_found",
                format!("no function handles the webhook {path:?}"),
            )
        })?;
        let secret = self.secrets.get(&secret_env).ok_or_else(|| {
            tracing::error!(function = %function, "webhook secret {secret_env} is not set");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "webhook_secret_missing",
                format!("the webhook {path:?} has no secret configured ({secret_env})"),
            )
        })?;
        self.verify(headers, body, secret.as_bytes(), SystemTime::now()).map_err(|reason| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                format!("webhook {path:?}: {reason}"),
            )
        })?;
        let headers: BTreeMap<&str, &str> =
            headers.iter().filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?))).collect();
        let text = String::from_utf8_lossy(body);
        let json: serde_json::Value =
            serde_json::from_slice(body).unwrap_or(serde_json::Value::Null);
        let input = serde_json::json!({
            "type": "webhook",
            "path": path,
            "method": method,
            "headers": headers,
            "body": text,
            "json": json,
        });
        Ok(Invocation::json(function, &input).with_trigger(Trigger::Webhook))
    }

    /// Checks the signature header against `body` at time `now`.
    fn verify(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        secret: &[u8],
        now: SystemTime,
    ) -> Result<(), &'static str> {
        let header = headers
            .get(SIGNATURE_HEADER)
            .ok_or("missing X-Wasmfn-Signature header")?
            .to_str()
            .map_err(|_| "malformed X-Wasmfn-Signature header")?;
        let (mut timestamp, mut signature) = (None, None);
        for part in header.split(',') {
            match part.trim().split_once('=') {
                Some(("t", t)) => timestamp = t.parse::<u64>().ok(),
                Some(("v1", v)) => signature = hex::decode(v).ok(),
                _ => {}
            }
        }
        let (Some(timestamp), Some(signature)) = (timestamp, signature) else {
            return Err("malformed X-Wasmfn-Signature header (want t=<unix seconds>,v1=<hex>)");
        };
        let signed_at = SystemTime::UNIX_EPOCH + Duration::from_secs(timestamp);
        let age = now.duration_since(signed_at).unwrap_or_else(|e| e.duration());
        if age > self.window {
            return Err("the signature's timestamp is outside the 5 minute window");
        }
        signed(secret, timestamp, body)
            .verify_slice(&signature)
            .map_err(|_| "the signature does not match")?;
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.retain(|_, at| now.duration_since(*at).unwrap_or_default() <= self.window * 2);
        if seen.insert(hex::encode(&signature), now).is_some() {
            return Err("this signature was already used (replay)");
        }
        Ok(())
    }
}

/// The function declaring the webhook `path`, and the name of its secret.
fn find_hook(registry: &FunctionRegistry, path: &str) -> Option<(String, String)> {
    super::loaded_hooks(registry).into_iter().find_map(|(function, hook)| match hook {
        Hook::Webhook(webhook)
            if webhook.path.as_str().trim_matches('/') == path.trim_matches('/') =>
        {
            Some((function, webhook.secret_env.as_str().to_owned()))
        }
        _ => None,
    })
}

/// The HMAC of `<timestamp>.<body>` keyed with `secret`: what a signature signs.
fn signed(secret: &[u8], timestamp: u64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    mac
}

/// `X-Wasmfn-Signature` for `body` signed with `secret` at `timestamp` (unix seconds): what a
/// sender computes.
pub fn signature_header(secret: &[u8], timestamp: u64, body: &[u8]) -> String {
    let signature = signed(secret, timestamp, body).finalize().into_bytes();
    format!("t={timestamp},v1={}", hex::encode(signature))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(SIGNATURE_HEADER, value.parse().unwrap());
        headers
    }

    #[test]
    fn signatures_are_checked_for_key_body_time_and_reuse() {
        let verifier = WebhookVerifier::new(SecretSource::from_fn(|_| None));
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let t = 1_800_000_000;
        let good = signature_header(b"secret", t, b"{}");
        assert_eq!(verifier.verify(&headers(&good), b"{}", b"secret", now), Ok(()));
        assert!(
            verifier.verify(&headers(&good), b"{}", b"secret", now).unwrap_err().contains("replay")
        );
        let other = signature_header(b"secret", t + 1, b"{}");
        assert!(
            verifier
                .verify(&headers(&other), b"{ }", b"secret", now)
                .unwrap_err()
                .contains("does not match")
        );
        assert!(
            verifier
                .verify(&headers(&other), b"{}", b"wrong", now)
                .unwrap_err()
                .contains("does not match")
        );
        let old = signature_header(b"secret", t - 301, b"{}");
        assert!(
            verifier.verify(&headers(&old), b"{}", b"secret", now).unwrap_err().contains("window")
        );
        assert!(
            verifier
                .verify(&HeaderMap::new(), b"{}", b"secret", now)
                .unwrap_err()
                .contains("missing")
        );
        assert!(
            verifier
                .verify(&headers("sha256=abc"), b"{}", b"secret", now)
                .unwrap_err()
                .contains("malformed")
        );
    }
}
