//! An ordinary axum app (its own routes, its own state) that hosts wasmfn functions with one
//! line. Run it from the repository root, after `./scripts/demo` has built hello-rust:
//!
//! ```sh
//! cargo run -p axum-app -- examples          # the functions directory (default: examples)
//! curl -X POST localhost:3000/api/functions/hello-rust -d '{"name":"Ada"}'
//! curl localhost:3000/api/users              # the app's own route, untouched
//! ```

use std::sync::{Arc, Mutex};

use axum::{Json, Router, extract::State, routing::get};
use serde_json::{Value, json};

#[derive(Clone, Default)]
struct AppState {
    users: Arc<Mutex<Vec<String>>>,
}

async fn list_users(State(state): State<AppState>) -> Json<Value> {
    Json(json!({ "users": *state.users.lock().unwrap() }))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_env_filter("info").init();
    let functions_dir = std::env::args().nth(1).unwrap_or_else(|| "examples".to_owned());
    let state = AppState { users: Arc::new(Mutex::new(vec!["ada".into(), "grace".into()])) };

    // Compiling modules blocks: do it off the async workers.
    let functions = tokio::task::spawn_blocking(move || {
        wasmfn::Functions::builder().with_dir(functions_dir).build()
    })
    .await??;

    let app = Router::new()
        .route("/", get(|| async { "an existing app" }))
        .route("/api/users", get(list_users))
        .with_state(state)
        // The one line that adds functions: /api/functions/{name}, /api/functions, /api/health.
        .layer(functions.layer());

    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
