//! Functions calling the app's own API.
//!
//! A guest sends requests with its PDK (`wasmfn_pdk::api` in Rust); the host function
//! `wasmfn_api_request` checks each against the manifest's `api.scopes` (403 `scope_denied`
//! when none grants it, before the app sees anything), adds `Authorization: Bearer <token>`
//! and sends it to the app: in-process through the service given to [`HostApi::connect`]
//! (no TCP), or to the base URL given to [`HostApi::connect_url`].
//!
//! The token is minted by the [`TokenStore`] when a call of a function with scopes starts,
//! is bound to that function and call, holds its scopes, expires after the function's timeout
//! (or the shorter [`HostApi::with_token_ttl`]), and is revoked the moment the call ends. The
//! app's auth middleware verifies it with [`TokenStore::verify_headers`].
//!
//! ```no_run
//! use axum::{Router, routing::post};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let functions = wasmfn::Functions::builder().with_dir("functions").build()?;
//! let app = Router::new()
//!     .route("/api/audit", post(|| async { "recorded" }))
//!     .merge(functions.router());
//! // Functions' requests now reach `app` in-process.
//! functions.host_api().connect(app.clone());
//! # Ok(()) }
//! ```
//!
//! Connecting the app creates a reference cycle (the app's router holds the functions, which
//! hold the app): [`HostApi::disconnect`] breaks it when an app shuts down and wants its
//! functions dropped.

mod call;
mod scope;
mod target;
mod token;

use std::{fmt, sync::Arc, time::Duration};

use arc_swap::ArcSwapOption;
use axum::body::Body;
use bytes::Bytes;
use http::{Request, Response};
use tower::{BoxError, Service};

use self::target::ApiTarget;
pub(crate) use self::{call::CallApi, scope::ScopeSet, token::CallToken};
pub use self::{
    target::MAX_RESPONSE_BYTES,
    token::{TokenClaims, TokenError, TokenStore},
};

/// The app's API as functions reach it, and the tokens of the calls using it. Cheap to clone;
/// clones share the connection and the tokens.
#[derive(Clone, Default)]
pub struct HostApi {
    target: Arc<ArcSwapOption<ApiTarget>>,
    tokens: Arc<TokenStore>,
    token_ttl: Option<Duration>,
}

impl fmt::Debug for HostApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostApi")
            .field("target", &self.target.load())
            .field("tokens", &self.tokens)
            .field("token_ttl", &self.token_ttl)
            .finish()
    }
}

impl HostApi {
    /// Not connected: functions' requests fail with `host_api_unavailable` until
    /// [`connect`](Self::connect) or [`connect_url`](Self::connect_url).
    pub fn new() -> Self {
        Self::default()
    }

    /// Tokens expire `ttl` after their call starts, if the call is still running (default:
    /// the function's timeout, so a token never outlives its call).
    pub fn with_token_ttl(mut self, ttl: Duration) -> Self {
        self.token_ttl = Some(ttl);
        self
    }

    /// Sends functions' requests to `service` in-process: usually the app's whole router,
    /// auth middleware included.
    pub fn connect<S, B>(&self, service: S)
    where
        S: Service<Request<Body>, Response = Response<B>> + Clone + Send + Sync + 'static,
        S::Error: Into<BoxError>,
        S::Future: Send + 'static,
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        self.target.store(Some(Arc::new(ApiTarget::service(service))));
    }

    /// Sends functions' requests over HTTP to the app at `base_url` (like
    /// `http://127.0.0.1:8080`; plain HTTP), for apps that run out of process.
    pub fn connect_url(&self, base_url: &str) {
        self.target.store(Some(Arc::new(ApiTarget::base_url(base_url))));
    }

    /// Drops the connection: later requests fail with `host_api_unavailable`.
    pub fn disconnect(&self) {
        self.target.store(None);
    }

    /// Whether functions' requests have somewhere to go.
    pub fn is_connected(&self) -> bool {
        self.target.load().is_some()
    }

    /// The tokens of running calls, for the app's auth middleware.
    pub fn tokens(&self) -> &TokenStore {
        &self.tokens
    }

    fn target(&self) -> Option<Arc<ApiTarget>> {
        self.target.load_full()
    }

    /// A call's access: a token when the function has scopes (revoked when the returned
    /// guard drops, valid `timeout` at most), and what the host function needs to send
    /// requests (until `timeout` from now, or from [`CallApi::start`]).
    pub(crate) fn start_call(
        &self,
        function: &str,
        call_id: u64,
        scopes: &Arc<ScopeSet>,
        timeout: Duration,
    ) -> (Option<CallToken>, CallApi) {
        let token = (!scopes.is_empty()).then(|| {
            let ttl = self.token_ttl.map_or(timeout, |ttl| ttl.min(timeout));
            self.tokens.mint(function, call_id, Arc::clone(scopes), ttl)
        });
        let api = CallApi {
            api: self.clone(),
            scopes: Arc::clone(scopes),
            token: token.as_ref().map(|t| t.as_str().to_owned()),
            deadline: std::time::Instant::now() + timeout,
            runtime: tokio::runtime::Handle::try_current().ok(),
        };
        (token, api)
    }
}
