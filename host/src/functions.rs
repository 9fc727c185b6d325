//! [`Functions`]: the one value an app creates to host functions, and its builder.

use std::{path::PathBuf, sync::Arc};

use axum::Router;

use crate::{
    dashboard::DashboardState,
    discovery::Mode,
    history::{CallHistory, HistoryOptions},
    host_api::HostApi,
    registry::FunctionRegistry,
    router::{Fallback, FunctionsLayer, RouterParts, Routes},
    runtime::RuntimeOptions,
    service::FunctionService,
    store::Store,
    triggers::{
        DatabaseEvents, FireError, Firing, Jobs, RetryPolicy, Scheduler, SecretSource, TriggerKind,
        WebhookVerifier,
    },
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
    /// The database URL given to `with_database_url` is not one.
    #[cfg(feature = "postgres")]
    #[error("the database URL is not valid: {0}")]
    DatabaseUrl(#[source] crate::store::StoreError),
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
    jobs: Jobs,
    store: Store,
    host_api: HostApi,
    dashboard: bool,
    #[cfg(feature = "prometheus")]
    prometheus: Option<metrics_exporter_prometheus::PrometheusHandle>,
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
    /// `merge` it into your app's router (it has no fallback, so your app keeps its own).
    /// The functions' own `routes` are served by [`layer`](Self::layer),
    /// [`routes`](Self::routes) and [`app`](Self::app): their paths change as functions load,
    /// and axum only lets them in as a fallback, of which a router has one.
    pub fn router(&self) -> Router {
        crate::router::router(self.router_parts(Arc::default()), Fallback::None)
    }

    /// The HTTP API and the functions' `routes` (as the router's fallback; other paths get
    /// axum's empty 404): merge it into an app without a fallback of its own, or make it your
    /// app's fallback (`app.fallback_service(functions.routes())`).
    pub fn routes(&self) -> Router {
        crate::router::router(self.router_parts(Arc::default()), Fallback::Routes)
    }

    /// The HTTP API and the functions' routes as an app of their own, with a JSON 404 for any
    /// other path: what `wasmfn serve` runs.
    pub fn app(&self) -> Router {
        crate::router::router(self.router_parts(Arc::default()), Fallback::RoutesThenJson404)
    }

    fn router_parts(&self, routes: Arc<Routes>) -> RouterParts {
        RouterParts {
            registry: Arc::clone(&self.registry),
            body_limit: self.body_limit,
            webhooks: Arc::clone(&self.webhooks),
            jobs: self.jobs.clone(),
            routes,
            #[cfg(feature = "prometheus")]
            prometheus: self.prometheus.clone(),
            extra: self.dashboard.then(|| (crate::dashboard::PREFIX, self.dashboard())),
        }
    }

    /// The dashboard's routes alone (`/_wasmfn/…`), whether or not
    /// [`with_dashboard`](FunctionsBuilder::with_dashboard) serves them: merge it behind your
    /// app's own auth layer. It shows the call history, so build with
    /// [`with_call_history`](FunctionsBuilder::with_call_history) for it to list calls.
    ///
    /// ```no_run
    /// # fn run(functions: wasmfn::Functions) {
    /// use axum::Router;
    /// // `require_admin` being your app's own auth middleware:
    /// // let admin = functions.dashboard().layer(axum::middleware::from_fn(require_admin));
    /// let app: Router = Router::new().merge(functions.router()).merge(functions.dashboard());
    /// # }
    /// ```
    pub fn dashboard(&self) -> Router {
        crate::dashboard::router(DashboardState {
            registry: Arc::clone(&self.registry),
            webhooks: Arc::clone(&self.webhooks),
            database: self.database.clone(),
        })
    }

    /// Fires `function`'s schedule, webhook or database hook by hand, now: the input the
    /// trigger would give it (a webhook signed with its secret and verified; `payload` as the
    /// webhook's body or the database row, a small test value when `None`), through the
    /// service. Returns the function's output.
    ///
    /// ```no_run
    /// # async fn run(functions: wasmfn::Functions) -> Result<(), Box<dyn std::error::Error>> {
    /// use wasmfn::triggers::TriggerKind;
    /// let output = functions.fire("nightly-report", TriggerKind::Schedule, None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn fire(
        &self,
        function: &str,
        trigger: TriggerKind,
        payload: Option<serde_json::Value>,
    ) -> Result<bytes::Bytes, FireError> {
        let firing =
            Firing { registry: &self.registry, webhooks: &self.webhooks, database: &self.database };
        firing.fire(function, trigger, payload).await
    }

    /// Where the app reports row changes, to run the functions hooking them:
    /// `functions.database().emit(DbEvent::insert("users", row))`.
    pub fn database(&self) -> &DatabaseEvents {
        &self.database
    }

    /// Connects to the trigger store and creates or upgrades its schema, if it has not yet:
    /// for an app that wants to fail (or say so) at startup rather than on first use. In
    /// memory, at once.
    pub async fn store_ready(&self) -> Result<(), crate::store::StoreError> {
        match &self.store {
            Store::Memory(_) => Ok(()),
            #[cfg(feature = "postgres")]
            Store::Postgres(pg) => pg.migrate().await,
        }
    }

    /// Queued calls: enqueue one, read its result, list and re-drive dead ones.
    pub fn jobs(&self) -> &Jobs {
        &self.jobs
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

    /// A layer that serves the HTTP API and the functions' routes in front of your app's
    /// service; every other request goes to your app.
    pub fn layer(&self) -> FunctionsLayer {
        let routes = Arc::<Routes>::default();
        let parts = self.router_parts(Arc::clone(&routes));
        #[cfg(feature = "prometheus")]
        let metrics = parts.prometheus.is_some();
        #[cfg(not(feature = "prometheus"))]
        let metrics = false;
        let extra = parts.extra.as_ref().map(|(prefix, _)| *prefix);
        let router = crate::router::router(parts, Fallback::Routes);
        FunctionsLayer::new(router, Arc::clone(&self.registry), routes, metrics, extra)
    }

    /// Dev mode's builds and reloads, when running in [`Mode::Dev`]. It runs as long as the
    /// registry lives (held by this value, its services and routers) or until stopped.
    #[cfg(feature = "dev")]
    pub fn dev(&self) -> Option<&crate::dev::DevServer> {
        self.dev.as_ref()
    }
}

/// The PostgreSQL database the trigger state goes in.
#[cfg(feature = "postgres")]
#[derive(Clone, Debug)]
enum Database {
    Pool(sqlx::PgPool),
    Url(String),
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
    history: Option<HistoryOptions>,
    dashboard: bool,
    #[cfg(feature = "postgres")]
    database: Option<Database>,
    #[cfg(feature = "postgres")]
    relay: crate::triggers::RelayOptions,
    #[cfg(feature = "dev")]
    dev: crate::dev::DevOptions,
    #[cfg(feature = "prometheus")]
    prometheus: Option<metrics_exporter_prometheus::PrometheusHandle>,
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
            history: None,
            dashboard: false,
            #[cfg(feature = "postgres")]
            database: None,
            #[cfg(feature = "postgres")]
            relay: crate::triggers::RelayOptions::default(),
            #[cfg(feature = "dev")]
            dev: crate::dev::DevOptions::default(),
            #[cfg(feature = "prometheus")]
            prometheus: None,
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

    /// Serves `GET /metrics` (from [`Functions::app`], [`Functions::routes`] and
    /// [`Functions::layer`]) rendered by `handle`, the recorder wasmfn's
    /// [`metrics`](crate::metrics) go to: see [`install_prometheus`](crate::metrics::install_prometheus).
    /// Off by default; put it behind your own auth in production if function names are private.
    #[cfg(feature = "prometheus")]
    pub fn with_prometheus(
        mut self,
        handle: metrics_exporter_prometheus::PrometheusHandle,
    ) -> Self {
        self.prometheus = Some(handle);
        self
    }

    /// Keeps each function's recent calls (input, output and logs cut to a few KiB; see
    /// [`history`](crate::history)) and serves them at `GET /api/calls` and
    /// `GET /api/functions/{name}/calls`, as JSON or live. Off by default: whoever reaches
    /// the API then sees what functions were given and answered; turn it on where that is
    /// fine (dev, behind your auth), and mark sensitive functions `history: redacted` in
    /// their manifests.
    pub fn with_call_history(mut self, options: HistoryOptions) -> Self {
        self.history = Some(options);
        self
    }

    /// Serves the [dashboard](Functions::dashboard) at `/_wasmfn/` beside the API (from
    /// [`Functions::router`], [`Functions::routes`], [`Functions::app`] and
    /// [`Functions::layer`]; off by default, on in `wasmfn dev`). Turns the call history on too (default options) unless
    /// [`with_call_history`](Self::with_call_history) set it. Anyone reaching it can call any
    /// function and fire any trigger: serve it only where that is fine.
    pub fn with_dashboard(mut self, enabled: bool) -> Self {
        self.dashboard = enabled;
        self
    }

    /// Whether functions' cron schedules run (default: yes, when built inside a tokio
    /// runtime). Replicas sharing a PostgreSQL store run each tick once between them; without
    /// one, every replica fires every tick.
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

    /// Shares the trigger state with every replica on this PostgreSQL database (the app's own
    /// pool is fine): schedules run each tick once, `emit_in` events and queued calls are
    /// delivered at least once by any replica, webhook replays are refused everywhere. The
    /// schema `wasmfn` is created on first use.
    #[cfg(feature = "postgres")]
    pub fn with_postgres(mut self, pool: sqlx::PgPool) -> Self {
        self.database = Some(Database::Pool(pool));
        self
    }

    /// [`with_postgres`](Self::with_postgres) with a pool of its own for `url`
    /// (`postgres://user:password@host/database`), connected on first use: a database that is
    /// down at startup only delays the triggers. An invalid URL fails [`build`](Self::build).
    #[cfg(feature = "postgres")]
    pub fn with_database_url(mut self, url: impl Into<String>) -> Self {
        self.database = Some(Database::Url(url.into()));
        self
    }

    /// How each replica's relay claims and waits for queued calls (with PostgreSQL).
    #[cfg(feature = "postgres")]
    pub fn with_relay(mut self, relay: crate::triggers::RelayOptions) -> Self {
        self.relay = relay;
        self
    }

    /// How background database-hook deliveries and queued calls retry (default: 3 tries,
    /// 200 ms doubling).
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
        let store = self.store()?;
        let host_api = self.runtime.host_api.clone();
        self.runtime.mode = self.mode;
        let history = match (self.history, self.dashboard) {
            (Some(options), _) => CallHistory::new(options),
            (None, true) => CallHistory::new(HistoryOptions::default()),
            (None, false) => CallHistory::off(),
        };
        let registry = Arc::new(FunctionRegistry::new(self.runtime).with_history(history));
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
        let in_runtime = tokio::runtime::Handle::try_current().is_ok();
        let scheduler = match (self.schedules, in_runtime) {
            (true, true) => Some(Scheduler::start_with(&registry, store.clone())),
            (true, false) => {
                tracing::debug!("built outside a tokio runtime: schedules do not run");
                None
            }
            (false, _) => None,
        };
        let database = DatabaseEvents::with_store(Arc::clone(&registry), self.retry, store.clone());
        #[cfg(feature = "postgres")]
        if let (Store::Postgres(store), true, true) = (&store, in_runtime, self.relay.enabled()) {
            let relay = crate::triggers::Relay {
                registry: Arc::downgrade(&registry),
                store: store.clone(),
                retry: self.retry,
                options: self.relay,
                deliveries: database.deliveries().clone(),
            };
            tokio::spawn(relay.run());
        }
        let jobs = Jobs::new(Arc::clone(&registry), store.clone(), self.retry);
        Ok(Functions {
            registry,
            body_limit: self.body_limit,
            webhooks: Arc::new(WebhookVerifier::with_store(self.secrets, store.clone())),
            scheduler,
            database,
            jobs,
            store,
            host_api,
            dashboard: self.dashboard,
            #[cfg(feature = "prometheus")]
            prometheus: self.prometheus,
            #[cfg(feature = "dev")]
            dev,
        })
    }

    /// Where the trigger state goes: memory, or the database given.
    fn store(&self) -> Result<Store, SetupError> {
        #[cfg(feature = "postgres")]
        match &self.database {
            None => {}
            Some(Database::Pool(pool)) => {
                return Ok(Store::Postgres(crate::store::PgStore::new(pool.clone())));
            }
            Some(Database::Url(url)) => {
                let store =
                    crate::store::PgStore::connect_lazy(url).map_err(SetupError::DatabaseUrl)?;
                return Ok(Store::Postgres(store));
            }
        }
        Ok(Store::default())
    }
}
