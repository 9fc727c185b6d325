//! `wasmfn serve` (prod: prebuilt artifacts only, no builds, no watchers) and `wasmfn dev`
//! (builds, watchers, hot reload), which share everything but the mode.

use std::{net::SocketAddr, path::Path, process::ExitCode, time::Duration};

use anstream::eprintln;
use anyhow::Context;
use wasmfn::{
    Functions, Mode,
    dev::{BuildRunner, DevEvent, DevOptions},
    registry::FunctionStatus,
    runtime::RuntimeOptions,
    server::ServerOptions,
};

use crate::style::{DIM, ERROR, OK, WARN, WORKING, status};

pub(crate) struct ServeArgs<'a> {
    pub(crate) dir: &'a Path,
    pub(crate) addr: SocketAddr,
    pub(crate) body_limit: usize,
    pub(crate) max_artifact_size: u64,
    pub(crate) database_url: Option<&'a str>,
    pub(crate) metrics: bool,
    /// Serve the dashboard at /_wasmfn/ (and keep the call history it shows).
    pub(crate) dashboard: bool,
    /// Keep the call history (served at /api/calls) without the dashboard.
    pub(crate) call_history: bool,
    pub(crate) server: ServerOptions,
    pub(crate) mode: Mode,
}

pub(crate) fn run(args: ServeArgs<'_>) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new()?;
    let result = runtime.block_on(serve(args));
    // What still runs is dropped with its task: calls past the grace period and builds, whose
    // process groups their guards kill. A wasm call still computing is abandoned.
    runtime.shutdown_timeout(Duration::from_secs(1));
    result
}

async fn serve(args: ServeArgs<'_>) -> anyhow::Result<ExitCode> {
    // From the start: a signal while functions load or build still shuts down cleanly.
    let signals = Signals::listen()?;
    let mut builder = Functions::builder()
        .with_dir(args.dir)
        .with_body_limit(args.body_limit)
        .with_runtime(RuntimeOptions::default().with_max_artifact_size(args.max_artifact_size));
    if let Some(url) = args.database_url {
        builder = builder.with_database_url(url);
    }
    if args.metrics {
        builder = builder.with_prometheus(wasmfn::metrics::install_prometheus()?);
    }
    if args.call_history {
        builder = builder.with_call_history(wasmfn::history::HistoryOptions::default());
    }
    builder = builder.with_dashboard(args.dashboard);
    if args.mode == Mode::Dev {
        let runner = BuildRunner::new().with_wasmfn_binary(super::wasmfn_binary()?);
        builder = builder
            .with_mode(Mode::Dev)
            .with_dev_options(DevOptions::default().with_builder(runner));
    }
    let functions = builder.build()?;
    if args.database_url.is_some() {
        // Said at startup, but not fatal: the triggers wait for the database, calls do not.
        match tokio::time::timeout(Duration::from_secs(10), functions.store_ready()).await {
            Ok(Ok(())) => {
                eprintln!("{} trigger state in PostgreSQL (schema wasmfn)", status(OK, "database"))
            }
            Ok(Err(error)) => {
                eprintln!("{} {error}; triggers wait for it", status(WARN, "database"))
            }
            Err(_) => eprintln!(
                "{} no answer within 10 s; triggers wait for it",
                status(WARN, "database")
            ),
        }
    }
    for info in functions.registry().list() {
        // Dev mode is about to build it: not worth a warning.
        let will_build = args.mode == Mode::Dev
            && wasmfn::FunctionSpec::from_dir(&info.dir)
                .is_ok_and(|spec| wasmfn::dev::stale_reason(&spec).is_some());
        match (&info.status, &info.last_error) {
            (FunctionStatus::Ready, _) => eprintln!("{} {}", status(OK, "ready"), info.name),
            (FunctionStatus::Disabled, _) if will_build => {
                eprintln!("{} {} (waits for its build)", status(WORKING, "pending"), info.name)
            }
            (FunctionStatus::Disabled, error) => eprintln!(
                "{} {}: {}",
                status(WARN, "disabled"),
                info.name,
                error.as_deref().unwrap_or("not loaded")
            ),
        }
    }
    if let Some(dev) = functions.dev() {
        let mut events = dev.subscribe();
        let registry = std::sync::Arc::clone(functions.registry());
        tokio::spawn(async move {
            while let Ok(event) = events.recv().await {
                let serving = |f: &str| registry.get(f).is_some_and(|e| e.current().is_some());
                print_event(&event, serving);
            }
        });
    }
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("cannot listen on {}", args.addr))?;
    let mode = if args.mode == Mode::Dev { "dev" } else { "serve" };
    eprintln!(
        "{} {} on http://{} {DIM}({mode} mode){DIM:#}",
        status(OK, "serving"),
        args.dir.display(),
        listener.local_addr()?,
    );
    if args.dashboard {
        eprintln!("{} http://{}/_wasmfn/", status(OK, "dashboard"), listener.local_addr()?);
    }
    let stop = signals.first();
    let serving = wasmfn::server::serve(listener, functions.app(), &args.server, stop);
    tokio::select! {
        served = serving => served?,
        () = signals.second() => eprintln!("{} a second signal: stopping now", status(WARN, "stopping")),
    }
    if let Some(dev) = functions.dev() {
        dev.stop();
    }
    if let Some(scheduler) = functions.scheduler() {
        scheduler.stop();
    }
    eprintln!("{} {}", status(OK, "stopped"), args.dir.display());
    Ok(ExitCode::SUCCESS)
}

/// SIGTERM (what process managers and `docker stop` send) and SIGINT (Ctrl-C), counted.
struct Signals(tokio::sync::watch::Receiver<u32>);

impl Signals {
    fn listen() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        let (count, counted) = tokio::sync::watch::channel(0);
        tokio::spawn(async move {
            loop {
                let name = tokio::select! {
                    _ = terminate.recv() => "SIGTERM",
                    _ = interrupt.recv() => "SIGINT",
                };
                count.send_modify(|n| *n += 1);
                if *count.borrow() == 1 {
                    eprintln!(
                        "{} on {name}: no new connections; requests in flight may finish",
                        status(WORKING, "stopping")
                    );
                }
            }
        });
        Ok(Self(counted))
    }

    fn first(&self) -> impl Future<Output = ()> + use<> {
        Self::nth(self.0.clone(), 1)
    }

    fn second(&self) -> impl Future<Output = ()> + use<> {
        Self::nth(self.0.clone(), 2)
    }

    async fn nth(mut counted: tokio::sync::watch::Receiver<u32>, n: u32) {
        let _ = counted.wait_for(|count| *count >= n).await;
    }
}

fn print_event(event: &DevEvent, serving: impl Fn(&str) -> bool) {
    match event {
        DevEvent::BuildStarted { function, reason } => {
            eprintln!("{} {function} ({reason})", status(WORKING, "building"))
        }
        DevEvent::BuildFinished { function, report } => match &report.error {
            None => eprintln!("{} {function} in {:.1?}", status(OK, "built"), report.duration),
            Some(error) => {
                let old =
                    if serving(function) { " (the previous version keeps serving)" } else { "" };
                eprintln!("{} {error}{old}", status(ERROR, "failed"))
            }
        },
        DevEvent::Loaded { function, version: 1 } => {
            eprintln!("{} {function}", status(OK, "loaded"))
        }
        DevEvent::Loaded { function, version } => {
            eprintln!("{} {function} (version {version})", status(OK, "reloaded"))
        }
        DevEvent::LoadFailed { function, error } => {
            let old = if serving(function) { " (the previous version keeps serving)" } else { "" };
            eprintln!("{} {error}{old}", status(ERROR, "error"))
        }
        DevEvent::Removed { function } => eprintln!("{} {function}", status(WARN, "removed")),
        _ => {}
    }
}
