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
//! Data flows one way through the modules: [`discovery`] (folders to specs) → [`registry`]
//! (names to loaded functions) → [`runtime`] (compiled modules, instance pools, limits) →
//! [`service`] (tower) → [`router`] (axum). In dev mode, [`dev`] rebuilds and reloads
//! functions as their files change.
#![forbid(unsafe_code)]

#[cfg(feature = "dev")]
pub mod dev;
pub mod discovery;
mod functions;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod guest_log;
pub mod host_api;
mod host_fns;
mod invocation;
pub mod js;
mod json;
pub mod process;
pub mod registry;
pub mod router;
pub mod runtime;
pub mod server;
pub mod service;
pub mod toolchain;
pub mod triggers;

pub use discovery::{DiscoveryError, FunctionSpec, discover};
pub use functions::{Functions, FunctionsBuilder, Mode, SetupError};
pub use host_api::HostApi;
pub use invocation::{Invocation, Trigger};
pub use registry::{BuildReport, FunctionEntry, FunctionInfo, FunctionRegistry, FunctionStatus};
pub use router::{ApiError, FunctionsLayer, WithFunctions};
pub use runtime::{InvokeError, LoadError, LoadedFunction, RuntimeOptions};
pub use service::FunctionService;
pub use wasmfn_schema as schema;

// The guides' code is compiled as doctests, so they cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../docs/embedding.md")]
struct EmbeddingGuide;

#[cfg(all(doctest, feature = "dev"))]
#[doc = include_str!("../../docs/dev-mode.md")]
struct DevModeGuide;
