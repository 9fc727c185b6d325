//! `wasmfn check`: validate all manifests.

use std::{path::Path, process::ExitCode};

use anstream::println;
use anyhow::Context;

use crate::style::{ERROR, OK, status};

pub(crate) fn run(dir: &Path) -> anyhow::Result<ExitCode> {
    let specs = wasmfn::discover(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    let mut failed = 0;
    for (_, spec) in &specs {
        match spec {
            Ok(spec) => {
                println!("{} {} ({})", status(OK, "ok"), spec.name(), spec.manifest_path.display())
            }
            Err(err) => {
                failed += 1;
                println!("{} {err}", status(ERROR, "error"));
            }
        }
    }
    println!("{} manifests, {} invalid", specs.len(), failed);
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
