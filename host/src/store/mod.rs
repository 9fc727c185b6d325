//! Trigger state: what triggers remember between calls and, with a database, share between
//! replicas: claimed schedule ticks, queued calls (database events' deliveries and
//! asynchronous calls), and webhook signatures already used.
//!
//! | backend | selected by | shared by | survives a restart |
//! | --- | --- | --- | --- |
//! | memory (default) | nothing to set | this process | no |
//! | PostgreSQL (feature `postgres`) | `with_postgres(pool)` / `with_database_url(url)` | every replica on the database | yes |
//!
//! The PostgreSQL tables live in the schema `wasmfn`, created and upgraded by embedded
//! migrations before the first use (under an advisory lock, so replicas may start at once).

mod job;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;

use std::{sync::Arc, time::SystemTime};

pub use self::job::{Job, JobState};
#[cfg(feature = "postgres")]
pub(crate) use self::postgres::Claimed;
#[cfg(feature = "postgres")]
pub use self::postgres::PgStore;
pub(crate) use self::{
    job::NewJob,
    memory::{MemoryStore, new_uuid},
};

/// Why the trigger state could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database refused or could not be reached.
    #[cfg(feature = "postgres")]
    #[error("the trigger database: {0}")]
    Database(#[from] sqlx::Error),
    /// The schema could not be created or upgraded.
    #[cfg(feature = "postgres")]
    #[error("migrating the trigger database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// What was asked needs a PostgreSQL store, and none was configured.
    #[cfg(feature = "postgres")]
    #[error("no trigger database is configured (with_postgres or with_database_url)")]
    NoDatabase,
}

/// Where the trigger state lives. Cheap to clone.
#[derive(Clone, Debug)]
pub(crate) enum Store {
    Memory(Arc<MemoryStore>),
    #[cfg(feature = "postgres")]
    Postgres(PgStore),
}

impl Default for Store {
    fn default() -> Self {
        Self::Memory(Arc::default())
    }
}

impl Store {
    /// Claims one tick of a schedule for this replica: true for exactly one replica per tick.
    #[cfg_attr(not(feature = "postgres"), allow(unused_variables))]
    pub(crate) async fn claim_tick(
        &self,
        function: &str,
        cron: &str,
        tick: SystemTime,
    ) -> Result<bool, StoreError> {
        match self {
            Self::Memory(_) => Ok(true),
            #[cfg(feature = "postgres")]
            Self::Postgres(pg) => pg.claim_tick(function, cron, tick).await,
        }
    }

    /// Claims `tick` only if the schedule is known and its last claimed tick is older: a tick
    /// missed while no replica ran. Memory remembers no past ticks, so never.
    #[cfg_attr(not(feature = "postgres"), allow(unused_variables))]
    pub(crate) async fn claim_missed_tick(
        &self,
        function: &str,
        cron: &str,
        tick: SystemTime,
    ) -> Result<bool, StoreError> {
        match self {
            Self::Memory(_) => Ok(false),
            #[cfg(feature = "postgres")]
            Self::Postgres(pg) => pg.claim_missed_tick(function, cron, tick).await,
        }
    }

    /// Records a webhook signature as used until `expires`: false if it already was (a replay).
    pub(crate) async fn first_use(
        &self,
        signature: &str,
        now: SystemTime,
        expires: SystemTime,
    ) -> Result<bool, StoreError> {
        match self {
            Self::Memory(memory) => Ok(memory.first_use(signature, now, expires)),
            #[cfg(feature = "postgres")]
            Self::Postgres(pg) => pg.first_use(signature, expires).await,
        }
    }

    /// The job `id`, if there is one.
    pub(crate) async fn job(&self, id: &str) -> Result<Option<Job>, StoreError> {
        match self {
            Self::Memory(memory) => Ok(memory.job(id)),
            #[cfg(feature = "postgres")]
            Self::Postgres(pg) => pg.job(id).await,
        }
    }

    /// Jobs that ended in the dead-letter state, oldest first (at most `limit`).
    pub(crate) async fn dead_jobs(&self, limit: u32) -> Result<Vec<Job>, StoreError> {
        match self {
            Self::Memory(memory) => Ok(memory.dead_jobs(limit)),
            #[cfg(feature = "postgres")]
            Self::Postgres(pg) => pg.dead_jobs(limit).await,
        }
    }
}
