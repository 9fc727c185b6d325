//! Per-call tokens: minted when a call that may use the app's API starts, revoked when it
//! ends, never longer-lived than the call's timeout.

use std::{
    collections::HashMap,
    fmt,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use http::{HeaderMap, header::AUTHORIZATION};

use super::scope::ScopeSet;

/// Every token starts with this, so it is recognisable in logs and secret scanners.
const PREFIX: &str = "wfn_";

/// Why a token was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The request has no `Authorization: Bearer` header.
    #[error("no bearer token")]
    Missing,
    /// The token was never issued, or its call has ended (tokens are revoked then).
    #[error("unknown token, or its call has ended")]
    Unknown,
    /// The token outlived its time to live while its call still ran.
    #[error("the token of {function} (call {call_id}) has expired")]
    Expired {
        /// The function it was issued to.
        function: String,
        /// The call it was issued for.
        call_id: u64,
    },
}

/// Who holds a valid token: the function, its call, and what it may request.
#[derive(Clone)]
pub struct TokenClaims {
    /// The function the token was issued to.
    pub function: String,
    /// The invocation's id (the `id` field of its `invocation` span).
    pub call_id: u64,
    /// When the token stops being accepted, even if its call still runs.
    pub expires_at: Instant,
    scopes: Arc<ScopeSet>,
}

impl TokenClaims {
    /// Whether the manifest's scopes grant `method` on `path` (the query is ignored). The
    /// host checks this before a request reaches the app; an app may check it again.
    pub fn allows(&self, method: &str, path: &str) -> bool {
        self.scopes.allows(method, path)
    }

    /// The scopes, as the manifest wrote them.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scopes.iter()
    }
}

impl fmt::Debug for TokenClaims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenClaims")
            .field("function", &self.function)
            .field("call_id", &self.call_id)
            .field("expires_at", &self.expires_at)
            .field("scopes", &self.scopes.iter().collect::<Vec<_>>())
            .finish()
    }
}

/// The tokens of the calls now running. An app's auth middleware verifies the bearer tokens
/// of requests that come from functions with [`TokenStore::verify_headers`].
///
/// ```
/// # fn check(functions: &wasmfn::Functions, headers: &http::HeaderMap) {
/// match functions.host_api().tokens().verify_headers(headers) {
///     Ok(claims) if claims.allows("POST", "/api/audit") => { /* a function, allowed */ }
///     Ok(_) => { /* a function, but not for this: 403 */ }
///     Err(_) => { /* not a function's token: the app's other auth applies */ }
/// }
/// # }
/// ```
#[derive(Default)]
pub struct TokenStore {
    live: Mutex<HashMap<String, TokenClaims>>,
}

impl fmt::Debug for TokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenStore").field("live", &self.live().len()).finish()
    }
}

impl TokenStore {
    /// The claims of `token`, if it belongs to a call still running and has not expired.
    pub fn verify(&self, token: &str) -> Result<TokenClaims, TokenError> {
        let mut live = self.live();
        let claims = live.get(token).ok_or(TokenError::Unknown)?;
        if Instant::now() >= claims.expires_at {
            let claims = live.remove(token).expect("just found");
            return Err(TokenError::Expired { function: claims.function, call_id: claims.call_id });
        }
        Ok(claims.clone())
    }

    /// [`verify`](Self::verify) for the token of an `Authorization: Bearer` header.
    pub fn verify_headers(&self, headers: &HeaderMap) -> Result<TokenClaims, TokenError> {
        let token = headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or(TokenError::Missing)?;
        self.verify(token.trim())
    }

    /// How many tokens are live (calls running with API access).
    pub fn len(&self) -> usize {
        self.live().len()
    }

    /// Whether no token is live.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A new token for one call, revoked when the returned guard is dropped.
    pub(crate) fn mint(
        self: &Arc<Self>,
        function: &str,
        call_id: u64,
        scopes: Arc<ScopeSet>,
        ttl: Duration,
    ) -> CallToken {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("the OS random source is available");
        let token = format!("{PREFIX}{}", hex::encode(bytes));
        let claims = TokenClaims {
            function: function.to_owned(),
            call_id,
            expires_at: Instant::now() + ttl,
            scopes,
        };
        self.live().insert(token.clone(), claims);
        CallToken { store: Arc::clone(self), token }
    }

    fn live(&self) -> std::sync::MutexGuard<'_, HashMap<String, TokenClaims>> {
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A live token; dropping it (the call ended, or its caller gave up) revokes it.
pub(crate) struct CallToken {
    store: Arc<TokenStore>,
    token: String,
}

impl CallToken {
    pub(crate) fn as_str(&self) -> &str {
        &self.token
    }
}

impl Drop for CallToken {
    fn drop(&mut self) {
        self.store.live().remove(&self.token);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scopes() -> Arc<ScopeSet> {
        Arc::new(ScopeSet::new(&["POST /api/audit".parse().unwrap()]).unwrap())
    }

    #[test]
    fn a_token_lives_as_long_as_its_guard() {
        let store = Arc::new(TokenStore::default());
        let guard = store.mint("audit", 7, scopes(), Duration::from_secs(30));
        let token = guard.as_str().to_owned();
        assert!(token.starts_with(PREFIX) && token.len() == PREFIX.len() + 64);
        let claims = store.verify(&token).unwrap();
        assert_eq!((claims.function.as_str(), claims.call_id), ("audit", 7));
        assert!(claims.allows("POST", "/api/audit") && !claims.allows("GET", "/api/audit"));
        drop(guard);
        assert_eq!(store.verify(&token).unwrap_err(), TokenError::Unknown);
        assert!(store.is_empty());
    }

    #[test]
    fn an_expired_token_is_refused_and_forgotten() {
        let store = Arc::new(TokenStore::default());
        let guard = store.mint("audit", 1, scopes(), Duration::ZERO);
        let err = store.verify(guard.as_str()).unwrap_err();
        assert_eq!(err, TokenError::Expired { function: "audit".into(), call_id: 1 });
        assert_eq!(store.verify(guard.as_str()).unwrap_err(), TokenError::Unknown);
    }

    #[test]
    fn tokens_are_unique_and_read_from_bearer_headers() {
        let store = Arc::new(TokenStore::default());
        let (a, b) = (
            store.mint("f", 1, scopes(), Duration::from_secs(5)),
            store.mint("f", 2, scopes(), Duration::from_secs(5)),
        );
        assert_ne!(a.as_str(), b.as_str());
        let mut headers = HeaderMap::new();
        assert_eq!(store.verify_headers(&headers).unwrap_err(), TokenError::Missing);
        headers.insert(AUTHORIZATION, format!("Bearer {}", b.as_str()).parse().unwrap());
        assert_eq!(store.verify_headers(&headers).unwrap().call_id, 2);
        headers.insert(AUTHORIZATION, "Bearer wfn_forged".parse().unwrap());
        assert_eq!(store.verify_headers(&headers).unwrap_err(), TokenError::Unknown);
    }
}
