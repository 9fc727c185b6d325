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
//! missing or wrong one. Used signatures are kept in the trigger store: with PostgreSQL, a
//! signature used on one replica is a replay on every other (and when the database cannot be
//! reached, webhooks answer 503 rather than risk accepting a replay). The secret comes from the environment variable the manifest names
//! (`secret_env`), or from the app's own [`SecretSource`]; never from the manifest itself.
//!
//! The function gets `{ "type": "webhook", "path", "method", "headers", "body", "json" }`:
//! `body` is the raw body as text, `json` the body parsed when it is JSON (else `null`).

use std::{
    collections::{BTreeMap, HashMap},
    fmt,
    sync::{Arc, Mutex},
    time::{Duration, Instant, SystemTime},
};

use axum::http::HeaderMap;
use bytes::Bytes;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use wasmfn_schema::Hook;

use crate::{
    invocation::{Invocation, Trigger},
    json,
    registry::FunctionRegistry,
    store::{Store, StoreError},
};

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "x-wasmfn-signature";

/// The most `v1` values one header may list (a sender rotating secrets sends two).
const MAX_SIGNATURES: usize = 8;
/// How often a webhook whose secret is not set is logged.
const LOG_EVERY: Duration = Duration::from_secs(60);

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

/// Why a webhook request does not reach its function.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// No loaded function declares the path (404 `webhook_not_found`).
    #[error("no function handles the webhook {0:?}")]
    NotFound(String),
    /// The hook's secret is not set where secrets are looked up (503 `webhook_secret_missing`).
    #[error("the webhook {path:?} has no secret configured ({secret_env})")]
    SecretMissing {
        /// The webhook's path.
        path: String,
        /// The variable its manifest names.
        secret_env: String,
    },
    /// The signature is missing, malformed, wrong, stale or replayed (401 `unauthorized`).
    #[error("webhook {path:?}: {reason}")]
    Unauthorized {
        /// The webhook's path.
        path: String,
        /// What is wrong with the request.
        reason: &'static str,
    },
    /// The store of used signatures cannot be reached, so a replay cannot be ruled out (503
    /// `store_unavailable`).
    #[error("webhook {path:?}: cannot check for replays: {source}")]
    StoreUnavailable {
        /// The webhook's path.
        path: String,
        /// Why.
        #[source]
        source: StoreError,
    },
}

/// Checks webhook signatures and remembers the ones used, to refuse replays.
#[derive(Debug)]
pub struct WebhookVerifier {
    secrets: SecretSource,
    window: Duration,
    store: Store,
    /// When each missing secret was last logged: anyone can send requests, so the log says it
    /// once a minute, not once per request.
    missing_logged: Mutex<HashMap<String, Instant>>,
}

impl WebhookVerifier {
    /// A verifier with a 5 minute window.
    pub fn new(secrets: SecretSource) -> Self {
        Self::with_store(secrets, Store::default())
    }

    pub(crate) fn with_store(secrets: SecretSource, store: Store) -> Self {
        Self {
            secrets,
            window: Duration::from_secs(300),
            store,
            missing_logged: Mutex::new(HashMap::new()),
        }
    }

    /// Finds the webhook's function, verifies the request, and builds its invocation.
    pub(crate) async fn invocation(
        &self,
        registry: &FunctionRegistry,
        path: &str,
        method: &str,
        headers: &HeaderMap,
        body: &Bytes,
    ) -> Result<Invocation, WebhookError> {
        let (function, secret_env) =
            find_hook(registry, path).ok_or_else(|| WebhookError::NotFound(path.to_owned()))?;
        let secret = self.secrets.get(&secret_env).ok_or_else(|| {
            let mut logged = self.missing_logged.lock().unwrap_or_else(|e| e.into_inner());
            let due = logged.get(&secret_env).is_none_or(|at| at.elapsed() >= LOG_EVERY);
            if due {
                logged.insert(secret_env.clone(), Instant::now());
                tracing::error!(function = %function, "webhook secret {secret_env} is not set");
            }
            WebhookError::SecretMissing { path: path.to_owned(), secret_env: secret_env.clone() }
        })?;
        self.verify(headers, body, secret.as_bytes(), SystemTime::now()).await.map_err(
            |error| {
                tracing::debug!(function = %function, "webhook {path:?} refused: {error}");
                match error {
                    Refused::Unauthorized(reason) => {
                        WebhookError::Unauthorized { path: path.to_owned(), reason }
                    }
                    Refused::Store(source) => {
                        WebhookError::StoreUnavailable { path: path.to_owned(), source }
                    }
                }
            },
        )?;
        let headers: BTreeMap<&str, &str> =
            headers.iter().filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?))).collect();
        let text = String::from_utf8_lossy(body);
        // `json` sits one level down in the input, which is bounded like any other.
        let parses = json::check(body, Some(json::MAX_DEPTH - 1)).is_ok();
        let json = parses.then(|| serde_json::from_slice(body).ok()).flatten();
        let json = json.unwrap_or(serde_json::Value::Null);
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

    /// The headers a sender holding the secret of webhook `path` would send with `body` now:
    /// for firing a webhook by hand, through the same verification as any other.
    pub(crate) fn signed_headers(
        &self,
        registry: &FunctionRegistry,
        path: &str,
        body: &[u8],
    ) -> Result<HeaderMap, WebhookError> {
        let (_, secret_env) =
            find_hook(registry, path).ok_or_else(|| WebhookError::NotFound(path.to_owned()))?;
        let secret = self.secrets.get(&secret_env).ok_or_else(|| WebhookError::SecretMissing {
            path: path.to_owned(),
            secret_env: secret_env.clone(),
        })?;
        let now =
            SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let signature = signature_header(secret.as_bytes(), now, body);
        let mut headers = HeaderMap::new();
        headers.insert(
            SIGNATURE_HEADER,
            signature.parse().expect("hex and digits are a header value"),
        );
        headers.insert("content-type", axum::http::HeaderValue::from_static("application/json"));
        Ok(headers)
    }

    /// Checks the signature header against `body` at time `now`, and that the signature was
    /// not used before.
    async fn verify(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        secret: &[u8],
        now: SystemTime,
    ) -> Result<(), Refused> {
        let signature =
            self.check_signature(headers, body, secret, now).map_err(Refused::Unauthorized)?;
        // Remembered past the window's far end: until then the timestamp could still pass.
        let expires = now + self.window * 2;
        match self.store.first_use(&hex::encode(signature), now, expires).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(Refused::Unauthorized("this signature was already used (replay)")),
            Err(error) => Err(Refused::Store(error)),
        }
    }

    /// Checks the signature header against `body` at time `now` and returns the signature
    /// that matched. Nothing here can panic on a client's input: times are checked
    /// arithmetic, and the body is hashed once however many signatures the header lists.
    pub(crate) fn check_signature(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        secret: &[u8],
        now: SystemTime,
    ) -> Result<Vec<u8>, &'static str> {
        let header = headers
            .get(SIGNATURE_HEADER)
            .ok_or("missing X-Wasmfn-Signature header")?
            .to_str()
            .map_err(|_| "malformed X-Wasmfn-Signature header")?;
        let (mut timestamp, mut signatures) = (None, Vec::new());
        for part in header.split(',') {
            match part.trim().split_once('=') {
                Some(("t", t)) => timestamp = t.parse::<u64>().ok(),
                // Several `v1` values (a sender rotating its secret): any one may match.
                Some(("v1", v)) => signatures.extend(hex::decode(v).ok()),
                _ => {}
            }
        }
        let Some(timestamp) = timestamp.filter(|_| !signatures.is_empty()) else {
            return Err("malformed X-Wasmfn-Signature header (want t=<unix seconds>,v1=<hex>)");
        };
        if signatures.len() > MAX_SIGNATURES {
            return Err("too many signatures in the X-Wasmfn-Signature header");
        }
        // Whole seconds on both sides: no `SystemTime` arithmetic that could overflow.
        let now_secs = now.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        if now_secs.abs_diff(timestamp) > self.window.as_secs() {
            return Err("the signature's timestamp is outside the 5 minute window");
        }
        let mac = signed(secret, timestamp, body);
        signatures
            .into_iter()
            .find(|signature| mac.clone().verify_slice(signature).is_ok())
            .ok_or("the signature does not match")
    }
}

/// Why [`WebhookVerifier::verify`] refused a request.
#[derive(Debug, thiserror::Error)]
enum Refused {
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error(transparent)]
    Store(StoreError),
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

    #[tokio::test]
    async fn signatures_are_checked_for_key_body_time_and_reuse() {
        let verifier = WebhookVerifier::new(SecretSource::from_fn(|_| None));
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let t = 1_800_000_000;
        let good = signature_header(b"secret", t, b"{}");
        assert!(verifier.verify(&headers(&good), b"{}", b"secret", now).await.is_ok());
        let replay = verifier.verify(&headers(&good), b"{}", b"secret", now).await;
        assert!(replay.unwrap_err().to_string().contains("replay"));
        let other = signature_header(b"secret", t + 1, b"{}");
        assert!(
            verifier
                .check_signature(&headers(&other), b"{ }", b"secret", now)
                .unwrap_err()
                .contains("does not match")
        );
        assert!(
            verifier
                .check_signature(&headers(&other), b"{}", b"wrong", now)
                .unwrap_err()
                .contains("does not match")
        );
        let old = signature_header(b"secret", t - 301, b"{}");
        assert!(
            verifier
                .check_signature(&headers(&old), b"{}", b"secret", now)
                .unwrap_err()
                .contains("window")
        );
        assert!(
            verifier
                .check_signature(&HeaderMap::new(), b"{}", b"secret", now)
                .unwrap_err()
                .contains("missing")
        );
        assert!(
            verifier
                .check_signature(&headers("sha256=abc"), b"{}", b"secret", now)
                .unwrap_err()
                .contains("malformed")
        );
    }

    #[test]
    fn timestamps_far_from_now_are_refused_without_panicking() {
        let verifier = WebhookVerifier::new(SecretSource::from_fn(|_| None));
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        for t in ["18446744073709551615", "18446744073709551", "0", "99999999999999999999"] {
            let header = format!("t={t},v1={}", "ab".repeat(32));
            let error =
                verifier.check_signature(&headers(&header), b"{}", b"secret", now).unwrap_err();
            assert!(error.contains("window") || error.contains("malformed"), "{t}: {error}");
        }
        // A clock before 1970 is only "far from now", too.
        let good = signature_header(b"secret", 1_800_000_000, b"{}");
        let error =
            verifier.check_signature(&headers(&good), b"{}", b"secret", SystemTime::UNIX_EPOCH);
        assert!(error.unwrap_err().contains("window"));
    }

    #[test]
    fn any_of_several_signatures_may_match_but_not_too_many() {
        let verifier = WebhookVerifier::new(SecretSource::from_fn(|_| None));
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let good = signature_header(b"new", 1_800_000_000, b"{}");
        let good_hex = good.split_once(",v1=").unwrap().1;
        let old_first = format!("t=1800000000,v1={},v1={good_hex}", "00".repeat(32));
        assert!(verifier.check_signature(&headers(&old_first), b"{}", b"new", now).is_ok());
        let none = format!("t=1800000000,v1={},v1={}", "00".repeat(32), "11".repeat(32));
        assert!(
            verifier
                .check_signature(&headers(&none), b"{}", b"new", now)
                .unwrap_err()
                .contains("match")
        );
        let many = format!("t=1800000000{}", format!(",v1={}", "00".repeat(32)).repeat(9));
        let many = verifier.check_signature(&headers(&many), b"{}", b"new", now);
        assert!(many.unwrap_err().contains("many"));
    }
}
