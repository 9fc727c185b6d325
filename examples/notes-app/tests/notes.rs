//! The notes app for real: its routes over TCP, a SQLite file on disk (or a real PostgreSQL
//! server), the audit-log function built from source, hooked to the app's row changes, writing
//! back through the app's API.

use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use notes_app::db::{AuditEntry, Db, Note};
use serde_json::{Value, json};
use wasmfn::Functions;
use wasmfn_build::RustGuestBuild;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).unwrap().to_path_buf()
}

/// A functions directory holding audit-log's manifest and its freshly built wasm.
fn functions_dir(root: &Path) -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("functions/audit-log");
    let dir = root.join("functions/audit-log");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(source.join("manifest.yaml"), dir.join("manifest.yaml")).unwrap();
    RustGuestBuild::new(&source)
        .with_quiet(true)
        .with_target_dir(repo_root().join("target/guests"))
        .with_output(dir.join("plugin.wasm"))
        .run()
        .unwrap_or_else(|e| panic!("building audit-log: {e}"));
    root.join("functions")
}

struct Client {
    base: String,
    http: reqwest::Client,
}

impl Client {
    async fn send(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
    }

    /// Polls the audit log until it has `n` entries.
    async fn audit_log(&self, n: usize) -> Vec<AuditEntry> {
        let started = Instant::now();
        loop {
            let (_, log) = self.send("GET", "/api/audit", None).await;
            let log: Vec<AuditEntry> = serde_json::from_value(log).unwrap();
            if log.len() >= n {
                return log;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "audit log stuck at {log:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn each_note_change_runs_the_hook_which_writes_an_audit_row_through_the_api() {
    let root = tempfile::tempdir().unwrap();
    let functions = functions_dir(root.path());
    let db_file = root.path().join("notes.db");
    let functions = Functions::builder().with_dir(functions).build().unwrap();
    let error = functions.registry().get("audit-log").unwrap().last_error().map(|e| e.to_string());
    assert_eq!(error, None);
    let mut deliveries = functions.database().subscribe();
    let app = notes_app::router(Db::open(&db_file).unwrap(), functions.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let client = Client { base, http: reqwest::Client::new() };

    let (status, note) = client
        .send("POST", "/api/notes", Some(json!({ "title": "groceries", "body": "eggs" })))
        .await;
    assert_eq!(status, 201, "{note}");
    let note: Note = serde_json::from_value(note).unwrap();
    let log = client.audit_log(1).await;
    assert_eq!((log[0].action.as_str(), log[0].note_id), ("insert", note.id));
    assert_eq!(log[0].written_by, "audit-log", "the row came with the function's token");

    let path = format!("/api/notes/{}", note.id);
    let (status, _) = client.send("PUT", &path, Some(json!({ "title": "groceries!" }))).await;
    assert_eq!(status, 200);
    let (status, _) = client.send("DELETE", &path, None).await;
    assert_eq!(status, 204);
    let log = client.audit_log(3).await;
    let actions: Vec<_> = log.iter().map(|e| (e.action.as_str(), e.note_id)).collect();
    assert_eq!(actions, [("insert", note.id), ("update", note.id), ("delete", note.id)]);
    let calls: std::collections::HashSet<_> = log.iter().map(|e| e.call_id).collect();
    assert_eq!(calls.len(), 3, "each hook ran as its own call, with its own token: {log:?}");

    // The rows are in the SQLite file itself, not only behind the API.
    let on_disk = Db::open(&db_file).unwrap().list_audit().await.unwrap();
    assert_eq!(on_disk, log);
    // A row is written while its call still runs: the call has ended once it is delivered.
    for _ in 0..3 {
        let delivered = tokio::time::timeout(Duration::from_secs(30), deliveries.recv()).await;
        assert!(delivered.unwrap().unwrap().result.is_ok());
    }
    assert!(functions.host_api().tokens().is_empty(), "every call's token was revoked");
}

#[tokio::test(flavor = "multi_thread")]
async fn only_a_function_may_write_the_audit_log_and_a_failing_hook_never_fails_the_app() {
    let root = tempfile::tempdir().unwrap();
    let functions = functions_dir(root.path());
    let db = Db::open(&root.path().join("notes.db")).unwrap();
    let functions = Functions::builder().with_dir(functions).build().unwrap();
    let mut deliveries = functions.database().subscribe();
    let app = notes_app::router(db, functions.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let client = Client { base, http: reqwest::Client::new() };

    let forged = json!({ "action": "delete", "note_id": 1 });
    let (status, body) = client.send("POST", "/api/audit", Some(forged)).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "unauthorized");

    // With the app's API gone, the hook fails; the app's own request still succeeds.
    functions.host_api().disconnect();
    let (status, _) = client.send("POST", "/api/notes", Some(json!({ "title": "t" }))).await;
    assert_eq!(status, 201);
    let delivery =
        tokio::time::timeout(Duration::from_secs(20), deliveries.recv()).await.unwrap().unwrap();
    let error = delivery.result.unwrap_err().to_string();
    assert!(error.contains("host_api_unavailable"), "{error}");
    assert!(client.audit_log(0).await.is_empty());
    let (status, notes) = client.send("GET", "/api/notes", None).await;
    assert_eq!((status, notes.as_array().unwrap().len()), (200, 1));
}

/// With `--database-url`: two copies of the app on one PostgreSQL database. Each change and its
/// event commit together; either copy may deliver the hook; a failed change emits nothing.
#[tokio::test(flavor = "multi_thread")]
async fn on_postgres_two_copies_share_the_events_and_a_failed_change_emits_nothing() {
    let pg = wasmfn_test_support::Postgres::start();
    let root = tempfile::tempdir().unwrap();
    let functions_dir = functions_dir(root.path());
    let mut clients = Vec::new();
    let mut copies = Vec::new();
    for _ in 0..2 {
        let pool = sqlx::PgPool::connect(pg.url()).await.unwrap();
        let functions = Functions::builder()
            .with_dir(&functions_dir)
            .with_postgres(pool.clone())
            .build()
            .unwrap();
        functions.store_ready().await.unwrap();
        let app = notes_app::router(Db::postgres(pool).await.unwrap(), functions.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        clients.push(Client { base, http: reqwest::Client::new() });
        copies.push(functions);
    }

    let mut ids = Vec::new();
    for n in 0..6 {
        let title = format!("note {n}");
        let (status, note) =
            clients[n % 2].send("POST", "/api/notes", Some(json!({ "title": title }))).await;
        assert_eq!(status, 201, "{note}");
        ids.push(note["id"].as_i64().unwrap());
    }
    // A change to a note that does not exist rolls back: no event, no audit row.
    let (status, _) = clients[0].send("PUT", "/api/notes/999", Some(json!({ "title": "x" }))).await;
    assert_eq!(status, 404);
    let (status, _) = clients[1].send("DELETE", &format!("/api/notes/{}", ids[0]), None).await;
    assert_eq!(status, 204);

    let log = clients[1].audit_log(7).await;
    let mut seen: Vec<(String, i64)> = log.iter().map(|e| (e.action.clone(), e.note_id)).collect();
    seen.sort();
    let mut want: Vec<(String, i64)> = ids.iter().map(|id| ("insert".to_owned(), *id)).collect();
    want.push(("delete".to_owned(), ids[0]));
    want.sort();
    assert_eq!(seen, want, "one audit row per committed change");
    assert!(log.iter().all(|e| e.written_by == "audit-log"));
    let events = pg.query("SELECT count(*) FROM wasmfn.events");
    assert_eq!(events, "7");
}
