//! [`PgStore`]: the trigger state in PostgreSQL, shared by every replica on the database.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, SystemTime},
};

use chrono::{DateTime, Utc};
use sqlx::{PgPool, postgres::PgPoolOptions};

mod jobs;

pub(crate) use self::jobs::Claimed;
use super::StoreError;

/// The schema's migrations, embedded in the binary.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A key for `pg_advisory_lock`: replicas starting at once create the schema one at a time.
const SCHEMA_LOCK: i64 = 0x7761_736d_666e; // "wasmfn"

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
        // A database that went away is noticed (health says so) within ~2 s: with the server
        // down, acquiring retries the connection until this timeout.
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(2))
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
                // A connection of its own, closed after: the search path set here never reaches
                // a pooled connection, and closing it releases the lock whatever happened.
                let mut conn = self.inner.pool.acquire().await?.detach();
                let migrated = async {
                    sqlx::query("SELECT pg_advisory_lock($1)")
                        .bind(SCHEMA_LOCK)
                        .execute(&mut conn)
                        .await?;
                    sqlx::query("CREATE SCHEMA IF NOT EXISTS wasmfn").execute(&mut conn).await?;
                    // sqlx keeps its record of applied migrations in the first schema of the
                    // search path: ours, not the app's.
                    sqlx::query("SET search_path TO wasmfn").execute(&mut conn).await?;
                    MIGRATOR.run_direct(&mut conn).await.map_err(StoreError::from)
                }
                .await;
                let _ = sqlx::Connection::close(conn).await;
                migrated?;
                Ok::<_, StoreError>(())
            })
            .await;
        // Only a failure is news for the health check: a success here is a cached one, and
        // would hide another task's failed query.
        match result {
            Ok(()) => Ok(()),
            Err(error) => self.track(Err(error)),
        }
    }

    /// Records whether the database answered, for the health check.
    pub(super) fn track<T>(&self, result: Result<T, StoreError>) -> Result<T, StoreError> {
        let down = match &result {
            Ok(_) => false,
            Err(StoreError::Database(error)) => is_connection_error(error),
            Err(StoreError::Migrate(_)) => true,
            Err(StoreError::NoDatabase) => false,
        };
        self.inner.unreachable.store(down, Ordering::Relaxed);
        result
    }

    pub(crate) fn is_unreachable(&self) -> bool {
        self.inner.unreachable.load(Ordering::Relaxed)
    }

    pub(super) async fn pool_ready(&self) -> Result<&PgPool, StoreError> {
        self.migrate().await?;
        Ok(&self.inner.pool)
    }

    pub(super) async fn claim_tick(
        &self,
        function: &str,
        cron: &str,
        tick: SystemTime,
    ) -> Result<bool, StoreError> {
        // Moves `last_tick` forward only: of the replicas trying one tick, one gets a row back.
        const CLAIM: &str =
            "INSERT INTO wasmfn.schedules AS s (function, cron, last_tick, claimed_by)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (function, cron) DO UPDATE
               SET last_tick = excluded.last_tick, claimed_by = excluded.claimed_by,
                   claimed_at = now()
               WHERE s.last_tick < excluded.last_tick
             RETURNING 1";
        self.claim_with(CLAIM, function, cron, tick).await
    }

    pub(super) async fn claim_missed_tick(
        &self,
        function: &str,
        cron: &str,
        tick: SystemTime,
    ) -> Result<bool, StoreError> {
        // An update only: a schedule never claimed before has missed nothing.
        const CLAIM: &str =
            "UPDATE wasmfn.schedules SET last_tick = $3, claimed_by = $4, claimed_at = now()
             WHERE function = $1 AND cron = $2 AND last_tick < $3
             RETURNING 1";
        self.claim_with(CLAIM, function, cron, tick).await
    }

    /// Runs a tick claim (`$1` function, `$2` cron, `$3` tick, `$4` this replica): true when
    /// it returned a row.
    async fn claim_with(
        &self,
        sql: &'static str,
        function: &str,
        cron: &str,
        tick: SystemTime,
    ) -> Result<bool, StoreError> {
        let result = async {
            let claimed = sqlx::query(sql)
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
