//! [`Functions`]: the one value an app creates to host functions, and its builder.

use std::{path::PathBuf, sync::Arc};

use axum::Router;

use crate::{
    discovery::Mode,
    host_api::HostApi,
    registry::FunctionRegistry,
    router::FunctionsLayer,
    runtime::RuntimeOptions,
    service::FunctionService,
    triggers::{DatabaseEvents, RetryPolicy, Scheduler, SecretSource, WebhookVerifier},
};

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
    /// Dev mode was asked for without a functions directory to watch.
    #[error("dev mode needs a functions directory (with_dir)")]
    DevWithoutDir,
    /// Dev mode could not start.
    #[cfg(feature = "dev")]
    #[error(transparent)]
    Dev(#[from] crate::dev::DevError),
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
    webhooks: Arc<WebhookVerifier>,
    scheduler: Option<Scheduler>,
    database: DatabaseEvents,
    host_api: HostApi,
    #[cfg(feature = "dev")]
    dev: Option<crate::dev::DevServer>,
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
        crate::router::router(
            Arc::clone(&self.registry),
            self.body_limit,
            Arc::clone(&self.webhooks),
        )
    }

    /// The HTTP API as an app of its own: [`router`](Self::router) plus a JSON 404 for any
    /// other path. What `wasmfn serve` runs; to add the functions to your app, merge
    /// `router()` (which leaves unknown paths to your app's fallback) or use the
    /// [`layer`](Self::layer).
    pub fn app(&self) -> Router {
        self.router().fallback(crate::router::not_found)
    }

    /// Where the app reports row changes, to run the functions hooking them:
    /// `functions.database().emit(DbEvent::insert("users", row))`.
    pub fn database(&self) -> &DatabaseEvents {
        &self.database
    }

    /// The app's API as functions reach it: [`connect`](HostApi::connect) your router so
    /// functions can call it, and verify their tokens with [`HostApi::tokens`].
    pub fn host_api(&self) -> &HostApi {
        &self.host_api
    }

    /// The scheduler running the functions' cron schedules (when built inside a tokio
    /// runtime with schedules on).
    pub fn scheduler(&self) -> Option<&Scheduler> {
        self.scheduler.as_ref()
    }

    /// A layer that serves the HTTP API in front of your app's service.
    pub fn layer(&self) -> FunctionsLayer {
        FunctionsLayer::new(self.router())
    }

    /// Dev mode's builds and reloads, when running in [`Mode::Dev`]. It runs as long as the
    /// registry lives (held by this value, its services and routers) or until stopped.
    #[cfg(feature = "dev")]
    pub fn dev(&self) -> Option<&crate::dev::DevServer> {
        self.dev.as_ref()
    }
}

/// Configures [`Functions`].
#[derive(Clone, Debug)]
pub struct FunctionsBuilder {
    dir: Option<PathBuf>,
    runtime: RuntimeOptions,
    body_limit: usize,
    mode: Mode,
    schedules: bool,
    secrets: SecretSource,
    retry: RetryPolicy,
    #[cfg(feature = "dev")]
    dev: crate::dev::DevOptions,
}

impl Default for FunctionsBuilder {
    fn default() -> Self {
        Self {
            dir: None,
            runtime: RuntimeOptions::default(),
            body_limit: 2 * 1024 * 1024,
            mode: Mode::default(),
            schedules: true,
            secrets: SecretSource::env(),
            retry: RetryPolicy::default(),
            #[cfg(feature = "dev")]
            dev: crate::dev::DevOptions::default(),
        }
    }
}

impl FunctionsBuilder {
    /// Loads the functions in the subfolders of `dir` (each with a `manifest.yaml`).
    pub fn with_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = Some(dir.into());
        self
    }

    /// How functions run: pool sizes, queue timeout, artifact size, the app's API (see
    /// [`RuntimeOptions`]; default: its defaults).
    pub fn with_runtime(mut self, runtime: RuntimeOptions) -> Self {
        self.runtime = runtime;
        self
    }

    /// The largest request body accepted over HTTP, in bytes (default 2 MiB); larger ones get
    /// 413.
    pub fn with_body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Whether functions' cron schedules run (default: yes, when built inside a tokio
    /// runtime). Turn them off on all but one replica of an app, or they fire once per replica.
    pub fn with_schedules(mut self, enabled: bool) -> Self {
        self.schedules = enabled;
        self
    }

    /// Where webhook secrets (the manifests' `secret_env` names) are looked up (default: the
    /// environment).
    pub fn with_secrets(mut self, secrets: SecretSource) -> Self {
        self.secrets = secrets;
        self
    }

    /// How background database-hook deliveries retry (default: 3 tries, 200 ms doubling).
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Serve (the default) or dev mode.
    pub fn with_mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Dev mode's debounce delays, build runner and build parallelism.
    #[cfg(feature = "dev")]
    pub fn with_dev_options(mut self, options: crate::dev::DevOptions) -> Self {
        self.dev = options;
        self
    }

    /// Loads the functions. Blocking: it compiles every module (milliseconds each when
    /// Extism's compile cache is warm). A function that fails to load is registered as
    /// disabled with its error; only an unreadable directory fails the build. In dev mode it
    /// then starts the watchers and the builds of stale functions, in the background.
    pub fn build(mut self) -> Result<Functions, SetupError> {
        let host_api = self.runtime.host_api.clone();
        self.runtime.mode = self.mode;
        let registry = Arc::new(FunctionRegistry::new(self.runtime));
        if let Some(dir) = &self.dir {
            registry
                .load_dir(dir)
                .map_err(|source| SetupError::ReadDir { dir: dir.clone(), source })?;
        }
        #[cfg(feature = "dev")]
        let dev = match (self.mode, self.dir) {
            (Mode::Serve, _) => None,
            (Mode::Dev, None) => return Err(SetupError::DevWithoutDir),
            (Mode::Dev, Some(dir)) => Some(crate::dev::DevServer::start(&registry, dir, self.dev)?),
        };
        let runtime = tokio::runtime::Handle::try_current();
        let scheduler = match (self.schedules, runtime) {
            (true, Ok(_)) => Some(Scheduler::start(&registry)),
            (true, Err(_)) => {
                tracing::debug!("built outside a tokio runtime: schedules do not run");
                None
            }
            (false, _) => None,
        };
        let database = DatabaseEvents::new(Arc::clone(&registry), self.retry);
        Ok(Functions {
            registry,
            body_limit: self.body_limit,
            webhooks: Arc::new(WebhookVerifier::new(self.secrets)),
            scheduler,
            database,
            host_api,
            #[cfg(feature = "dev")]
            dev,
        })
    }
}
