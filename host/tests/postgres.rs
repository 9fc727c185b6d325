//! The PostgreSQL trigger store against a real server (a throwaway cluster per test), with
//! several `Functions` on one database standing in for replicas. The same guarantees with
//! real `wasmfn serve` processes, SIGKILL and a stopped database are in the CLI's
//! `replicas` tests.

use wasmfn_test_support as support;

use std::{
    collections::{BTreeMap, BTreeSet},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use serde_json::{Value, json};
use support::{FunctionsDir, Postgres};
use wasmfn::{
    Functions,
    store::JobState,
    triggers::{DbEvent, RelayOptions, RetryPolicy, SecretSource, signature_header},
};

const PATIENCE: Duration = Duration::from_secs(60);

/// `record` hooks inserts into `notes`; `crash` hooks deletes (and always fails).
fn functions_dir() -> FunctionsDir {
    let dir = FunctionsDir::new();
    dir.add_testbed(
        "record",
        "export: record\nhooks:\n  - type: database\n    source: notes\n    action: insert\n",
    );
    dir.add_testbed(
        "crash",
        "export: crash\nhooks:\n  - type: database\n    source: notes\n    action: delete\n",
    );
    dir
}

fn replica(dir: &FunctionsDir, pg: &Postgres) -> Functions {
    Functions::builder()
        .with_dir(dir.path())
        .with_database_url(pg.url())
        .with_retry(RetryPolicy::default().with_attempts(3).with_backoff(Duration::from_millis(50)))
        .with_relay(RelayOptions::default().with_lease(Duration::from_secs(2)))
        .build()
        .unwrap()
}

async fn count(pg: &Postgres, sql: &str) -> i64 {
    tokio::task::block_in_place(|| pg.query(sql)).parse().unwrap()
}

async fn wait_for_count(pg: &Postgres, sql: &str, want: i64) {
    let started = std::time::Instant::now();
    loop {
        let got = count(pg, sql).await;
        if got == want {
            return;
        }
        assert!(started.elapsed() < PATIENCE, "{sql}: {got}, not {want}, after {PATIENCE:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn events_in_committed_transactions_are_delivered_once_and_rolled_back_ones_never() {
    let pg = Postgres::start();
    let dir = functions_dir();
    let replicas = [replica(&dir, &pg), replica(&dir, &pg)];
    let pool = sqlx::PgPool::connect(pg.url()).await.unwrap();
    replicas[0].store_ready().await.unwrap();
    sqlx::query("CREATE TABLE notes (id int PRIMARY KEY)").execute(&pool).await.unwrap();

    for n in 0..60 {
        let mut tx = pool.begin().await.unwrap();
        sqlx::query("INSERT INTO notes VALUES ($1)").bind(n).execute(&mut *tx).await.unwrap();
        let event = DbEvent::insert("notes", json!({ "id": n }));
        replicas[n as usize % 2].database().emit_in(&mut tx, event).await.unwrap();
        if n % 6 == 5 {
            tx.rollback().await.unwrap(); // 10 of 60
        } else {
            tx.commit().await.unwrap();
        }
    }
    wait_for_count(&pg, "SELECT count(*) FROM wasmfn.jobs WHERE state = 'done'", 50).await;
    assert_eq!(count(&pg, "SELECT count(*) FROM wasmfn.events").await, 50);
    assert_eq!(count(&pg, "SELECT count(*) FROM notes").await, 50);

    // Every committed row reached the function once, with its event's id and try 1.
    let outputs: Vec<(String, Value)> =
        sqlx::query_as("SELECT event_id::text, output FROM wasmfn.jobs ORDER BY event_id")
            .fetch_all(&pool)
            .await
            .unwrap();
    let rows: BTreeSet<i64> =
        outputs.iter().map(|(_, o)| o["new"]["id"].as_i64().unwrap()).collect();
    assert_eq!(rows, (0..60).filter(|n| n % 6 != 5).collect());
    for (event_id, output) in &outputs {
        assert_eq!(output["id"], json!(event_id), "{output}");
        assert_eq!(output["try"], json!(1));
        assert_eq!(output["type"], "database");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_function_that_always_fails_ends_dead_after_its_tries_and_can_be_redriven() {
    let pg = Postgres::start();
    let dir = functions_dir();
    let functions = replica(&dir, &pg);
    let pool = sqlx::PgPool::connect(pg.url()).await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    functions
        .database()
        .emit_in(&mut tx, DbEvent::delete("notes", json!({ "id": 7 })))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    wait_for_count(&pg, "SELECT count(*) FROM wasmfn.jobs WHERE state = 'dead' AND tries = 3", 1)
        .await;
    let dead = functions.jobs().dead(10).await.unwrap();
    assert_eq!(dead.len(), 1);
    let job = &dead[0];
    assert_eq!((job.function.as_str(), job.state, job.tries), ("crash", JobState::Dead, 3));
    assert_eq!(job.error.as_ref().unwrap()["code"], "trap", "{job:?}");

    // Re-driven: three more tries, dead again.
    assert!(functions.jobs().redrive(&job.id).await.unwrap());
    assert!(!functions.jobs().redrive("not-a-job").await.unwrap());
    let started = std::time::Instant::now();
    loop {
        let job = functions.jobs().get(&job.id).await.unwrap().unwrap();
        if job.state == JobState::Dead && job.updated_at > dead[0].updated_at {
            assert_eq!(job.tries, 3);
            break;
        }
        assert!(started.elapsed() < PATIENCE, "not dead again: {job:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn async_calls_answer_202_and_their_job_has_the_output() {
    let pg = Postgres::start();
    let dir = functions_dir();
    let (a, b) = (replica(&dir, &pg), replica(&dir, &pg));
    let api_a = support::Api::serve(a.app()).await;
    let api_b = support::Api::serve(b.app()).await;
    let client = reqwest::Client::new();

    let response = client
        .post(format!("http://{}/api/functions/record", api_a.addr))
        .header("Prefer", "respond-async")
        .body(r#"{"hello":"later"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let job: Value = response.json().await.unwrap();
    assert_eq!(location, format!("/api/jobs/{}", job["id"].as_str().unwrap()));
    assert_eq!(job["state"], "pending");

    // Readable from any replica.
    let started = std::time::Instant::now();
    let done = loop {
        let (status, job) = api_b.get(&location).await;
        assert_eq!(status, 200, "{job}");
        if job["state"] == "done" {
            break job;
        }
        assert!(started.elapsed() < PATIENCE, "{job}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(done["output"], json!({ "hello": "later" }));
    assert_eq!(done["tries"], 1);

    let (status, body) = api_b.get("/api/jobs/00000000-0000-4000-8000-000000000000").await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("job_not_found")));
    let (status, _) = api_b.get("/api/jobs/1").await;
    assert_eq!(status, 404);
    // Unknown function, bad input: refused before anything is queued.
    for (name, body, want) in [("nope", "{}", 404), ("record", "{not json", 400)] {
        let response = client
            .post(format!("http://{}/api/functions/{name}", api_a.addr))
            .header("Prefer", "respond-async")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), want);
    }
    assert_eq!(count(&pg, "SELECT count(*) FROM wasmfn.jobs").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_webhook_signature_used_on_one_replica_is_a_replay_on_another() {
    let pg = Postgres::start();
    let dir = FunctionsDir::new();
    dir.add_testbed(
        "hook",
        "export: record\nhooks:\n  - type: webhook\n    path: github\n    secret_env: GITHUB_SECRET\n",
    );
    let secrets = SecretSource::from_fn(|_| Some("s3cret".to_owned()));
    let replica = || {
        Functions::builder()
            .with_dir(dir.path())
            .with_database_url(pg.url())
            .with_secrets(secrets.clone())
            .build()
            .unwrap()
    };
    let (a, b) = (replica(), replica());
    let (api_a, api_b) = (support::Api::serve(a.app()).await, support::Api::serve(b.app()).await);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let body = r#"{"action":"opened"}"#;
    let signature = signature_header(b"s3cret", now, body.as_bytes());
    let client = reqwest::Client::new();
    let post = |addr: std::net::SocketAddr| {
        client
            .post(format!("http://{addr}/api/webhooks/github"))
            .header("X-Wasmfn-Signature", &signature)
            .body(body)
            .send()
    };
    assert_eq!(post(api_a.addr).await.unwrap().status(), 200);
    let replayed = post(api_b.addr).await.unwrap();
    assert_eq!(replayed.status(), 401);
    let error: Value = replayed.json().await.unwrap();
    assert!(error["error"]["message"].as_str().unwrap().contains("replay"), "{error}");
    assert_eq!(post(api_a.addr).await.unwrap().status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_tick_of_a_schedule_runs_once_across_three_replicas() {
    let pg = Postgres::start();
    let dir = FunctionsDir::new();
    dir.add_testbed(
        "tick",
        "export: record\nhooks:\n  - type: schedule\n    cron: \"* * * * * *\"\n",
    );
    let replicas: Vec<Functions> = (0..3)
        .map(|_| {
            Functions::builder().with_dir(dir.path()).with_database_url(pg.url()).build().unwrap()
        })
        .collect();
    for functions in &replicas {
        functions.store_ready().await.unwrap();
    }
    let mut runs: Vec<_> = replicas.iter().map(|f| f.scheduler().unwrap().subscribe()).collect();
    let mut seen: BTreeMap<SystemTime, usize> = BTreeMap::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while tokio::time::Instant::now() < deadline {
        for (replica, receiver) in runs.iter_mut().enumerate() {
            while let Ok(run) = receiver.try_recv() {
                assert!(run.result.is_ok(), "{run:?}");
                let before = seen.insert(run.scheduled_at, replica);
                assert!(
                    before.is_none(),
                    "{:?} ran on replicas {before:?} and {replica}",
                    run.scheduled_at
                );
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let ticks: Vec<SystemTime> = seen.keys().copied().collect();
    assert!(ticks.len() >= 4, "{ticks:?}");
    for pair in ticks.windows(2) {
        assert_eq!(
            pair[1].duration_since(pair[0]).unwrap(),
            Duration::from_secs(1),
            "a gap: {ticks:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_a_database_calls_work_health_degrades_and_queued_events_wait() {
    let pg = Postgres::start();
    let dir = functions_dir();
    let functions = replica(&dir, &pg);
    let api = support::Api::serve(functions.app()).await;
    let pool = sqlx::PgPool::connect(pg.url()).await.unwrap();
    functions.store_ready().await.unwrap();
    assert_eq!(api.get("/api/health").await.1["store"], "ok");

    // Events committed, then the database goes away before (all of) them are delivered.
    let relay_off = Functions::builder()
        .with_dir(dir.path())
        .with_database_url(pg.url())
        .with_relay(RelayOptions::default().with_enabled(false))
        .build()
        .unwrap();
    drop(functions);
    for n in 0..20 {
        let mut tx = pool.begin().await.unwrap();
        relay_off
            .database()
            .emit_in(&mut tx, DbEvent::insert("notes", json!({ "id": n })))
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    pool.close().await;
    pg.stop();

    let functions = replica(&dir, &pg);
    let api = support::Api::serve(functions.app()).await;
    for _ in 0..20 {
        let (status, body) = api.post("record", r#"{"direct":true}"#).await;
        assert_eq!(status, 200, "{body}");
    }
    let started = std::time::Instant::now();
    while api.get("/api/health").await.1["status"] != "degraded" {
        assert!(started.elapsed() < PATIENCE, "health never said degraded");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(api.get("/api/health").await.1["store"], "unreachable");

    pg.restart();
    wait_for_count(&pg, "SELECT count(*) FROM wasmfn.jobs WHERE state = 'done'", 20).await;
    let started = std::time::Instant::now();
    while api.get("/api/health").await.1["status"] != "ok" {
        assert!(started.elapsed() < PATIENCE, "health never recovered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
