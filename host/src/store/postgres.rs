//! [`PgStore`]: the trigger state in PostgreSQL, shared by every replica on the database.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, SystemTime},
};

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{
    PgConnection, PgPool, Row,
    postgres::{PgListener, PgPoolOptions, PgRow},
};

use super::{Job, JobState, NewJob, StoreError, memory::is_uuid};

/// The channel `NOTIFY` wakes relays on when a job is queued.
pub(crate) const CHANNEL: &str = "wasmfn_jobs";

/// The schema's migrations, embedded in the binary.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A key for `pg_advisory_lock`: replicas starting at once create the schema one at a time.
const SCHEMA_LOCK: i64 = 0x7761_736d_666e; // "wasmfn"

/// The columns a [`Job`] is read from.
const JOB_COLUMNS: &str = "id::text AS id, function, trigger, event_id, state, tries, max_tries, \
                           output, error, created_at, updated_at";

/// The trigger state in PostgreSQL. Cheap to clone. The schema `wasmfn` is created and
/// upgraded before the first use.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let pool = sqlx::PgPool::connect("postgres://localhost/app").await?;
/// let functions = wasmfn::Functions::builder().with_dir("functions").with_postgres(pool).build()?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct PgStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    pool: PgPool,
    /// Who claims ticks and jobs: host name, process id and a random part.
    replica: String,
    migrated: tokio::sync::OnceCell<()>,
    unreachable: AtomicBool,
}

/// A job claimed by this replica for one try.
#[derive(Debug)]
pub(crate) struct Claimed {
    pub(crate) id: String,
    pub(crate) function: String,
    pub(crate) trigger: String,
    pub(crate) event_id: Option<i64>,
    pub(crate) input: Value,
    pub(crate) tries: u32,
    pub(crate) max_tries: u32,
}

impl PgStore {
    /// The store on `pool` (the app's own pool is fine: wasmfn uses a few connections of it,
    /// plus one for `LISTEN`).
    pub fn new(pool: PgPool) -> Self {
        let random = super::memory::new_uuid();
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        let replica = format!("{}-{}-{}", host.trim(), std::process::id(), &random[..8]);
        Self {
            inner: Arc::new(Inner {
                pool,
                replica,
                migrated: tokio::sync::OnceCell::new(),
                unreachable: AtomicBool::new(false),
            }),
        }
    }

    /// A store with a pool of its own for `url` (`postgres://user:pass@host/db`). Connects on
    /// first use, so a database that is down at startup only delays the triggers.
    pub fn connect_lazy(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(5))
            .connect_lazy(url)?;
        Ok(Self::new(pool))
    }

    /// The pool.
    pub fn pool(&self) -> &PgPool {
        &self.inner.pool
    }

    /// This replica's name in `claimed_by` / `locked_by`.
    pub fn replica(&self) -> &str {
        &self.inner.replica
    }

    /// Creates or upgrades the schema `wasmfn` (once per process; safe when several replicas
    /// start at once). Every other operation calls it first.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let result = self
            .inner
            .migrated
            .get_or_try_init(|| async {
                let mut conn = self.inner.pool.acquire().await?;
                sqlx::query("SELECT pg_advisory_lock($1)")
                    .bind(SCHEMA_LOCK)
                    .execute(&mut *conn)
                    .await?;
                let migrated = async {
                    sqlx::query("CREATE SCHEMA IF NOT EXISTS wasmfn").execute(&mut *conn).await?;
                    // sqlx keeps its record of applied migrations in the first schema of the
                    // search path: ours, not the app's.
                    sqlx::query("SET search_path TO wasmfn").execute(&mut *conn).await?;
                    let run = MIGRATOR.run_direct(&mut *conn).await;
                    sqlx::query("RESET search_path").execute(&mut *conn).await?;
                    run.map_err(StoreError::from)
                }
                .await;
                let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
                    .bind(SCHEMA_LOCK)
                    .execute(&mut *conn)
                    .await;
                migrated?;
                unlocked?;
                Ok::<_, StoreError>(())
            })
            .await;
        self.track(result.map(|_| ()))
    }

    /// Records whether the database answered, for the health check.
    fn track<T>(&self, result: Result<T, StoreError>) -> Result<T, StoreError> {
        let down = match &result {
            Ok(_) => false,
            Err(StoreError::Database(error)) => is_connection_error(error),
            Err(StoreError::Migrate(_)) => true,
            Err(StoreError::NoDatabase) => false,
        };
        self.inner.unreachable.store(down, Ordering::Relaxed);
        result
    }

    pub(super) fn is_unreachable(&self) -> bool {
        self.inner.unreachable.load(Ordering::Relaxed)
    }

    async fn pool_ready(&self) -> Result<&PgPool, StoreError> {
        self.migrate().await?;
        Ok(&self.inner.pool)
    }

    pub(super) async fn claim_tick(
        &self,
        function: &str,
        cron: &str,
        tick: SystemTime,
    ) -> Result<bool, StoreError> {
        let result = async {
            let claimed = sqlx::query(
                "INSERT INTO wasmfn.schedules AS s (function, cron, last_tick, claimed_by)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (function, cron) DO UPDATE
                   SET last_tick = excluded.last_tick, claimed_by = excluded.claimed_by,
                       claimed_at = now()
                   WHERE s.last_tick < excluded.last_tick
                 RETURNING 1",
            )
            .bind(function)
            .bind(cron)
            .bind(DateTime::<Utc>::from(tick))
            .bind(self.replica())
            .fetch_optional(self.pool_ready().await?)
            .await?;
            Ok(claimed.is_some())
        };
        self.track(result.await)
    }

    pub(super) async fn claim_missed_tick(
        &self,
        function: &str,
        cron: &str,
        tick: SystemTime,
    ) -> Result<bool, StoreError> {
        let result = async {
            let claimed = sqlx::query(
                "UPDATE wasmfn.schedules SET last_tick = $3, claimed_by = $4, claimed_at = now()
                 WHERE function = $1 AND cron = $2 AND last_tick < $3
                 RETURNING 1",
            )
            .bind(function)
            .bind(cron)
            .bind(DateTime::<Utc>::from(tick))
            .bind(self.replica())
            .fetch_optional(self.pool_ready().await?)
            .await?;
            Ok(claimed.is_some())
        };
        self.track(result.await)
    }

    pub(super) async fn first_use(
        &self,
        signature: &str,
        expires: SystemTime,
    ) -> Result<bool, StoreError> {
        let result = async {
            let inserted = sqlx::query(
                "INSERT INTO wasmfn.webhook_signatures AS w (signature, expires_at) VALUES ($1, $2)
                 ON CONFLICT (signature) DO UPDATE SET expires_at = excluded.expires_at
                   WHERE w.expires_at < now()
                 RETURNING 1",
            )
            .bind(signature)
            .bind(DateTime::<Utc>::from(expires))
            .fetch_optional(self.pool_ready().await?)
            .await?;
            Ok(inserted.is_some())
        };
        self.track(result.await)
    }

    /// Writes a database event and one job per function in `conn` (the app's transaction),
    /// and wakes the relays when it commits. Returns the event's id.
    pub(crate) async fn insert_event(
        &self,
        conn: &mut PgConnection,
        source: &str,
        action: &str,
        (old, new): (&Option<Value>, &Option<Value>),
        jobs: &[NewJob],
    ) -> Result<i64, StoreError> {
        self.migrate().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO wasmfn.events (source, action, old, new) VALUES ($1, $2, $3, $4)
             RETURNING id",
        )
        .bind(source)
        .bind(action)
        .bind(old)
        .bind(new)
        .fetch_one(&mut *conn)
        .await?;
        for job in jobs {
            sqlx::query(
                "INSERT INTO wasmfn.jobs (function, trigger, event_id, input, max_tries)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&job.function)
            .bind(job.trigger.to_string())
            .bind(id)
            .bind(&job.input)
            .bind(i32::try_from(job.max_tries).unwrap_or(i32::MAX))
            .execute(&mut *conn)
            .await?;
        }
        // Delivered on commit, dropped on rollback: exactly when the jobs appear.
        sqlx::query("SELECT pg_notify($1, '')").bind(CHANNEL).execute(&mut *conn).await?;
        Ok(id)
    }

    /// Queues an asynchronous call and wakes the relays.
    pub(crate) async fn enqueue(&self, job: &NewJob) -> Result<Job, StoreError> {
        let result = async {
            let mut tx = self.pool_ready().await?.begin().await?;
            let row = sqlx::query(&format!(
                "INSERT INTO wasmfn.jobs (function, trigger, input, max_tries)
                 VALUES ($1, $2, $3, $4) RETURNING {JOB_COLUMNS}"
            ))
            .bind(&job.function)
            .bind(job.trigger.to_string())
            .bind(&job.input)
            .bind(i32::try_from(job.max_tries).unwrap_or(i32::MAX))
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query("SELECT pg_notify($1, '')").bind(CHANNEL).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(job_from_row(&row)?)
        };
        self.track(result.await)
    }

    /// Claims up to `limit` due jobs (pending and due, or running with an expired lease: its
    /// replica died) for one try each, under a lease of `lease`.
    pub(crate) async fn claim(
        &self,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<Claimed>, StoreError> {
        let result = async {
            let pool = self.pool_ready().await?;
            // A job whose replica died on its last try is not tried again: it is dead.
            sqlx::query(
                "UPDATE wasmfn.jobs SET state = 'dead', locked_by = NULL, locked_until = NULL,
                   updated_at = now(),
                   error = jsonb_build_object('code', 'lease_expired', 'status', 500, 'message',
                     'the replica running the last try stopped before it ended')
                 WHERE state = 'running' AND locked_until < now() AND tries >= max_tries",
            )
            .execute(pool)
            .await?;
            let rows = sqlx::query(
                "WITH due AS (
                   SELECT id FROM wasmfn.jobs
                   WHERE state IN ('pending', 'running')
                     AND ((state = 'pending' AND run_after <= now())
                          OR (state = 'running' AND locked_until < now()))
                   ORDER BY run_after, created_at
                   LIMIT $3
                   FOR UPDATE SKIP LOCKED)
                 UPDATE wasmfn.jobs j SET state = 'running', tries = j.tries + 1, locked_by = $1,
                   locked_until = now() + make_interval(secs => $2), updated_at = now()
                 FROM due WHERE j.id = due.id
                 RETURNING j.id::text AS id, j.function, j.trigger, j.event_id, j.input, j.tries,
                   j.max_tries",
            )
            .bind(self.replica())
            .bind(lease.as_secs_f64())
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?;
            let claimed = rows.iter().map(|row| {
                Ok(Claimed {
                    id: row.try_get("id")?,
                    function: row.try_get("function")?,
                    trigger: row.try_get("trigger")?,
                    event_id: row.try_get("event_id")?,
                    input: row.try_get("input")?,
                    tries: count(row.try_get("tries")?),
                    max_tries: count(row.try_get("max_tries")?),
                })
            });
            claimed.collect::<Result<Vec<_>, sqlx::Error>>().map_err(StoreError::from)
        };
        self.track(result.await)
    }

    /// Extends the leases of this replica's running jobs (a call may outlive one lease).
    pub(crate) async fn renew_leases(&self, lease: Duration) -> Result<(), StoreError> {
        let result = async {
            sqlx::query(
                "UPDATE wasmfn.jobs SET locked_until = now() + make_interval(secs => $2)
                 WHERE state = 'running' AND locked_by = $1",
            )
            .bind(self.replica())
            .bind(lease.as_secs_f64())
            .execute(self.pool_ready().await?)
            .await?;
            Ok(())
        };
        self.track(result.await)
    }

    /// Ends try `tries` of job `id`: done with `output`, retried after `retry_in`, or dead.
    /// A try whose lease another replica took over changes nothing.
    pub(crate) async fn finish(
        &self,
        id: &str,
        tries: u32,
        outcome: Result<Value, (Value, Option<Duration>)>,
    ) -> Result<(), StoreError> {
        let (state, output, error, retry_in) = match outcome {
            Ok(output) => (JobState::Done, Some(output), None, None),
            Err((error, Some(retry_in))) => (JobState::Pending, None, Some(error), Some(retry_in)),
            Err((error, None)) => (JobState::Dead, None, Some(error), None),
        };
        let result = async {
            sqlx::query(
                "UPDATE wasmfn.jobs SET state = $3, output = $4, error = $5,
                   run_after = now() + make_interval(secs => $6), locked_by = NULL,
                   locked_until = NULL, updated_at = now()
                 WHERE id = $1::uuid AND tries = $2 AND state = 'running'",
            )
            .bind(id)
            .bind(i32::try_from(tries).unwrap_or(i32::MAX))
            .bind(state.as_str())
            .bind(output)
            .bind(error)
            .bind(retry_in.unwrap_or_default().as_secs_f64())
            .execute(self.pool_ready().await?)
            .await?;
            Ok(())
        };
        self.track(result.await)
    }

    /// When the next job becomes due (a retry's time or a lease's end), if any is waiting.
    pub(crate) async fn next_due(&self) -> Result<Option<SystemTime>, StoreError> {
        let result = async {
            let next: Option<DateTime<Utc>> = sqlx::query_scalar(
                "SELECT min(t) FROM (
                   SELECT min(run_after) AS t FROM wasmfn.jobs WHERE state = 'pending'
                   UNION ALL
                   SELECT min(locked_until) FROM wasmfn.jobs WHERE state = 'running') due",
            )
            .fetch_one(self.pool_ready().await?)
            .await?;
            Ok(next.map(SystemTime::from))
        };
        self.track(result.await)
    }

    /// Forgets used webhook signatures whose time has passed.
    pub(crate) async fn forget_expired(&self) -> Result<(), StoreError> {
        let result = async {
            sqlx::query("DELETE FROM wasmfn.webhook_signatures WHERE expires_at < now()")
                .execute(self.pool_ready().await?)
                .await?;
            Ok(())
        };
        self.track(result.await)
    }

    pub(super) async fn job(&self, id: &str) -> Result<Option<Job>, StoreError> {
        if !is_uuid(id) {
            return Ok(None);
        }
        let result = async {
            let row =
                sqlx::query(&format!("SELECT {JOB_COLUMNS} FROM wasmfn.jobs WHERE id = $1::uuid"))
                    .bind(id)
                    .fetch_optional(self.pool_ready().await?)
                    .await?;
            row.as_ref().map(job_from_row).transpose().map_err(StoreError::from)
        };
        self.track(result.await)
    }

    pub(super) async fn dead_jobs(&self, limit: u32) -> Result<Vec<Job>, StoreError> {
        let result = async {
            let rows = sqlx::query(&format!(
                "SELECT {JOB_COLUMNS} FROM wasmfn.jobs WHERE state = 'dead'
                 ORDER BY updated_at LIMIT $1"
            ))
            .bind(i64::from(limit))
            .fetch_all(self.pool_ready().await?)
            .await?;
            rows.iter().map(job_from_row).collect::<Result<_, _>>().map_err(StoreError::from)
        };
        self.track(result.await)
    }

    /// Puts a dead job back in the queue with its tries reset: true if `id` was dead.
    pub(crate) async fn redrive(&self, id: &str) -> Result<bool, StoreError> {
        if !is_uuid(id) {
            return Ok(false);
        }
        let result = async {
            let mut tx = self.pool_ready().await?.begin().await?;
            let redriven = sqlx::query(
                "UPDATE wasmfn.jobs SET state = 'pending', tries = 0, run_after = now(),
                   updated_at = now()
                 WHERE id = $1::uuid AND state = 'dead' RETURNING 1",
            )
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            sqlx::query("SELECT pg_notify($1, '')").bind(CHANNEL).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(redriven.is_some())
        };
        self.track(result.await)
    }

    /// A listener woken when jobs are queued.
    pub(crate) async fn listen(&self) -> Result<PgListener, StoreError> {
        let result = async {
            let mut listener = PgListener::connect_with(self.pool_ready().await?).await?;
            listener.listen(CHANNEL).await?;
            Ok(listener)
        };
        self.track(result.await)
    }
}

fn job_from_row(row: &PgRow) -> Result<Job, sqlx::Error> {
    let state: String = row.try_get("state")?;
    let event_id: Option<i64> = row.try_get("event_id")?;
    Ok(Job {
        id: row.try_get("id")?,
        function: row.try_get("function")?,
        trigger: row.try_get("trigger")?,
        state: JobState::parse(&state),
        tries: count(row.try_get("tries")?),
        max_tries: count(row.try_get("max_tries")?),
        event_id: event_id.map(|id| id.to_string()),
        output: row.try_get("output")?,
        error: row.try_get("error")?,
        created_at: row.try_get::<DateTime<Utc>, _>("created_at")?.into(),
        updated_at: row.try_get::<DateTime<Utc>, _>("updated_at")?.into(),
    })
}

fn count(value: i32) -> u32 {
    u32::try_from(value).unwrap_or(0)
}

/// Whether `error` means the database could not be reached (rather than refused a query).
fn is_connection_error(error: &sqlx::Error) -> bool {
    matches!(
        error,
        sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
    ) || matches!(error, sqlx::Error::Database(db) if db.code().is_some_and(|code| code.starts_with("57P") || code.starts_with("08")))
}
