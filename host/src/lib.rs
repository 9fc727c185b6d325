//! wasmfn runs user-written functions as sandboxed WebAssembly plugins inside your axum or
//! tower app.
//!
//! Each function lives in a folder with a `manifest.yaml` (see [`schema::Manifest`]) and a
//! wasm artifact. [`Functions`] loads a folder of them through [Extism](https://extism.org),
//! each call under the function's memory limit and timeout, and offers them as a tower
//! [`FunctionService`], an axum router (`POST /api/functions/{name}`) and a
//! [`FunctionsLayer`].
//!
//! ```no_run
//! use axum::{Router, routing::get};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let functions = wasmfn::Functions::builder().with_dir("functions").build()?;
//! let app = Router::new()
//!     .route("/", get(|| async { "my app" }))
//!     .merge(functions.router());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```
//!
//! Data flows one way through the modules: discovery (folders to [`FunctionSpec`]s) →
//! [`registry`] (names to loaded functions) → [`runtime`] (compiled modules, instance pools,
//! processes, limits) → the [`FunctionService`] (tower) → the router (axum) → [`server`]
//! (TCP). [`triggers`] turn events into calls of the service; in dev mode, `dev` (feature `dev`) rebuilds and
//! reloads functions as their files change. See `docs/architecture.md`.
//!
//! # The API
//!
//! | | |
//! | --- | --- |
//! | the way in | [`Functions`], [`FunctionsBuilder`], [`SetupError`], [`Mode`] |
//! | calling functions | [`FunctionService`], [`Invocation`], [`Trigger`], [`Handler`], [`InvokeError`], [`DisabledReason`] |
//! | HTTP | [`Functions::router`], [`Functions::routes`], [`Functions::app`], [`FunctionsLayer`], [`WithFunctions`], [`ApiError`]; [`server`] to serve it with limits |
//! | function folders | [`FunctionSpec`], [`discover`], [`DiscoveryError`], [`Entrypoint`], [`LoadError`] |
//! | lower level | [`registry`] (the table of functions), [`runtime`] (loading one function, its options) |
//! | triggers and callbacks | [`triggers`] (database events, webhooks, schedules, queued calls), [`host_api`] (functions calling the app) |
//! | shared trigger state | [`store`] (memory, or PostgreSQL with feature `postgres`: replicas share schedules, events, jobs) |
//! | observing | [`metrics`] (what is counted; `GET /metrics` with feature `prometheus`), [`history`] (recent calls and their logs, live) |
//! | dev mode (feature `dev`) | `dev` |
//! | manifest and wire types | [`schema`] (the `wasmfn-schema` crate) |
#![forbid(unsafe_code)]

mod dashboard;
#[cfg(feature = "dev")]
pub mod dev;
mod discovery;
mod functions;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod history;
pub mod host_api;
mod invocation;
mod json;
pub mod metrics;
mod process_group;
pub mod registry;
mod router;
pub mod runtime;
pub mod server;
mod service;
pub mod store;
pub mod triggers;

pub use self::{
    discovery::{Discovered, DiscoveryError, Entrypoint, FunctionSpec, Mode, discover},
    functions::{Functions, FunctionsBuilder, SetupError},
    invocation::{Handler, Invocation, Trigger},
    router::{ApiError, FunctionsLayer, WithFunctions},
    runtime::error::{DisabledReason, InvokeError, LoadError},
    service::FunctionService,
};
pub use wasmfn_schema as schema;

// The guides' code is compiled as doctests, so they cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../docs/embedding.md")]
struct EmbeddingGuide;

#[cfg(all(doctest, feature = "dev"))]
#[doc = include_str!("../../docs/dev-mode.md")]
struct DevModeGuide;
