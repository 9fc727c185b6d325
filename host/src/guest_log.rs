//! Guests' log records into the host's `tracing` (target `wasmfn::guest`, inside the call's
//! span), from wasm guests (`wasmfn_log`) and from process functions' stderr lines.

use wasmfn_schema::wire::LogRecord;

/// Emits `record` at its level (`info` for an unknown one), with its fields if it has any.
pub(crate) fn emit(function: &str, record: LogRecord) {
    // Recorded only when the guest gave some (an absent `Option` field is left out).
    let fields = (!record.fields.is_empty()).then_some(serde_json::Value::Object(record.fields));
    let message = record.message;
    macro_rules! emit {
        ($level:expr) => {
            tracing::event!(target: "wasmfn::guest", $level, function = %function, fields = fields.as_ref().map(tracing::field::display), "{message}")
        };
    }
    match record.level.as_str() {
        "error" => emit!(tracing::Level::ERROR),
        "warn" => emit!(tracing::Level::WARN),
        "debug" => emit!(tracing::Level::DEBUG),
        "trace" => emit!(tracing::Level::TRACE),
        _ => emit!(tracing::Level::INFO),
    }
}

/// A process's stderr line: a JSON [`LogRecord`] keeps its level and fields; any other line
/// is an `info` message.
pub(crate) fn emit_line(function: &str, line: &str) {
    let record = line
        .starts_with('{')
        .then(|| serde_json::from_str::<LogRecord>(line).ok())
        .flatten()
        .unwrap_or_else(|| LogRecord {
            level: "info".to_owned(),
            message: line.to_owned(),
            fields: serde_json::Map::new(),
        });
    emit(function, record);
}
