//! The app's database: notes, and the audit log the `audit-log` function writes. SQLite (a
//! file, the default) or PostgreSQL (`--database-url`, where wasmfn keeps its trigger state
//! too, so several replicas of the app can share it).
//!
//! Each change reports its event to wasmfn: with SQLite after the commit (`emit`: in the
//! background, lost if the app dies first); with PostgreSQL inside the change's own
//! transaction (`emit_in`: delivered at least once if, and only if, the change commits).

mod postgres;
pub mod sqlite;

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::json;
use wasmfn::{Functions, triggers::DbEvent};

pub use self::sqlite::{Sqlite, queries};

/// A note.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, sqlx::FromRow)]
pub struct Note {
    /// Its id.
    pub id: i64,
    /// Its title.
    pub title: String,
    /// Its text.
    pub body: String,
}

/// A row of the audit log.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, sqlx::FromRow)]
pub struct AuditEntry {
    /// Its id.
    pub id: i64,
    /// What happened: `insert`, `update` or `delete`.
    pub action: String,
    /// The note it happened to.
    pub note_id: i64,
    /// Who wrote the entry: the function whose token came with the request.
    pub written_by: String,
    /// The call of that function (its invocation id).
    pub call_id: i64,
}

/// Why a query failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// SQLite failed.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL failed.
    #[error(transparent)]
    Postgres(#[from] sqlx::Error),
    /// wasmfn could not write the event in the transaction.
    #[error(transparent)]
    Emit(#[from] wasmfn::store::StoreError),
}

/// The database. Cheap to clone.
#[derive(Clone)]
pub enum Db {
    /// A SQLite file.
    Sqlite(Sqlite),
    /// A PostgreSQL database.
    Postgres(sqlx::PgPool),
}

impl Db {
    /// Opens (creating if needed) the SQLite file at `path`.
    pub fn open(path: &Path) -> rusqlite::Result<Self> {
        Sqlite::open(path).map(Self::Sqlite)
    }

    /// Uses the PostgreSQL database at `pool`, creating the app's tables if missing.
    pub async fn postgres(pool: sqlx::PgPool) -> Result<Self, DbError> {
        postgres::create_tables(&pool).await?;
        Ok(Self::Postgres(pool))
    }

    /// Inserts a note; its hooks run once it is committed.
    pub async fn create_note(
        &self,
        functions: &Functions,
        title: String,
        body: String,
    ) -> Result<Note, DbError> {
        match self {
            Self::Sqlite(db) => {
                let note = db.run(move |conn| queries::insert_note(conn, &title, &body)).await?;
                functions.database().emit(DbEvent::insert("notes", json!(note)));
                Ok(note)
            }
            Self::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let note = postgres::insert_note(&mut tx, &title, &body).await?;
                functions
                    .database()
                    .emit_in(&mut tx, DbEvent::insert("notes", json!(note)))
                    .await?;
                tx.commit().await?;
                Ok(note)
            }
        }
    }

    /// Replaces a note's title and body: the new note, if it exists.
    pub async fn update_note(
        &self,
        functions: &Functions,
        id: i64,
        title: String,
        body: String,
    ) -> Result<Option<Note>, DbError> {
        let changed = match self {
            Self::Sqlite(db) => {
                let changed =
                    db.run(move |conn| queries::update_note(conn, id, &title, &body)).await?;
                if let Some((old, new)) = &changed {
                    functions.database().emit(DbEvent::update("notes", json!(old), json!(new)));
                }
                changed
            }
            Self::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let changed = postgres::update_note(&mut tx, id, &title, &body).await?;
                if let Some((old, new)) = &changed {
                    let event = DbEvent::update("notes", json!(old), json!(new));
                    functions.database().emit_in(&mut tx, event).await?;
                }
                tx.commit().await?;
                changed
            }
        };
        Ok(changed.map(|(_, new)| new))
    }

    /// Deletes a note: whether it existed.
    pub async fn delete_note(&self, functions: &Functions, id: i64) -> Result<bool, DbError> {
        let old = match self {
            Self::Sqlite(db) => {
                let old = db.run(move |conn| queries::delete_note(conn, id)).await?;
                if let Some(old) = &old {
                    functions.database().emit(DbEvent::delete("notes", json!(old)));
                }
                old
            }
            Self::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let old = postgres::delete_note(&mut tx, id).await?;
                if let Some(old) = &old {
                    let event = DbEvent::delete("notes", json!(old));
                    functions.database().emit_in(&mut tx, event).await?;
                }
                tx.commit().await?;
                old
            }
        };
        Ok(old.is_some())
    }

    /// One note.
    pub async fn get_note(&self, id: i64) -> Result<Option<Note>, DbError> {
        match self {
            Self::Sqlite(db) => Ok(db.run(move |conn| queries::get_note(conn, id)).await?),
            Self::Postgres(pool) => Ok(postgres::get_note(pool, id).await?),
        }
    }

    /// Every note, oldest first.
    pub async fn list_notes(&self) -> Result<Vec<Note>, DbError> {
        match self {
            Self::Sqlite(db) => Ok(db.run(queries::list_notes).await?),
            Self::Postgres(pool) => Ok(postgres::list_notes(pool).await?),
        }
    }

    /// Appends to the audit log.
    pub async fn insert_audit(
        &self,
        action: String,
        note_id: i64,
        written_by: String,
        call_id: u64,
    ) -> Result<AuditEntry, DbError> {
        match self {
            Self::Sqlite(db) => Ok(db
                .run(move |conn| {
                    queries::insert_audit(conn, &action, note_id, &written_by, call_id)
                })
                .await?),
            Self::Postgres(pool) => {
                let call_id = i64::try_from(call_id).unwrap_or(i64::MAX);
                Ok(postgres::insert_audit(pool, &action, note_id, &written_by, call_id).await?)
            }
        }
    }

    /// The audit log, oldest first.
    pub async fn list_audit(&self) -> Result<Vec<AuditEntry>, DbError> {
        match self {
            Self::Sqlite(db) => Ok(db.run(queries::list_audit).await?),
            Self::Postgres(pool) => Ok(postgres::list_audit(pool).await?),
        }
    }
}
