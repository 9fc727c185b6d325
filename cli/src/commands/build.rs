//! `wasmfn build` (a manifest's build command) and `wasmfn build-rust` (a Rust guest crate).

use std::{
    path::Path,
    process::{Command, ExitCode},
    time::Instant,
};

use anyhow::{Context, bail};
use wasmfn::toolchain::RustGuestBuild;

pub(crate) fn run(dir: &Path, names: &[String]) -> anyhow::Result<ExitCode> {
    let specs = match names {
        [] => wasmfn::discover(dir)
            .with_context(|| format!("cannot read {}", dir.display()))?
            .into_iter()
            .map(|(_, spec)| spec)
            .collect::<Result<Vec<_>, _>>()?,
        names => names.iter().map(|n| super::find_function(dir, n)).collect::<Result<_, _>>()?,
    };
    let mut failed = Vec::new();
    for spec in &specs {
        let Some(build) = &spec.manifest.build else {
            println!("skip  {} (no build)", spec.name());
            continue;
        };
        let started = Instant::now();
        // `wasmfn` in a manifest means this very binary, installed or not.
        let program = match build.command.as_str() {
            "wasmfn" => std::env::current_exe().context("cannot locate the wasmfn binary")?,
            other => other.into(),
        };
        let status =
            Command::new(&program).args(&build.args).current_dir(&spec.dir).status().with_context(
                || format!("{}: cannot run {:?}", spec.name(), build.command.as_str()),
            )?;
        if status.success() && spec.artifact.is_file() {
            println!(
                "built {} in {:.1?} -> {}",
                spec.name(),
                started.elapsed(),
                spec.artifact.display()
            );
        } else if status.success() {
            println!(
                "error {}: the build succeeded but {} does not exist",
                spec.name(),
                spec.artifact.display()
            );
            failed.push(spec.name().to_owned());
        } else {
            println!("error {}: build failed ({status})", spec.name());
            failed.push(spec.name().to_owned());
        }
    }
    if !failed.is_empty() {
        bail!("{} of {} builds failed: {}", failed.len(), specs.len(), failed.join(", "));
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn rust(dir: &Path) -> anyhow::Result<ExitCode> {
    let wasm = RustGuestBuild::new(dir).run()?;
    eprintln!("wasm: {}", wasm.display());
    Ok(ExitCode::SUCCESS)
}
