//! The call history: a bounded ring of each function's recent calls (when, from which trigger,
//! how long, the outcome, the input and output cut to a few KiB, and the call's guest logs),
//! and a live feed of calls and log lines as they happen. Off unless the host turns it on
//! ([`FunctionsBuilder::with_call_history`](crate::FunctionsBuilder::with_call_history); on in
//! `wasmfn dev`); a manifest's `history: redacted | off` keeps a function's data out of it.
//!
//! It holds what functions were given and what they answered: serve it (`GET /api/calls`,
//! `GET /api/functions/{name}/calls`) only to whom may see that.

mod capture;
mod record;

use std::{
    borrow::Cow,
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};

use bytes::Bytes;
use tokio::sync::broadcast;
use wasmfn_schema::manifest::History;

pub(crate) use self::capture::Capture;
pub use self::record::{CallRecord, HistoryEvent, LogLine, Payload};
use crate::invocation::Trigger;

/// How much the call history keeps.
///
/// ```
/// use wasmfn::history::HistoryOptions;
///
/// let options = HistoryOptions::default().with_calls_per_function(20).with_max_payload(1024);
/// assert_eq!(options.calls_per_function(), 20);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct HistoryOptions {
    calls_per_function: usize,
    max_payload: usize,
    max_logs_per_call: usize,
}

impl Default for HistoryOptions {
    fn default() -> Self {
        Self { calls_per_function: 50, max_payload: 4 * 1024, max_logs_per_call: 16 * 1024 }
    }
}

impl HistoryOptions {
    /// How many calls are kept per function, the oldest dropped first (default 50).
    pub fn with_calls_per_function(mut self, calls: usize) -> Self {
        self.calls_per_function = calls.max(1);
        self
    }

    /// How many bytes of a call's input and of its output are kept (default 4 KiB each).
    pub fn with_max_payload(mut self, bytes: usize) -> Self {
        self.max_payload = bytes;
        self
    }

    /// How many bytes of log messages are kept per call (default 16 KiB); the live feed gets
    /// the same lines.
    pub fn with_max_logs_per_call(mut self, bytes: usize) -> Self {
        self.max_logs_per_call = bytes;
        self
    }

    /// How many calls are kept per function.
    pub fn calls_per_function(&self) -> usize {
        self.calls_per_function
    }
}

/// The recent calls of every function, and the live feed. Cheap to clone; `off()` (the
/// default) records nothing and costs one branch per call.
///
/// ```
/// use wasmfn::history::{CallHistory, HistoryOptions};
///
/// let history = CallHistory::new(HistoryOptions::default());
/// assert!(history.is_on());
/// assert!(history.calls(Some("hello"), 10).is_empty());
/// assert!(!CallHistory::off().is_on());
/// ```
#[derive(Clone, Debug, Default)]
pub struct CallHistory {
    inner: Option<Arc<Inner>>,
}

#[derive(Debug)]
struct Inner {
    options: HistoryOptions,
    rings: Mutex<HashMap<Arc<str>, VecDeque<CallRecord>>>,
    live: broadcast::Sender<HistoryEvent>,
}

/// How many events a slow reader of the live feed may fall behind before it misses some.
const LIVE_CAPACITY: usize = 1024;

impl CallHistory {
    /// A history keeping what `options` say.
    pub fn new(options: HistoryOptions) -> Self {
        let (live, _) = broadcast::channel(LIVE_CAPACITY);
        Self { inner: Some(Arc::new(Inner { options, rings: Mutex::default(), live })) }
    }

    /// No history.
    pub fn off() -> Self {
        Self::default()
    }

    /// Whether calls are recorded.
    pub fn is_on(&self) -> bool {
        self.inner.is_some()
    }

    /// The newest `limit` calls of `function` (of every function when `None`), newest first.
    pub fn calls(&self, function: Option<&str>, limit: usize) -> Vec<CallRecord> {
        let Some(inner) = &self.inner else { return Vec::new() };
        let rings = inner.rings.lock().unwrap_or_else(|e| e.into_inner());
        let mut calls: Vec<&CallRecord> = match function {
            Some(function) => rings.get(function).into_iter().flatten().collect(),
            None => rings.values().flatten().collect(),
        };
        // Ids grow with time: newest first is highest first.
        calls.sort_unstable_by_key(|call| std::cmp::Reverse(call.id));
        // Copied out (reads are rare; every call writes one).
        calls.into_iter().take(limit).cloned().collect()
    }

    /// Every call and log line from now on (`None` when the history is off). A reader more
    /// than 1024 events behind misses the oldest (`RecvError::Lagged`).
    pub fn subscribe(&self) -> Option<broadcast::Receiver<HistoryEvent>> {
        self.inner.as_ref().map(|inner| inner.live.subscribe())
    }

    /// Starts recording call `id` of `function` (`None` when nothing is to be kept).
    pub(crate) fn begin(
        &self,
        function: &Arc<str>,
        mode: History,
        id: u64,
        trigger: Trigger,
        input: &Bytes,
    ) -> Option<Recording> {
        let inner = self.inner.as_ref()?;
        let full = match mode {
            History::Off => return None,
            History::Full => true,
            _ => false,
        };
        let function = Arc::clone(function);
        let capture = match full {
            true => Capture::new(id, Arc::clone(&function), &inner.live, inner.options),
            false => Capture::default(),
        };
        Some(Recording {
            inner: Arc::clone(inner),
            function,
            id,
            trigger,
            full,
            input: full.then(|| Payload::cut(input, inner.options.max_payload)),
            started_at: SystemTime::now(),
            capture,
        })
    }
}

/// One call being recorded: finished by [`Recording::finish`] once its outcome is known.
pub(crate) struct Recording {
    inner: Arc<Inner>,
    function: Arc<str>,
    id: u64,
    trigger: Trigger,
    full: bool,
    input: Option<Payload>,
    started_at: SystemTime,
    capture: Capture,
}

/// How a call ended, as the history keeps it: its output, or its error's code and message.
pub(crate) type Outcome<'a> = Result<&'a Bytes, (&'a str, String)>;

impl Recording {
    /// Where the call's guest logs go.
    pub(crate) fn capture(&self) -> &Capture {
        &self.capture
    }

    /// Keeps the call in its function's ring and tells the live feed.
    pub(crate) fn finish(self, outcome: Outcome<'_>, duration: Duration) {
        let (logs, logs_dropped) = self.capture.take();
        let (outcome, error, output) = match outcome {
            Ok(output) => (
                Cow::Borrowed("ok"),
                None,
                self.full.then(|| Payload::cut(output, self.max_payload())),
            ),
            Err((code, message)) => (Cow::Owned(code.to_owned()), Some(message), None),
        };
        let record = CallRecord {
            id: self.id,
            function: Arc::clone(&self.function),
            trigger: self.trigger.as_str(),
            started_at: self.started_at,
            duration_ms: duration.as_secs_f64() * 1000.0,
            outcome,
            error,
            redacted: !self.full,
            input: self.input,
            output,
            logs,
            logs_dropped,
        };
        // Only a listener gets a copy.
        if self.inner.live.receiver_count() > 0 {
            let _ = self.inner.live.send(HistoryEvent::Call(Arc::new(record.clone())));
        }
        let mut rings = self.inner.rings.lock().unwrap_or_else(|e| e.into_inner());
        let ring = rings.entry(self.function).or_default();
        if ring.len() >= self.inner.options.calls_per_function {
            ring.pop_front();
        }
        ring.push_back(record);
    }

    fn max_payload(&self) -> usize {
        self.inner.options.max_payload
    }
}
