//! [`Capture`]: where one call's guest log lines go besides `tracing`: kept for the call's
//! record (up to a byte budget) and sent to the live feed as they are written.

use std::{
    sync::{Arc, Mutex},
    time::Instant,
};

use tokio::sync::broadcast;

use super::{HistoryEvent, HistoryOptions, LogLine};

/// A running call's log sink. The default captures nothing (history off or redacted).
#[derive(Clone, Debug, Default)]
pub(crate) struct Capture(Option<Arc<Inner>>);

#[derive(Debug)]
struct Inner {
    call: u64,
    function: Arc<str>,
    started: Instant,
    budget: usize,
    live: broadcast::Sender<HistoryEvent>,
    kept: Mutex<Kept>,
}

#[derive(Debug, Default)]
struct Kept {
    lines: Vec<LogLine>,
    bytes: usize,
    dropped: usize,
}

impl Capture {
    pub(super) fn new(
        call: u64,
        function: Arc<str>,
        live: &broadcast::Sender<HistoryEvent>,
        options: HistoryOptions,
    ) -> Self {
        Self(Some(Arc::new(Inner {
            call,
            function,
            started: Instant::now(),
            budget: options.max_logs_per_call,
            live: live.clone(),
            kept: Mutex::default(),
        })))
    }

    /// Records a line the call logged (once the guest's own budget admitted it).
    pub(crate) fn log(
        &self,
        level: &str,
        message: &str,
        fields: &serde_json::Map<String, serde_json::Value>,
    ) {
        let Some(inner) = &self.0 else { return };
        let mut kept = inner.kept.lock().unwrap_or_else(|e| e.into_inner());
        if kept.bytes + message.len() > inner.budget {
            kept.dropped += 1;
            return;
        }
        kept.bytes += message.len();
        let line = LogLine {
            call: inner.call,
            function: Arc::clone(&inner.function),
            level: match level {
                "error" => "error",
                "warn" => "warn",
                "debug" => "debug",
                "trace" => "trace",
                _ => "info",
            },
            message: message.to_owned(),
            fields: fields.clone(),
            at_ms: inner.started.elapsed().as_secs_f64() * 1000.0,
        };
        // Only a listener gets a copy.
        if inner.live.receiver_count() > 0 {
            let _ = inner.live.send(HistoryEvent::Log(Arc::new(line.clone())));
        }
        kept.lines.push(line);
    }

    /// The lines kept, and how many were not.
    pub(super) fn take(&self) -> (Vec<LogLine>, usize) {
        let Some(inner) = &self.0 else { return (Vec::new(), 0) };
        let mut kept = inner.kept.lock().unwrap_or_else(|e| e.into_inner());
        (std::mem::take(&mut kept.lines), kept.dropped)
    }
}
