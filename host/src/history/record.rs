//! What the history keeps of a call, as `GET /api/calls` and the live feed show it.

use std::{borrow::Cow, sync::Arc, time::SystemTime};

use bytes::Bytes;
use serde::{Serialize, Serializer};

/// One finished call.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct CallRecord {
    /// The call id (the `id` of its `invocation` span); grows with time.
    pub id: u64,
    /// The function.
    pub function: Arc<str>,
    /// What caused it: `direct`, `http`, `route`, `webhook`, `schedule`, `database`.
    pub trigger: &'static str,
    /// When it started (shown as RFC 3339, UTC, milliseconds).
    #[serde(serialize_with = "rfc3339")]
    pub started_at: SystemTime,
    /// How long it took, queueing included.
    pub duration_ms: f64,
    /// `ok`, or the error's code.
    pub outcome: Cow<'static, str>,
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
    pub logs: Vec<LogLine>,
    /// How many lines were past the limit.
    pub logs_dropped: usize,
}

/// A call's input or output, cut to the history's limit. Shown as `{text, bytes, truncated}`:
/// the kept bytes as text (invalid UTF-8 replaced), the whole size, and whether it was cut.
#[derive(Clone, Debug)]
pub struct Payload {
    kept: Bytes,
    bytes: usize,
}

impl Payload {
    /// `data` cut to `max` bytes. The kept part is copied (sharing the call's buffer could pin
    /// a larger one it was sliced from: a record holds at most `max` bytes), but not decoded:
    /// the UTF-8 check waits until someone reads it.
    pub(crate) fn cut(data: &[u8], max: usize) -> Self {
        Self { kept: Bytes::copy_from_slice(&data[..data.len().min(max)]), bytes: data.len() }
    }

    /// The kept bytes as text; a character cut in half at the end is dropped.
    pub fn text(&self) -> String {
        let mut text = String::from_utf8_lossy(&self.kept).into_owned();
        if self.truncated()
            && std::str::from_utf8(&self.kept).is_err()
            && text.ends_with('\u{FFFD}')
        {
            text.pop();
        }
        text
    }

    /// The whole size, in bytes.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Whether only the beginning was kept.
    pub fn truncated(&self) -> bool {
        self.kept.len() < self.bytes
    }
}

impl Serialize for Payload {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut payload = serializer.serialize_struct("Payload", 3)?;
        payload.serialize_field("text", &self.text())?;
        payload.serialize_field("bytes", &self.bytes)?;
        payload.serialize_field("truncated", &self.truncated())?;
        payload.end()
    }
}

/// One line a guest logged during a call.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct LogLine {
    /// The call that logged it.
    pub call: u64,
    /// The function.
    pub function: Arc<str>,
    /// `error`, `warn`, `info`, `debug` or `trace`.
    pub level: &'static str,
    /// The message (cut to 8 KiB).
    pub message: String,
    /// Its structured fields, if any.
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// When, in milliseconds since the call started.
    pub at_ms: f64,
}

/// Formatted when shown, not when recorded: most records are never read.
fn rfc3339<S: Serializer>(time: &SystemTime, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&humantime::format_rfc3339_millis(*time))
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
        assert_eq!((payload.text().as_str(), payload.bytes(), payload.truncated()), ("h", 6, true));
        let whole = Payload::cut(b"{}", 10);
        assert_eq!((whole.text().as_str(), whole.truncated()), ("{}", false));
    }
}
