//! wasmfn runs user-written functions as sandboxed WebAssembly plugins inside your app.
//!
//! Each function lives in a folder with a `manifest.yaml` (see [`wasmfn_schema::Manifest`])
//! and a wasm artifact, which wasmfn loads through [Extism](https://extism.org) and calls with
//! JSON.
//!
//! ```no_run
//! use wasmfn::{FunctionSpec, WasmFunction};
//!
//! let spec = FunctionSpec::from_dir("examples/hello-rust")?;
//! let function = WasmFunction::load(&spec)?;
//! let output = function.call_json(&serde_json::json!({ "name": "world" }))?;
//! assert_eq!(output["message"], "Hello, world!");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

pub mod discovery;
pub mod runtime;
pub mod toolchain;

pub use discovery::{DiscoveryError, FunctionSpec, discover};
pub use runtime::{InvokeError, LoadError, WasmFunction};
pub use wasmfn_schema as schema;
