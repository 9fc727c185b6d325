//! [`FunctionsLayer`]: adds the functions' routes to any tower HTTP service.

use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use axum::{Router, body::Body};
use http::{Request, Response};
use tower::{Layer, Service, ServiceExt};

use super::{METRICS_PATH, PATH_PREFIXES, Routes};
use crate::registry::FunctionRegistry;

/// A [`Layer`] that answers the functions' API (`/api/functions…`, `/api/health`, ...) and
/// their own `routes`, and passes every other request to the service it wraps.
///
/// ```no_run
/// use axum::{Router, routing::get};
/// use wasmfn::Functions;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let functions = Functions::builder().with_dir("functions").build()?;
/// let app = Router::new().route("/", get(|| async { "my app" })).layer(functions.layer());
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// axum::serve(listener, app).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct FunctionsLayer {
    steer: Steer,
}

/// What the layer needs to tell the functions' requests from the app's.
#[derive(Clone, Debug)]
struct Steer {
    router: Router,
    registry: Arc<FunctionRegistry>,
    routes: Arc<Routes>,
    metrics: bool,
    /// One more prefix of its own (the dashboard's), if any.
    extra: Option<&'static str>,
}

impl Steer {
    fn takes(&self, path: &str) -> bool {
        is_functions_path(path)
            || (self.metrics && path == METRICS_PATH)
            || self.extra.is_some_and(|prefix| under(path, prefix))
            || self.routes.table(&self.registry).1.matches(path)
    }
}

impl FunctionsLayer {
    pub(crate) fn new(
        router: Router,
        registry: Arc<FunctionRegistry>,
        routes: Arc<Routes>,
        metrics: bool,
        extra: Option<&'static str>,
    ) -> Self {
        Self { steer: Steer { router, registry, routes, metrics, extra } }
    }
}

impl<S> Layer<S> for FunctionsLayer {
    type Service = WithFunctions<S>;

    fn layer(&self, inner: S) -> Self::Service {
        WithFunctions { steer: self.steer.clone(), inner }
    }
}

/// The service [`FunctionsLayer`] produces.
#[derive(Clone, Debug)]
pub struct WithFunctions<S> {
    steer: Steer,
    inner: S,
}

fn is_functions_path(path: &str) -> bool {
    PATH_PREFIXES.iter().any(|prefix| under(path, prefix))
}

/// Whether `path` is `prefix` or below it.
fn under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

impl<S> Service<Request<Body>> for WithFunctions<S>
where
    S: Service<Request<Body>, Response = Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        if self.steer.takes(request.uri().path()) {
            let router = self.steer.router.clone();
            Box::pin(async move {
                Ok(router.oneshot(request).await.unwrap_or_else(|never| match never {}))
            })
        } else {
            Box::pin(self.inner.call(request))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_functions_path;

    #[test]
    fn steers_only_the_functions_paths() {
        assert!(is_functions_path("/api/functions"));
        assert!(is_functions_path("/api/functions/hello"));
        assert!(is_functions_path("/api/health"));
        assert!(!is_functions_path("/api/functionsx"));
        assert!(!is_functions_path("/api/users"));
        assert!(!is_functions_path("/"));
    }
}
