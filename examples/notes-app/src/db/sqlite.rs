//! The SQLite backend (the default: a file, nothing to install).

use std::{
    path::Path,
    sync::{Arc, Mutex},
};

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{AuditEntry, Note};

/// A SQLite file, shared by the request handlers. SQLite calls are short and run on tokio's
/// blocking pool.
#[derive(Clone)]
pub struct Sqlite {
    conn: Arc<Mutex<Connection>>,
}

impl Sqlite {
    /// Opens (creating if needed) the database file at `path`.
    pub fn open(path: &Path) -> rusqlite::Result<Self> {
        let conn = Connection::open(path)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE IF NOT EXISTS notes (
                 id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS audit (
                 id INTEGER PRIMARY KEY, action TEXT NOT NULL, note_id INTEGER NOT NULL,
                 written_by TEXT NOT NULL, call_id INTEGER NOT NULL);",
        )?;
        Ok(Self { conn: Arc::new(Mutex::new(conn)) })
    }

    /// Runs `query` with the connection on the blocking pool.
    pub async fn run<T, F>(&self, query: F) -> rusqlite::Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || query(&conn.lock().unwrap_or_else(|e| e.into_inner())))
            .await
            .expect("a query never panics")
    }
}

/// The queries, as functions of a connection.
pub mod queries {
    use super::*;

    fn note(row: &Row<'_>) -> rusqlite::Result<Note> {
        Ok(Note { id: row.get(0)?, title: row.get(1)?, body: row.get(2)? })
    }

    /// Inserts a note.
    pub fn insert_note(conn: &Connection, title: &str, body: &str) -> rusqlite::Result<Note> {
        conn.execute("INSERT INTO notes (title, body) VALUES (?1, ?2)", params![title, body])?;
        Ok(Note { id: conn.last_insert_rowid(), title: title.to_owned(), body: body.to_owned() })
    }

    /// One note.
    pub fn get_note(conn: &Connection, id: i64) -> rusqlite::Result<Option<Note>> {
        conn.query_row("SELECT id, title, body FROM notes WHERE id = ?1", [id], note).optional()
    }

    /// Every note, oldest first.
    pub fn list_notes(conn: &Connection) -> rusqlite::Result<Vec<Note>> {
        let mut statement = conn.prepare("SELECT id, title, body FROM notes ORDER BY id")?;
        statement.query_map([], note)?.collect()
    }

    /// Replaces a note's title and body; the note before and after, if it exists.
    pub fn update_note(
        conn: &Connection,
        id: i64,
        title: &str,
        body: &str,
    ) -> rusqlite::Result<Option<(Note, Note)>> {
        let Some(old) = get_note(conn, id)? else { return Ok(None) };
        conn.execute(
            "UPDATE notes SET title = ?2, body = ?3 WHERE id = ?1",
            params![id, title, body],
        )?;
        let new = Note { id, title: title.to_owned(), body: body.to_owned() };
        Ok(Some((old, new)))
    }

    /// Deletes a note; the note as it was, if it existed.
    pub fn delete_note(conn: &Connection, id: i64) -> rusqlite::Result<Option<Note>> {
        let old = get_note(conn, id)?;
        conn.execute("DELETE FROM notes WHERE id = ?1", [id])?;
        Ok(old)
    }

    /// Appends to the audit log.
    pub fn insert_audit(
        conn: &Connection,
        action: &str,
        note_id: i64,
        written_by: &str,
        call_id: u64,
    ) -> rusqlite::Result<AuditEntry> {
        let call_id = i64::try_from(call_id)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        conn.execute(
            "INSERT INTO audit (action, note_id, written_by, call_id) VALUES (?1, ?2, ?3, ?4)",
            params![action, note_id, written_by, call_id],
        )?;
        Ok(AuditEntry {
            id: conn.last_insert_rowid(),
            action: action.to_owned(),
            note_id,
            written_by: written_by.to_owned(),
            call_id,
        })
    }

    /// The audit log, oldest first.
    pub fn list_audit(conn: &Connection) -> rusqlite::Result<Vec<AuditEntry>> {
        let mut statement =
            conn.prepare("SELECT id, action, note_id, written_by, call_id FROM audit ORDER BY id")?;
        statement
            .query_map([], |row| {
                Ok(AuditEntry {
                    id: row.get(0)?,
                    action: row.get(1)?,
                    note_id: row.get(2)?,
                    written_by: row.get(3)?,
                    call_id: row.get(4)?,
                })
            })?
            .collect()
    }
}
