//! Process functions (`runtime: process`): functions that run as a subprocess per call, for
//! code that cannot be wasm yet (native libraries, existing scripts). Opt-in, behind the same
//! registry, service, router and triggers as wasm functions.
//!
//! The protocol: the input JSON on stdin, the output JSON on stdout (exit status 0), log
//! lines on stderr. To fail with a code and an HTTP status, a process writes
//! `{"error": {"code": "...", "message": "...", "status": 404}}` and exits non-zero.
//!
//! What runs follows the mode ([`Entrypoint`](crate::Entrypoint)): dev mode runs the source through its
//! interpreter, so every call sees the latest save; serve mode runs the build's output, copied
//! at load, so nothing on disk changes what is served until a restart.
//!
//! Limits: the manifest's timeout (the process group is killed), its memory as the process's
//! `RLIMIT_DATA` (for deno, V8's heap limit), [`MAX_OUTPUT_BYTES`] of output, `pool_size`
//! processes at once, and an environment of only the variables `process.env` names plus
//! `WASMFN_FUNCTION`, `WASMFN_MODE`, `WASMFN_CONFIG` (the manifest's `config` as JSON) and
//! `WASMFN_CALL` (see `process_group/escaped.rs`).
//! See `docs/process-runtime.md`.

mod function;
mod permits;
mod run;

pub(super) use self::function::ProcessFunction;
pub use self::run::MAX_OUTPUT_BYTES;
