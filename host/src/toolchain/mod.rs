//! Building Rust guests for wasm with whatever this machine has.
//!
//! Two ways work, tried in order:
//! 1. **rustup** with the `wasm32-unknown-unknown` target installed (the usual setup):
//!    `cargo build --target wasm32-unknown-unknown`, first with the toolchain the crate
//!    selects, then with any other installed toolchain that has the target.
//! 2. **Debian's Rust** (`rustc-web`, `cargo-web`, `rust-web-src`, `lld-19`): std is built from
//!    its sources (`-Zbuild-std`) and linked with `wasm-ld-19`.
//!
//! When neither is there, [`RustGuestBuild::run`] fails with [`BuildError::NoToolchain`], which
//! says what to install.
//!
//! ```no_run
//! use wasmfn::toolchain::RustGuestBuild;
//!
//! let wasm = RustGuestBuild::new("examples/hello-rust").run()?;
//! println!("built {}", wasm.display());
//! # Ok::<(), wasmfn::toolchain::BuildError>(())
//! ```

mod detect;
mod rust;

pub use self::{
    detect::{Toolchain, ToolchainSearch},
    rust::{BuildError, RustGuestBuild, WASM_TARGET},
};
