//! Building wasmfn functions, for the CLI (`wasmfn build-rust`, `wasmfn build-js`) and tests:
//! an app that only runs prebuilt functions needs none of this.
//!
//! Rust guests build for wasm with whatever this machine has.
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
//! use wasmfn_build::RustGuestBuild;
//!
//! let wasm = RustGuestBuild::new("examples/hello-rust").run()?;
//! println!("built {}", wasm.display());
//! # Ok::<(), wasmfn_build::BuildError>(())
//! ```
//!
//! JavaScript/TypeScript functions build with [`JsBuild`]: esbuild bundles them, and the
//! bundle is appended to the QuickJS engine, itself a Rust guest built as above.

mod detect;
mod js;
mod preinit;
mod rust;

pub use self::{
    detect::{Toolchain, ToolchainSearch},
    js::{ENTRIES, JsBuild, JsBuildError, JsBuildReport},
    rust::{BuildError, RustGuestBuild, WASM_TARGET},
};

/// `tool` in a directory of `PATH`, if it is there.
pub(crate) fn find_on_path(tool: &str) -> Option<std::path::PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(tool))
        .find(|path| path.is_file())
}

/// Replaces `to` with `bytes` in one step: written beside it under a hidden name, then renamed
/// over it, so a watcher never sees half a file.
pub(crate) fn write_replacing(to: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = to.file_name().unwrap_or_default().to_string_lossy();
    let partial = to.with_file_name(format!(".{name}.partial"));
    std::fs::write(&partial, bytes)?;
    std::fs::rename(&partial, to)
}
