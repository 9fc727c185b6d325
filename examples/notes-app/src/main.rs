//! Runs the notes app. From the repository root:
//!
//! ```sh
//! cargo run -p wasmfn-cli -- build --dir examples/notes-app/functions   # builds audit-log
//! cargo run -p notes-app
//! curl -X POST localhost:3000/api/notes -H 'content-type: application/json' -d '{"title":"hi"}'
//! curl localhost:3000/api/audit          # the row the audit-log function wrote
//! ```
//!
//! With `--database-url postgres://…` the notes, their events and wasmfn's trigger state go in
//! PostgreSQL (each change and its event in one transaction), so several copies of the app can
//! run on one database. With `--dev` the app builds and hot-reloads its functions itself (their manifests' build
//! runs `wasmfn build-rust`, so the `wasmfn` CLI must be on `PATH`).

use std::{net::SocketAddr, path::PathBuf};

use anyhow::Context;
use clap::Parser;
use notes_app::db::Db;
use wasmfn::{Functions, Mode};

/// A notes service on axum and SQLite (or PostgreSQL) whose row changes run wasmfn functions.
#[derive(Parser)]
struct Args {
    /// The SQLite file (created if missing), unless `--database-url` is given.
    #[arg(long, default_value = "notes.db")]
    db: PathBuf,
    /// A PostgreSQL database for the notes and wasmfn's trigger state, shared by replicas.
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
    /// The functions directory.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/functions"))]
    functions: PathBuf,
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:3000")]
    addr: SocketAddr,
    /// Dev mode: build functions on start and rebuild them as their sources change.
    #[arg(long)]
    dev: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "info".to_owned()))
        .init();
    let args = Args::parse();
    let mode = if args.dev { Mode::Dev } else { Mode::Serve };
    let builder = Functions::builder().with_dir(&args.functions).with_mode(mode);
    let (db, functions) = match &args.database_url {
        None => {
            let db =
                Db::open(&args.db).with_context(|| format!("opening {}", args.db.display()))?;
            (db, builder.build()?)
        }
        Some(url) => {
            let pool = sqlx::PgPool::connect(url).await.context("connecting to the database")?;
            let functions = builder.with_postgres(pool.clone()).build()?;
            functions.store_ready().await?;
            (Db::postgres(pool).await?, functions)
        }
    };
    let app = notes_app::router(db, functions);

    let listener = tokio::net::TcpListener::bind(args.addr).await?;
    println!("notes app on http://{}", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
