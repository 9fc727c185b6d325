//! [`Functions`]: the one value an app creates to host functions, and its builder.

use std::{path::PathBuf, sync::Arc, time::Duration};

use axum::Router;

use crate::{FunctionRegistry, FunctionService, FunctionsLayer, RuntimeOptions};

/// Why [`FunctionsBuilder::build`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// The functions directory cannot be read.
    #[error("cannot read the functions directory {}: {source}", dir.display())]
    ReadDir {
        /// The directory.
        dir: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
}

/// The functions an app hosts: a registry plus the ways to call it (a tower service, an axum
/// router, a layer).
///
/// ```no_run
/// use axum::{Router, routing::get};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let functions = wasmfn::Functions::builder()
///     .with_dir("functions")
///     .with_body_limit(1024 * 1024)
///     .build()?;
/// let app = Router::new().route("/", get(|| async { "my app" })).merge(functions.router());
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// axum::serve(listener, app).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Functions {
    registry: Arc<FunctionRegistry>,
    body_limit: usize,
}

impl Functions {
    /// A builder with the defaults: no directory, pools sized to the cores, 2 MiB bodies.
    pub fn builder() -> FunctionsBuilder {
        FunctionsBuilder::default()
    }

    /// The registry: look up, list, load, reload and unload functions.
    pub fn registry(&self) -> &Arc<FunctionRegistry> {
        &self.registry
    }

    /// A tower service calling these functions.
    pub fn service(&self) -> FunctionService {
        FunctionService::new(Arc::clone(&self.registry))
    }

    /// The HTTP API as an axum router with absolute paths (`/api/functions/{name}`, ...):
    /// `merge` it into your app's router.
    pub fn router(&self) -> Router {
        crate::router::router(Arc::clone(&self.registry), self.body_limit)
    }

    /// A layer that serves the HTTP API in front of your app's service.
    pub fn layer(&self) -> FunctionsLayer {
        FunctionsLayer::new(self.router())
    }
}

/// Configures [`Functions`].
#[derive(Clone, Debug)]
pub struct FunctionsBuilder {
    dir: Option<PathBuf>,
    runtime: RuntimeOptions,
    body_limit: usize,
}

impl Default for FunctionsBuilder {
    fn default() -> Self {
        Self { dir: None, runtime: RuntimeOptions::default(), body_limit: 2 * 1024 * 1024 }
    }
}

impl FunctionsBuilder {
    /// Loads the functions in the subfolders of `dir` (each with a `manifest.yaml`).
    pub fn with_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = Some(dir.into());
        self
    }

    /// The most instances of one function running at once (default: the number of cores).
    pub fn with_pool_size(mut self, size: usize) -> Self {
        self.runtime.pool_size = size.max(1);
        self
    }

    /// How long a call waits for a free instance before failing with `overloaded` (503);
    /// default: the function's timeout.
    pub fn with_queue_timeout(mut self, timeout: Duration) -> Self {
        self.runtime.queue_timeout = Some(timeout);
        self
    }

    /// The largest request body accepted over HTTP, in bytes (default 2 MiB); larger ones get
    /// 413.
    pub fn with_body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Loads the functions. Blocking: it compiles every module (milliseconds each when
    /// Extism's compile cache is warm). A function that fails to load is registered as
    /// disabled with its error; only an unreadable directory fails the build.
    pub fn build(self) -> Result<Functions, SetupError> {
        let registry = Arc::new(FunctionRegistry::new(self.runtime));
        if let Some(dir) = self.dir {
            registry.load_dir(&dir).map_err(|source| SetupError::ReadDir { dir, source })?;
        }
        Ok(Functions { registry, body_limit: self.body_limit })
    }
}
