//! Write [wasmfn](https://crates.io/crates/wasmfn) functions in Rust.
//!
//! A function is an ordinary Rust function with serde-typed input and output, marked with
//! [`#[wasmfn_pdk::function]`](function). Build the crate as a `cdylib` for wasm (`wasmfn
//! build-rust` picks the toolchain) and the host calls it with JSON.
//!
//! ```
//! use serde::{Deserialize, Serialize};
//! use wasmfn_pdk::{Error, config, info};
//!
//! #[derive(Deserialize)]
//! struct Input {
//!     name: String,
//! }
//!
//! #[derive(Serialize)]
//! struct Output {
//!     greeting: String,
//! }
//!
//! #[wasmfn_pdk::function]
//! fn handle(input: Input) -> Result<Output, Error> {
//!     if input.name.is_empty() {
//!         return Err(Error::invalid_input("name must not be empty"));
//!     }
//!     let greeting = config::get("greeting").unwrap_or_else(|| "Hello".to_owned());
//!     info!("greeting {}", input.name);
//!     Ok(Output { greeting: format!("{greeting}, {}!", input.name) })
//! }
//!
//! // Off wasm, the handler is a plain function: unit-test it directly.
//! # #[cfg(not(target_arch = "wasm32"))]
//! assert_eq!(handle(Input { name: "Ada".into() }).unwrap().greeting, "Hello, Ada!");
//! ```
//!
//! What the caller sees:
//! - `Ok(output)`: the output serialized as JSON.
//! - `Err(error)`: `{ "error": { "code": ..., "message": ... } }` with the [`Error`]'s code and
//!   message (an HTTP caller gets a 4xx/5xx status chosen by the host).
//! - An input that does not deserialize into the handler's type: an `invalid_input` error
//!   naming the field. An empty input reads as JSON `null` (so `Option<T>` and `()` inputs
//!   accept a call with no body).
//! - A panic: a `trap` error whose message is the panic message and location.
//! - Running out of memory (the manifest's `memory` limit): a `memory_limit` error.
//!
//! Outside wasm (unit tests, doctests) the host calls ([`config::get`], logging, [`api`]) are
//! inert: config reads return `None`, logs go nowhere, API requests fail.

#[doc(hidden)]
pub mod abi;
pub mod api;
pub mod config;
mod error;
pub mod http;
mod log;
mod run;

pub use error::{Error, Result};
/// Marks a function as a wasmfn function: the host calls it with the JSON input deserialized
/// into its argument, and sends back its result as JSON.
///
/// The function takes zero or one argument (any `serde::Deserialize` type, e.g. a struct or
/// `serde_json::Value`) and returns `Result<T, E>` where `T: serde::Serialize` and
/// `E: Into<wasmfn_pdk::Error>` (any `std::error::Error` converts, so `?` works).
///
/// The wasm export is named after the function (`handle` is what manifests call by default);
/// `#[wasmfn_pdk::function(export = "other")]` names it explicitly.
///
/// ```
/// #[wasmfn_pdk::function]
/// fn handle(numbers: Vec<i64>) -> wasmfn_pdk::Result<i64> {
///     Ok(numbers.iter().sum())
/// }
/// # assert_eq!(handle(vec![1, 2, 3]).unwrap(), 6);
/// ```
pub use wasmfn_pdk_macros::function;
/// Marks a function as the HTTP handler of the function's `routes`: it takes a
/// [`http::Request`] (or nothing) and returns anything [`http::IntoResponse`], or a `Result`
/// of one whose error is the function's error. The wasm export is `http`, whatever the
/// handler is called; a crate has at most one.
///
/// ```
/// use wasmfn_pdk::http::{Json, Request, RequestExt};
///
/// #[wasmfn_pdk::http]
/// fn api(request: Request) -> wasmfn_pdk::Result<Json<serde_json::Value>> {
///     let id: u64 = request.param("id").unwrap_or("0").parse()?;
///     Ok(Json(serde_json::json!({ "id": id })))
/// }
/// ```
pub use wasmfn_pdk_macros::http;
pub use wasmfn_schema::wire::codes;

// The guide's code is compiled as doctests, so it cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/rust.md")]
struct RustGuide;

#[doc(hidden)]
pub mod __private {
    pub use crate::log::{log, to_value};
    pub use crate::run::{run, run_http};
    pub use serde::de::IgnoredAny;
    pub use serde_json::Map;
}
