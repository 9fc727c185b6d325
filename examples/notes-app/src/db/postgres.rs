//! The PostgreSQL backend (`--database-url`): a note and the event it emits are written in one
//! transaction, so a hook runs for every committed change and for nothing else, even if the
//! app crashes right after the commit.

use sqlx::{PgPool, Postgres, Transaction};

use super::{AuditEntry, Note};

const NOTE: &str = "id, title, body";
const AUDIT: &str = "id, action, note_id, written_by, call_id";

/// Creates the app's tables if they are missing.
pub(super) async fn create_tables(pool: &PgPool) -> sqlx::Result<()> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS notes (
             id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
             title text NOT NULL, body text NOT NULL);
         CREATE TABLE IF NOT EXISTS audit (
             id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, action text NOT NULL,
             note_id bigint NOT NULL, written_by text NOT NULL, call_id bigint NOT NULL);",
    )
    .execute(pool)
    .await?;
    Ok(())
}

pub(super) async fn insert_note(
    tx: &mut Transaction<'_, Postgres>,
    title: &str,
    body: &str,
) -> sqlx::Result<Note> {
    sqlx::query_as(&format!("INSERT INTO notes (title, body) VALUES ($1, $2) RETURNING {NOTE}"))
        .bind(title)
        .bind(body)
        .fetch_one(&mut **tx)
        .await
}

pub(super) async fn get_note(pool: &PgPool, id: i64) -> sqlx::Result<Option<Note>> {
    sqlx::query_as(&format!("SELECT {NOTE} FROM notes WHERE id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await
}

pub(super) async fn list_notes(pool: &PgPool) -> sqlx::Result<Vec<Note>> {
    sqlx::query_as(&format!("SELECT {NOTE} FROM notes ORDER BY id")).fetch_all(pool).await
}

/// The note before and after, if it exists (locked until the transaction ends).
pub(super) async fn update_note(
    tx: &mut Transaction<'_, Postgres>,
    id: i64,
    title: &str,
    body: &str,
) -> sqlx::Result<Option<(Note, Note)>> {
    let old: Option<Note> =
        sqlx::query_as(&format!("SELECT {NOTE} FROM notes WHERE id = $1 FOR UPDATE"))
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
    let Some(old) = old else { return Ok(None) };
    let new = sqlx::query_as(&format!(
        "UPDATE notes SET title = $2, body = $3 WHERE id = $1 RETURNING {NOTE}"
    ))
    .bind(id)
    .bind(title)
    .bind(body)
    .fetch_one(&mut **tx)
    .await?;
    Ok(Some((old, new)))
}

pub(super) async fn delete_note(
    tx: &mut Transaction<'_, Postgres>,
    id: i64,
) -> sqlx::Result<Option<Note>> {
    sqlx::query_as(&format!("DELETE FROM notes WHERE id = $1 RETURNING {NOTE}"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
}

pub(super) async fn insert_audit(
    pool: &PgPool,
    action: &str,
    note_id: i64,
    written_by: &str,
    call_id: i64,
) -> sqlx::Result<AuditEntry> {
    sqlx::query_as(&format!(
        "INSERT INTO audit (action, note_id, written_by, call_id) VALUES ($1, $2, $3, $4)
         RETURNING {AUDIT}"
    ))
    .bind(action)
    .bind(note_id)
    .bind(written_by)
    .bind(call_id)
    .fetch_one(pool)
    .await
}

pub(super) async fn list_audit(pool: &PgPool) -> sqlx::Result<Vec<AuditEntry>> {
    sqlx::query_as(&format!("SELECT {AUDIT} FROM audit ORDER BY id")).fetch_all(pool).await
}
