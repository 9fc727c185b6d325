//! What the history keeps of a call, as `GET /api/calls` and the live feed show it.

use std::sync::Arc;

use serde::Serialize;

/// One finished call.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct CallRecord {
    /// The call id (the `id` of its `invocation` span); grows with time.
    pub id: u64,
    /// The function.
    pub function: String,
    /// What caused it: `direct`, `http`, `route`, `webhook`, `schedule`, `database`.
    pub trigger: String,
    /// When it started (RFC 3339, UTC, milliseconds).
    pub started_at: String,
    /// How long it took, queueing included.
    pub duration_ms: f64,
    /// `ok`, or the error's code.
    pub outcome: String,
    /// The error's message, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Whether input, output and logs were left out (the manifest's `history: redacted`).
    pub redacted: bool,
    /// The input, cut.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<Payload>,
    /// The output, cut (none when the call failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<Payload>,
    /// The log lines it wrote, up to the per-call limit.
    pub logs: Vec<Arc<LogLine>>,
    /// How many lines were past the limit.
    pub logs_dropped: usize,
}

/// A call's input or output, cut to the history's limit (as text: invalid UTF-8 is replaced).
#[derive(Clone, Debug, Serialize)]
pub struct Payload {
    /// The first bytes, as text.
    pub text: String,
    /// The whole size in bytes: more than `text` holds when it was cut.
    pub bytes: usize,
    /// Whether `text` is only the beginning.
    pub truncated: bool,
}

impl Payload {
    pub(crate) fn cut(bytes: &[u8], max: usize) -> Self {
        let kept = &bytes[..bytes.len().min(max)];
        let mut text = String::from_utf8_lossy(kept).into_owned();
        // A character cut in half at the end is dropped, not shown as a replacement.
        if kept.len() < bytes.len()
            && std::str::from_utf8(kept).is_err()
            && text.ends_with('\u{FFFD}')
        {
            text.pop();
        }
        Self { text, bytes: bytes.len(), truncated: kept.len() < bytes.len() }
    }
}

/// One line a guest logged during a call.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct LogLine {
    /// The call that logged it.
    pub call: u64,
    /// The function.
    pub function: String,
    /// `error`, `warn`, `info`, `debug` or `trace`.
    pub level: String,
    /// The message (cut to 8 KiB).
    pub message: String,
    /// Its structured fields, if any.
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// When, in milliseconds since the call started.
    pub at_ms: f64,
}

/// What the live feed carries.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
#[non_exhaustive]
pub enum HistoryEvent {
    /// A call ended.
    Call(Arc<CallRecord>),
    /// A running call logged a line.
    Log(Arc<LogLine>),
}

impl HistoryEvent {
    /// The function it is about.
    pub fn function(&self) -> &str {
        match self {
            Self::Call(call) => &call.function,
            Self::Log(line) => &line.function,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Payload;

    #[test]
    fn a_payload_is_cut_on_a_character_boundary() {
        let payload = Payload::cut("héllo".as_bytes(), 2);
        assert_eq!((payload.text.as_str(), payload.bytes, payload.truncated), ("h", 6, true));
        let whole = Payload::cut(b"{}", 10);
        assert_eq!((whole.text.as_str(), whole.truncated), ("{}", false));
    }
}
