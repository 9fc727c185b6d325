//! Guests' log records into the host's `tracing` (target `wasmfn::guest`, inside the call's
//! span), from wasm guests (`wasmfn_log`) and from process functions' stderr lines; and into
//! the call history's capture, when it keeps the call's logs.

use wasmfn_schema::wire::LogRecord;

use crate::history::Capture;

/// Longer messages are cut: one record stays readable.
pub(crate) const MAX_MESSAGE: usize = 8 * 1024;
/// What one call may log; the rest is dropped (a guest logging in a loop cannot flood the
/// host's log, whatever it runs: wasm or a process).
pub(crate) const MAX_PER_CALL: usize = 1024 * 1024;

/// What a call has logged so far.
#[derive(Clone, Debug, Default)]
pub(crate) struct Budget {
    used: usize,
}

impl Budget {
    /// Whether a record of `len` bytes may still be logged; says once when the budget is spent.
    pub(crate) fn admit(&mut self, len: usize) -> bool {
        if self.used >= MAX_PER_CALL {
            return false;
        }
        self.used += len + 1;
        if self.used >= MAX_PER_CALL {
            tracing::warn!("the call logged more than 1 MiB: the rest of its logs are dropped");
        }
        true
    }
}

/// `message` cut to [`MAX_MESSAGE`] bytes (on a character boundary).
pub(crate) fn cut(mut message: String) -> String {
    if message.len() > MAX_MESSAGE {
        let mut end = MAX_MESSAGE;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message.truncate(end);
    }
    message
}

/// Emits `record` at its level (`info` for an unknown one), with its fields if it has any,
/// and hands it to `capture`.
pub(crate) fn emit(function: &str, record: LogRecord, capture: &Capture) {
    let message = cut(record.message);
    capture.log(&record.level, &message, &record.fields);
    // Recorded only when the guest gave some (an absent `Option` field is left out).
    let fields = (!record.fields.is_empty()).then_some(serde_json::Value::Object(record.fields));
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
pub(crate) fn emit_line(function: &str, line: &str, capture: &Capture) {
    let record = line
        .starts_with('{')
        .then(|| serde_json::from_str::<LogRecord>(line).ok())
        .flatten()
        .unwrap_or_else(|| LogRecord {
            level: "info".to_owned(),
            message: line.to_owned(),
            fields: serde_json::Map::new(),
        });
    emit(function, record, capture);
}
