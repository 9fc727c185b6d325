//! Runs on every change to a note and records it in the app's audit log, through the app's
//! own API (`POST /api/audit`, the one request its manifest's scopes allow).

use serde::Deserialize;
use serde_json::{Value, json};
use wasmfn_pdk::{Error, api, info};

/// The database event wasmfn sends (see docs/triggers.md).
#[derive(Deserialize)]
struct DbEvent {
    table: String,
    action: String,
    old: Option<Note>,
    new: Option<Note>,
}

#[derive(Deserialize)]
struct Note {
    id: i64,
}

#[wasmfn_pdk::function]
fn handle(event: DbEvent) -> Result<Value, Error> {
    let note =
        event.new.or(event.old).ok_or_else(|| Error::invalid_input("the event carries no row"))?;
    info!(table = event.table, note = note.id; "auditing {}", event.action);
    let entry: Value =
        api::post("/api/audit", &json!({ "action": event.action, "note_id": note.id }))?
            .error_for_status()?
            .json()?;
    Ok(entry)
}
