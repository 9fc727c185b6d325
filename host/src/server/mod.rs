//! Serving an axum app (the functions' router, or a whole app with them) over TCP the way a
//! server facing the internet must: bounded time to send a request's headers and its body, a
//! bounded number of connections, and a graceful shutdown.
//!
//! `axum::serve` holds an idle, half-sent or slow connection forever; a few hundred of them
//! exhaust the process's file descriptors and the server stops answering. [`serve`] closes
//! them instead:
//!
//! | limit | default | what it bounds |
//! | --- | --- | --- |
//! | [`header_timeout`](ServerOptions::with_header_timeout) | 10 s | from when a connection is ready for a request (new, or its previous response sent) until that request's headers are in: bounds slow headers and idle keep-alive connections alike |
//! | [`body_timeout`](ServerOptions::with_body_timeout) | 30 s | from the headers until the whole body is in (a 408 after that) |
//! | [`max_connections`](ServerOptions::with_max_connections) | 1024, at most the open-file limit less 64 | connections open at once; past it, new ones wait in the kernel's queue |
//! | [`grace`](ServerOptions::with_grace) | 30 s | after shutdown starts, how long requests in flight may finish |
//!
//! ```no_run
//! use wasmfn::{Functions, server::{ServerOptions, serve}};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let functions = Functions::builder().with_dir("functions").build()?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! let stop = async { tokio::signal::ctrl_c().await.ok(); };
//! serve(listener, functions.router(), &ServerOptions::default(), stop).await?;
//! # Ok(()) }
//! ```

mod body;

use std::{future::Future, sync::Arc, time::Duration};

use axum::{Router, body::Body};
use http::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
    service::TowerToHyperService,
};
use tokio::{net::TcpListener, sync::Semaphore};
use tower::ServiceExt;

use self::body::DeadlineBody;
pub use crate::router::error::BodyTimeout;

/// How [`serve`] bounds its clients. Build it with the `with_*` methods.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ServerOptions {
    header_timeout: Duration,
    body_timeout: Duration,
    max_connections: usize,
    grace: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_connections: default_max_connections(),
            grace: Duration::from_secs(30),
        }
    }
}

impl ServerOptions {
    /// How long a connection may take to send a request's headers, counted from when it is
    /// ready for one (just opened, or its previous response sent): a connection idle that long
    /// between requests is closed too.
    pub fn with_header_timeout(mut self, timeout: Duration) -> Self {
        self.header_timeout = timeout;
        self
    }

    /// How long a request's body may take to arrive once its headers are in; past it the
    /// request fails with 408 `request_timeout`.
    pub fn with_body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// The most connections open at once (at least 1); more wait to be accepted.
    pub fn with_max_connections(mut self, connections: usize) -> Self {
        self.max_connections = connections.max(1);
        self
    }

    /// How long requests in flight may take to finish once shutdown starts.
    pub fn with_grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// The connection limit in effect.
    pub fn max_connections(&self) -> usize {
        self.max_connections
    }

    /// The shutdown grace period in effect.
    pub fn grace(&self) -> Duration {
        self.grace
    }
}

/// 1024, or fewer when the process may open fewer files: a connection is a file descriptor,
/// and the host needs some of its own (artifacts, pipes, watchers).
fn default_max_connections() -> usize {
    use rustix::process::{Resource, getrlimit};
    let open_files = getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX);
    open_files.saturating_sub(64).clamp(16, 1024) as usize
}

/// Serves `app` on `listener` until `shutdown` completes, then stops accepting, lets requests
/// in flight finish for up to the grace period, and returns. Connections still open then are
/// dropped when the runtime drops their tasks.
///
/// # Errors
/// Only when the listener itself fails for good; a failed connection never ends the server.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    options: &ServerOptions,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let body_timeout = options.body_timeout;
    let app = app.map_request(move |request: Request<Incoming>| {
        request.map(|body| Body::new(DeadlineBody::new(body, body_timeout)))
    });
    // HTTP/1.1 only: telling it from HTTP/2 means reading the first bytes before any timeout
    // applies, so a connection that sends nothing would be held forever. (HTTP/2 and TLS
    // belong to the proxy in front.)
    let mut builder = http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(options.header_timeout);
    let slots = Arc::new(Semaphore::new(options.max_connections));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        // At the limit, stop accepting: new connections wait in the kernel's backlog.
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => slot.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    accept_failed(error).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = TowerToHyperService::new(app.clone());
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // A connection that fails (reset, timed out) only ends itself.
            let _ = connection.await;
            drop(slot);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(options.grace) => {
            tracing::warn!("requests still in flight after the {:?} grace period are dropped", options.grace);
        }
    }
    Ok(())
}

/// A failed accept: the peer gave up (nothing to do), or the process is out of file
/// descriptors (wait a moment for some to close rather than spin).
async fn accept_failed(error: std::io::Error) {
    use std::io::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::Interrupted
    ) {
        return;
    }
    tracing::warn!("cannot accept a connection: {error}");
    tokio::time::sleep(Duration::from_millis(100)).await;
}
