//! Jobs in PostgreSQL: the outbox of database events, queued calls, and how relays claim,
//! renew and finish them.

use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{
    PgConnection, Row,
    postgres::{PgListener, PgRow},
};

use super::PgStore;
use crate::store::{Job, JobState, NewJob, StoreError, memory::is_uuid};

/// The channel `NOTIFY` wakes relays on when a job is queued.
pub(crate) const CHANNEL: &str = "wasmfn_jobs";

/// The columns a [`Job`] is read from.
const JOB_COLUMNS: &str = "id::text AS id, function, trigger, event_id, state, tries, max_tries, \
                           output, error, created_at, updated_at";

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
            let rows = sqlx::query(
                "WITH due AS (
                   SELECT id FROM wasmfn.jobs
                   WHERE state IN ('pending', 'running')
                     AND ((state = 'pending' AND run_after <= now())
                          OR (state = 'running' AND locked_until < now() AND tries < max_tries))
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
            .fetch_all(self.pool_ready().await?)
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

    /// Marks dead the jobs whose replica died during their last try (their lease ran out):
    /// they are not tried again.
    pub(crate) async fn bury_abandoned(&self) -> Result<(), StoreError> {
        let result = async {
            sqlx::query(
                "UPDATE wasmfn.jobs SET state = 'dead', locked_by = NULL, locked_until = NULL,
                   updated_at = now(),
                   error = jsonb_build_object('code', 'lease_expired', 'status', 500, 'message',
                     'the replica running the last try stopped before it ended')
                 WHERE state = 'running' AND locked_until < now() AND tries >= max_tries",
            )
            .execute(self.pool_ready().await?)
            .await?;
            Ok(())
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

    pub(in crate::store) async fn job(&self, id: &str) -> Result<Option<Job>, StoreError> {
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

    pub(in crate::store) async fn dead_jobs(&self, limit: u32) -> Result<Vec<Job>, StoreError> {
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
