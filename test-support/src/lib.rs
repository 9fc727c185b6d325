//! What wasmfn's tests, benches and examples share, in one place: real guests built once
//! ([`guests`]), function folders ([`FunctionsDir`]), in-process calls ([`calls`]), the one
//! HTTP client and a real server ([`http`]), the `wasmfn` binary as a process ([`cli`]), a real
//! PostgreSQL server ([`Postgres`]), load from wrk ([`wrk`]), and waiting for a condition or a guest's word instead of
//! sleeping ([`wait_until`], [`signals`]).
//!
//! Not published; every test and bench of the workspace uses it instead of a copy of its own.
#![allow(missing_docs, reason = "test helpers, documented where their use is not obvious")]

pub mod calls;
pub mod cli;
mod dir;
pub mod guests;
pub mod http;
pub mod postgres;
pub mod signals;
pub mod wrk;

use std::time::{Duration, Instant};

pub use self::{
    calls::{call, replace_file, spawn_call, spin_iterations_for},
    cli::{KillOnDrop, Server, Stderr},
    dir::{EVERY_HOOK, FunctionsDir},
    guests::{
        build_guest, built_function, example, example_copy, guest_target_dir, repo_root,
        testbed_wasm,
    },
    http::{Api, HttpLoad, LoadReport, request, request_with, serve},
    postgres::Postgres,
};

/// Waits until `condition` holds, checking every 10 ms; panics naming `what` after `patience`
/// (long enough for a slow CI machine: a passing test never waits that long).
pub async fn wait_until(what: &str, patience: Duration, condition: impl Fn() -> bool) {
    let started = Instant::now();
    while !condition() {
        assert!(started.elapsed() < patience, "no {what} within {patience:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// [`wait_until`] for code outside tokio (the CLI's tests).
pub fn wait_until_blocking(what: &str, patience: Duration, condition: impl Fn() -> bool) {
    let started = Instant::now();
    while !condition() {
        assert!(started.elapsed() < patience, "no {what} within {patience:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}
