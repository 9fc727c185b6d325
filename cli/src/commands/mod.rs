//! One module per subcommand.

pub(crate) mod build;
pub(crate) mod check;
pub(crate) mod invoke;
pub(crate) mod logs;
pub(crate) mod new;
pub(crate) mod serve;

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use wasmfn::FunctionSpec;

/// The function called `name` under `dir`.
fn find_function(dir: &Path, name: &str) -> anyhow::Result<FunctionSpec> {
    let mut known = Vec::new();
    for (_, spec) in
        wasmfn::discover(dir).with_context(|| format!("cannot read {}", dir.display()))?
    {
        match spec {
            Ok(spec) if spec.name() == name => return Ok(spec),
            Ok(spec) => known.push(spec.name().to_owned()),
            Err(err) => tracing::warn!("{err}"),
        }
    }
    bail!("no function named {name:?} in {} (found: {})", dir.display(), known.join(", "))
}

/// This binary: what a manifest's `command: wasmfn` runs, installed or not.
fn wasmfn_binary() -> anyhow::Result<PathBuf> {
    std::env::current_exe().context("cannot locate the wasmfn binary")
}
