//! `wasmfn serve`: serve a functions directory over HTTP (prod mode: prebuilt artifacts only,
//! no builds, no watchers).

use std::{net::SocketAddr, path::Path, process::ExitCode};

use anyhow::Context;
use wasmfn::{FunctionStatus, Functions};

pub(crate) fn run(dir: &Path, addr: SocketAddr, body_limit: usize) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let functions = Functions::builder().with_dir(dir).with_body_limit(body_limit).build()?;
        for info in functions.registry().list() {
            match (&info.status, &info.last_error) {
                (FunctionStatus::Ready, _) => eprintln!("ready    {}", info.name),
                (FunctionStatus::Disabled, error) => {
                    eprintln!("disabled {}: {}", info.name, error.as_deref().unwrap_or("?"))
                }
            }
        }
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        eprintln!("serving {} on http://{}", dir.display(), listener.local_addr()?);
        axum::serve(listener, functions.router())
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
        Ok(ExitCode::SUCCESS)
    })
}
