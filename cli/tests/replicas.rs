//! `wasmfn serve` as three replicas on one real PostgreSQL server: schedules that fire once
//! per tick across them, database events delivered at least once while a replica is
//! SIGKILLed, webhook replays refused across replicas, and a database that goes away and
//! comes back. What a function did is read from its replica's log (`recorded {input}`, the
//! testbed's `record` export), whichever replica ran it.

use wasmfn_test_support as support;

use std::{
    collections::{BTreeMap, BTreeSet},
    path::Path,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use serde_json::{Value, json};
use support::{FunctionsDir, Postgres, Server, request as http};
use wasmfn::{
    Functions,
    triggers::{DbEvent, RelayOptions, signature_header},
};

/// The binary under test.
const WASMFN: &str = env!("CARGO_BIN_EXE_wasmfn");
const PATIENCE: Duration = Duration::from_secs(120);

/// `record` runs every second and for each insert into `notes`; `crash` (always failing)
/// for each delete; `hook` for signed webhooks.
fn functions_dir(with_schedule: bool) -> FunctionsDir {
    let dir = FunctionsDir::new();
    let schedule =
        if with_schedule { "  - type: schedule\n    cron: \"* * * * * *\"\n" } else { "" };
    dir.add_testbed(
        "record",
        &format!(
            "export: record\nhooks:\n  - type: database\n    source: notes\n    action: insert\n{schedule}"
        ),
    );
    dir.add_testbed(
        "crash",
        "export: crash\nhooks:\n  - type: database\n    source: notes\n    action: delete\n",
    );
    dir.add_testbed(
        "hook",
        "export: record\nhooks:\n  - type: webhook\n    path: github\n    secret_env: GITHUB_SECRET\n",
    );
    dir
}

fn replica(dir: &FunctionsDir, pg: &Postgres) -> Server {
    let args = ["serve", dir.path().to_str().unwrap(), "--database-url", pg.url()];
    let server = Server::start(WASMFN, &args, &[("GITHUB_SECRET", Path::new("s3cret"))]);
    assert!(server.log().contains("trigger state in PostgreSQL") || wait_ready(&server));
    server
}

fn wait_ready(server: &Server) -> bool {
    server.wait_for("the database line", PATIENCE, || {
        server.log().contains("trigger state in PostgreSQL").then_some(())
    });
    true
}

/// The inputs `record` logged on `servers`, as JSON.
fn recorded(servers: &[Server]) -> Vec<Value> {
    let logs: String = servers.iter().map(Server::log).collect();
    logs.lines()
        .filter_map(|line| {
            let json = line.split_once("recorded ")?.1;
            // The JSON runs to its last brace; the log's own fields may follow.
            let end = json.rfind('}')?;
            serde_json::from_str(&json[..=end]).ok()
        })
        .collect()
}

fn scheduled_ticks(servers: &[Server]) -> BTreeMap<String, usize> {
    let mut ticks = BTreeMap::new();
    for input in recorded(servers) {
        if input["type"] == "schedule" {
            *ticks.entry(input["scheduled_at"].as_str().unwrap().to_owned()).or_default() += 1;
        }
    }
    ticks
}

/// Sleeps until `offset` past a whole second: away from ticks, which run on whole seconds.
fn sleep_to_offset(offset: Duration) {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let into = Duration::from_nanos(u64::from(now.subsec_nanos()));
    let wait = if into < offset { offset - into } else { Duration::from_secs(1) - into + offset };
    std::thread::sleep(wait);
}

fn assert_every_second_once(ticks: &BTreeMap<String, usize>, at_least: usize) {
    let twice: Vec<_> = ticks.iter().filter(|(_, runs)| **runs > 1).collect();
    assert!(twice.is_empty(), "ticks run more than once: {twice:?}");
    let times: Vec<SystemTime> =
        ticks.keys().map(|at| humantime::parse_rfc3339(at).unwrap()).collect();
    assert!(times.len() >= at_least, "only {} ticks: {ticks:?}", times.len());
    for pair in times.windows(2) {
        let step = pair[1].duration_since(pair[0]).unwrap();
        assert_eq!(step, Duration::from_secs(1), "a gap in {ticks:?}");
    }
}

#[test]
fn a_per_second_schedule_runs_each_tick_once_on_three_replicas_also_while_one_is_killed() {
    let pg = Postgres::start();
    let dir = functions_dir(true);
    let mut servers: Vec<Server> = (0..3).map(|_| replica(&dir, &pg)).collect();
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs(5));
    // Between two ticks, so the test is about later ticks, not about the one run a SIGKILL
    // interrupts (a run in progress dies with its replica: see docs/scaling.md).
    sleep_to_offset(Duration::from_millis(500));
    servers[0].process().kill().unwrap();
    servers[0].process().wait().unwrap();
    std::thread::sleep(Duration::from_secs(10).saturating_sub(started.elapsed()));
    sleep_to_offset(Duration::from_millis(500));
    let ticks = scheduled_ticks(&servers);
    assert_every_second_once(&ticks, 9);
    // The survivors ran ticks after the kill.
    let after_kill = scheduled_ticks(&servers[1..]);
    assert!(after_kill.len() >= 4, "{after_kill:?}");
}

/// Emits from the test process, as the app would: a `Functions` on the same database with
/// no relay of its own, each event in the transaction of its row.
struct App {
    runtime: tokio::runtime::Runtime,
    functions: Functions,
    pool: sqlx::PgPool,
}

impl App {
    fn new(dir: &FunctionsDir, pg: &Postgres) -> Self {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let (functions, pool) = runtime.block_on(async {
            let functions = Functions::builder()
                .with_dir(dir.path())
                .with_database_url(pg.url())
                .with_schedules(false)
                .with_relay(RelayOptions::default().with_enabled(false))
                .build()
                .unwrap();
            functions.store_ready().await.unwrap();
            let pool = sqlx::PgPool::connect(pg.url()).await.unwrap();
            sqlx::query("CREATE TABLE IF NOT EXISTS notes (id int PRIMARY KEY)")
                .execute(&pool)
                .await
                .unwrap();
            (functions, pool)
        });
        Self { runtime, functions, pool }
    }

    /// Inserts note `id` and emits its event in one transaction, then commits or rolls back.
    fn insert(&self, id: i32, commit: bool) {
        self.runtime.block_on(async {
            let mut tx = self.pool.begin().await.unwrap();
            sqlx::query("INSERT INTO notes VALUES ($1)").bind(id).execute(&mut *tx).await.unwrap();
            let event = DbEvent::insert("notes", json!({ "id": id }));
            self.functions.database().emit_in(&mut tx, event).await.unwrap();
            if commit { tx.commit().await.unwrap() } else { tx.rollback().await.unwrap() }
        });
    }

    fn delete(&self, id: i32) {
        self.runtime.block_on(async {
            let mut tx = self.pool.begin().await.unwrap();
            let event = DbEvent::delete("notes", json!({ "id": id }));
            self.functions.database().emit_in(&mut tx, event).await.unwrap();
            tx.commit().await.unwrap();
        });
    }
}

fn wait_for(pg: &Postgres, what: &str, sql: &str, want: &str) {
    let started = Instant::now();
    loop {
        let got = pg.query(sql);
        if got == want {
            return;
        }
        assert!(started.elapsed() < PATIENCE, "{what}: {sql} gave {got}, not {want}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn events_committed_while_a_replica_is_killed_are_all_delivered_and_rolled_back_ones_never() {
    let pg = Postgres::start();
    let dir = functions_dir(false);
    let mut servers: Vec<Server> = (0..3).map(|_| replica(&dir, &pg)).collect();
    let app = App::new(&dir, &pg);
    let rolled_back = |id: i32| id % 11 == 10;
    for id in 0..1100 {
        app.insert(id, !rolled_back(id));
        if id == 400 {
            servers[0].process().kill().unwrap();
            servers[0].process().wait().unwrap();
        }
    }
    wait_for(
        &pg,
        "every committed event delivered",
        "SELECT count(*) FROM wasmfn.jobs WHERE state = 'done'",
        "1000",
    );
    assert_eq!(pg.query("SELECT count(*) FROM wasmfn.events"), "1000");
    assert_eq!(pg.query("SELECT count(*) FROM wasmfn.jobs"), "1000");

    // Each committed row reached the function (some maybe twice: the killed replica's calls
    // in flight), every time with its one event id; no rolled-back row ever did. What the
    // function saw comes from the servers' logs and from its outputs stored with the done
    // jobs: a replica killed right after a call may not have written its last log lines
    // (they wait in its log writer's queue), but the job it finished holds the same input.
    let outputs =
        pg.query("SELECT output FROM wasmfn.jobs WHERE state = 'done' AND function = 'record'");
    let stored = outputs.lines().map(|line| serde_json::from_str::<Value>(line).unwrap());
    let mut ids: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
    for input in recorded(&servers).into_iter().chain(stored) {
        if input["type"] == "database" {
            let row = input["new"]["id"].as_i64().unwrap();
            ids.entry(row).or_default().insert(input["id"].as_str().unwrap().to_owned());
        }
    }
    let rows: BTreeSet<i64> = ids.keys().copied().collect();
    let committed: BTreeSet<i64> = (0..1100).filter(|id| !rolled_back(*id as i32)).collect();
    assert_eq!(rows, committed, "delivered rows differ from committed ones");
    for (row, event_ids) in &ids {
        assert_eq!(event_ids.len(), 1, "row {row} came with several event ids: {event_ids:?}");
    }

    // A function that always fails: dead after its 3 tries, visible in the table.
    app.delete(1);
    wait_for(
        &pg,
        "the failing delivery dead",
        "SELECT state || ' ' || tries || ' ' || (error->>'code') FROM wasmfn.jobs WHERE function = 'crash'",
        "dead 3 trap",
    );
}

#[test]
fn a_webhook_accepted_by_one_replica_is_refused_as_a_replay_by_another() {
    let pg = Postgres::start();
    let dir = functions_dir(false);
    let servers: Vec<Server> = (0..2).map(|_| replica(&dir, &pg)).collect();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let body = r#"{"action":"opened"}"#;
    let signature = signature_header(b"s3cret", now, body.as_bytes());
    let headers = [("X-Wasmfn-Signature", signature.as_str())];
    let post = |server: &Server| {
        support::request_with(&server.addr, "POST", "/api/webhooks/github", &headers, body)
    };
    assert_eq!(post(&servers[0]).0, 200);
    let (status, answer) = post(&servers[1]);
    assert_eq!(status, 401, "{answer}");
    assert!(answer["error"]["message"].as_str().unwrap().contains("replay"), "{answer}");
}

#[test]
fn while_the_database_is_down_calls_work_and_triggers_resume_after_with_nothing_lost() {
    let pg = Postgres::start();
    let dir = functions_dir(true);
    let servers: Vec<Server> = (0..2).map(|_| replica(&dir, &pg)).collect();
    let app = App::new(&dir, &pg);
    for id in 0..200 {
        app.insert(id, true);
    }
    drop(app);
    pg.stop();
    let stopped = SystemTime::now();

    // Five seconds without a database: every direct call answers; health says degraded.
    let mut degraded = false;
    let until = Instant::now() + Duration::from_secs(5);
    let mut calls = 0;
    while Instant::now() < until {
        for server in &servers {
            let (status, body) =
                http(&server.addr, "POST", "/api/functions/record", r#"{"direct":1}"#);
            assert_eq!(status, 200, "a direct call failed while the database was down: {body}");
            calls += 1;
            let (_, health) = http(&server.addr, "GET", "/api/health", "");
            degraded |= health["status"] == "degraded" && health["store"] == "unreachable";
        }
    }
    assert!(calls > 10 && degraded, "{calls} calls; degraded: {degraded}");

    pg.restart();
    wait_for(
        &pg,
        "the events committed before the outage delivered",
        "SELECT count(*) FROM wasmfn.jobs WHERE state = 'done'",
        "200",
    );
    // Schedules resumed: ticks after the restart ran (once each).
    servers[0].wait_for("a tick after the restart", PATIENCE, || {
        let ticks = scheduled_ticks(&servers);
        let last = humantime::parse_rfc3339(ticks.keys().next_back()?).ok()?;
        (last > stopped + Duration::from_secs(6)).then_some(())
    });
    let ticks = scheduled_ticks(&servers);
    assert!(ticks.values().all(|runs| *runs == 1), "{ticks:?}");
    for server in &servers {
        let (_, health) = http(&server.addr, "GET", "/api/health", "");
        assert_eq!(health["status"], "ok", "{health}");
    }
}
