//! The PostgreSQL trigger store, side by side in one run, against a throwaway local cluster:
//! `cargo bench -p wasmfn --features postgres --bench postgres` (numbers recorded in
//! docs/benchmarks.md).
//!
//! 1. events delivered per second by 1 and by 3 replicas (in this process, on one database);
//! 2. insert → hook latency (commit to the delivery seen), p50/p99, woken by `NOTIFY` vs
//!    polling only (every 100 ms and every second), inserts spaced 0-99 ms apart;
//! 3. what the store costs a call: a direct call with each store configured, and a queued call
//!    (`enqueue` → done) in memory vs PostgreSQL.

use wasmfn_test_support as support;

use std::time::{Duration, Instant};

use serde_json::json;
use support::{FunctionsDir, Postgres};
use wasmfn::{
    Functions,
    store::JobState,
    triggers::{DbEvent, RelayOptions},
};

const EVENTS: u32 = 3000;
const LATENCY_ROUNDS: usize = 200;
const CALLS: u32 = 2000;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let pg = Postgres::start();
    let dir = FunctionsDir::new();
    let hook = "hooks:\n  - type: database\n    source: notes\n    action: insert\n";
    dir.add_testbed("audit", &format!("export: echo\n{hook}"));
    runtime.block_on(async {
        let pool = sqlx::PgPool::connect(pg.url()).await.unwrap();
        throughput(&dir, &pg, &pool).await;
        latency(&dir, &pg, &pool).await;
        call_overhead(&dir, &pg).await;
    });
}

fn replica(dir: &FunctionsDir, pg: &Postgres, relay: RelayOptions) -> Functions {
    Functions::builder()
        .with_dir(dir.path())
        .with_database_url(pg.url())
        .with_schedules(false)
        .with_relay(relay)
        .build()
        .unwrap()
}

async fn emit_batch(functions: &Functions, pool: &sqlx::PgPool, count: u32) {
    for chunk in 0..count / 100 {
        let mut tx = pool.begin().await.unwrap();
        for n in 0..100 {
            let event = DbEvent::insert("notes", json!({ "id": chunk * 100 + n }));
            functions.database().emit_in(&mut tx, event).await.unwrap();
        }
        tx.commit().await.unwrap();
    }
}

async fn done(pool: &sqlx::PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM wasmfn.jobs WHERE state = 'done'")
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn throughput(dir: &FunctionsDir, pg: &Postgres, pool: &sqlx::PgPool) {
    let emitter = replica(dir, pg, RelayOptions::default().with_enabled(false));
    emitter.store_ready().await.unwrap();
    println!("| {EVENTS} events queued, then delivered by | s | events/s | vs 1 replica |");
    println!("| --- | ---: | ---: | ---: |");
    let mut one = 0.0;
    for replicas in [1, 3] {
        sqlx::query("TRUNCATE wasmfn.jobs, wasmfn.events").execute(pool).await.unwrap();
        emit_batch(&emitter, pool, EVENTS).await;
        let started = Instant::now();
        let relays: Vec<Functions> =
            (0..replicas).map(|_| replica(dir, pg, RelayOptions::default())).collect();
        while done(pool).await < i64::from(EVENTS) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let seconds = started.elapsed().as_secs_f64();
        let rate = f64::from(EVENTS) / seconds;
        if replicas == 1 {
            one = rate;
        }
        println!("| {replicas} replica(s) | {seconds:.2} | {rate:.0} | {:.2}x |", rate / one);
        drop(relays);
    }
    println!();
}

async fn latency(dir: &FunctionsDir, pg: &Postgres, pool: &sqlx::PgPool) {
    let emitter = replica(dir, pg, RelayOptions::default().with_enabled(false));
    println!("| insert → hook ran ({LATENCY_ROUNDS} events, one at a time) | p50 ms | p99 ms |");
    println!("| --- | ---: | ---: |");
    let ways = [
        ("`NOTIFY` (polling every 1 s as the fallback)", RelayOptions::default()),
        (
            "polling only, every 100 ms",
            RelayOptions::default()
                .with_notify(false)
                .with_poll_interval(Duration::from_millis(100)),
        ),
        (
            "polling only, every 1 s (the default interval)",
            RelayOptions::default().with_notify(false),
        ),
    ];
    for (name, relay) in ways {
        let relay = replica(dir, pg, relay);
        let mut deliveries = relay.database().subscribe();
        // Let the relay settle (its LISTEN connection open) before measuring.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let mut times = Vec::with_capacity(LATENCY_ROUNDS);
        for n in 0..LATENCY_ROUNDS {
            let mut tx = pool.begin().await.unwrap();
            let event = DbEvent::insert("notes", json!({ "id": n }));
            emitter.database().emit_in(&mut tx, event).await.unwrap();
            tx.commit().await.unwrap();
            let committed = Instant::now();
            deliveries.recv().await.unwrap().result.unwrap();
            times.push(committed.elapsed());
            // The next insert at an unrelated moment (0-99 ms later), as an app's would be:
            // not in step with the relay's loop.
            tokio::time::sleep(Duration::from_millis((n as u64 * 37) % 100)).await;
        }
        times.sort();
        let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!("| {name} | {:.1} | {:.1} |", ms(at(0.5)), ms(at(0.99)));
    }
    println!();
}

async fn call_overhead(dir: &FunctionsDir, pg: &Postgres) {
    let memory = Functions::builder().with_dir(dir.path()).with_schedules(false).build().unwrap();
    let postgres = replica(dir, pg, RelayOptions::default());
    postgres.store_ready().await.unwrap();
    let input = br#"{"id":1}"#;

    let direct = |functions: Functions| async move {
        let started = Instant::now();
        for _ in 0..CALLS {
            support::call(&functions, "audit", json!({ "id": 1 })).await.unwrap();
        }
        started.elapsed().as_secs_f64() * 1e6 / f64::from(CALLS)
    };
    let queued = |functions: Functions, rounds: u32| async move {
        let started = Instant::now();
        for _ in 0..rounds {
            let job = functions.jobs().enqueue("audit", input).await.unwrap();
            loop {
                let job = functions.jobs().get(&job.id).await.unwrap().unwrap();
                if job.state == JobState::Done {
                    break;
                }
                tokio::task::yield_now().await;
            }
        }
        started.elapsed().as_secs_f64() * 1e6 / f64::from(rounds)
    };
    // Warm both (compile caches, pools), then measure each twice, alternating; the better.
    direct(memory.clone()).await;
    direct(postgres.clone()).await;
    let mut direct_memory = f64::MAX;
    let mut direct_pg = f64::MAX;
    for _ in 0..2 {
        direct_memory = direct_memory.min(direct(memory.clone()).await);
        direct_pg = direct_pg.min(direct(postgres.clone()).await);
    }
    let queued_memory = queued(memory, CALLS).await;
    let queued_pg = queued(postgres, CALLS / 10).await;
    println!("| one call | memory store µs | PostgreSQL store µs | ratio |");
    println!("| --- | ---: | ---: | ---: |");
    println!(
        "| direct (`FunctionService`) | {direct_memory:.1} | {direct_pg:.1} | {:.2}x |",
        direct_pg / direct_memory
    );
    println!(
        "| queued: `enqueue` → state done | {queued_memory:.1} | {queued_pg:.1} | {:.2}x |",
        queued_pg / queued_memory
    );
}
