//! `wasmfn build` (manifests' build commands, in parallel) and `wasmfn build-rust` (a Rust
//! guest crate).

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
    sync::Arc,
    time::Instant,
};

use anstream::println;
use anyhow::Context;
use tokio::{sync::Semaphore, task::JoinSet};
use wasmfn::dev::BuildRunner;
use wasmfn_build::{JsBuild, RustGuestBuild};

use crate::style::{ERROR, OK, WORKING, status};

pub(crate) fn run(dir: &Path, names: &[String], jobs: usize) -> anyhow::Result<ExitCode> {
    let specs = match names {
        [] => wasmfn::discover(dir)
            .with_context(|| format!("cannot read {}", dir.display()))?
            .into_iter()
            .map(|(_, spec)| spec)
            .collect::<Result<Vec<_>, _>>()?,
        names => names.iter().map(|n| super::find_function(dir, n)).collect::<Result<_, _>>()?,
    };
    let (to_build, skipped): (Vec<_>, Vec<_>) =
        specs.into_iter().partition(|s| s.manifest.build.is_some());
    for spec in &skipped {
        println!("{} {} (no build)", status(crate::style::DIM, "skip"), spec.name());
    }
    let runner = BuildRunner::new().with_wasmfn_binary(super::wasmfn_binary()?);
    let total = to_build.len();
    let started = Instant::now();
    let failed = tokio::runtime::Runtime::new()?.block_on(async move {
        let slots = Arc::new(Semaphore::new(jobs.max(1)));
        let mut builds = JoinSet::new();
        for spec in to_build {
            let (runner, slots) = (runner.clone(), Arc::clone(&slots));
            builds.spawn(async move {
                let _slot = slots.acquire_owned().await;
                println!("{} {}", status(WORKING, "building"), spec.name());
                let result = runner.run(&spec).await;
                (spec, result)
            });
        }
        let mut failed = Vec::new();
        let mut done = 0;
        while let Some(joined) = builds.join_next().await {
            let (spec, result) = joined.expect("a build task never panics");
            done += 1;
            let progress = format!("[{done}/{total}]");
            match result {
                Ok(took) => println!(
                    "{} {} in {took:.1?} -> {} {progress}",
                    status(OK, "built"),
                    spec.name(),
                    spec.artifact.display()
                ),
                Err(error) => {
                    println!("{} {error} {progress}", status(ERROR, "error"));
                    failed.push(spec.name().to_owned());
                }
            }
        }
        failed
    });
    if failed.is_empty() {
        if total > 1 {
            println!("{} {total} functions in {:.1?}", status(OK, "finished"), started.elapsed());
        }
        Ok(ExitCode::SUCCESS)
    } else {
        println!(
            "{} {} of {total} builds: {}",
            status(ERROR, "failed"),
            failed.len(),
            failed.join(", ")
        );
        Ok(ExitCode::FAILURE)
    }
}

pub(crate) fn rust(dir: &Path, output: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let mut build = RustGuestBuild::new(dir);
    if let Some(output) = output {
        build = build.with_output(output);
    }
    let wasm = build.run()?;
    eprintln!("wasm: {}", wasm.display());
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn js(
    dir: &Path,
    entry: Option<PathBuf>,
    output: Option<PathBuf>,
    preinitialize: bool,
) -> anyhow::Result<ExitCode> {
    let mut build = JsBuild::new(dir).with_preinitialize(preinitialize);
    if let Some(entry) = entry {
        build = build.with_entry(entry);
    }
    if let Some(output) = output {
        build = build.with_output(output);
    }
    if !build.engine_is_fresh() {
        eprintln!("building the JavaScript engine from source (the first time takes minutes)");
    }
    let report = build.run()?;
    eprintln!(
        "bundled {} bytes in {:.0?}{}; wasm: {}",
        report.bundle_bytes,
        report.bundle_time,
        if report.preinitialized { ", pre-initialized" } else { "" },
        report.output.display()
    );
    Ok(ExitCode::SUCCESS)
}
