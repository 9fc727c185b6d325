//! [`Job`]: one call to make at least once (a database event's delivery to one function, or
//! an asynchronous call), as the store keeps it.

use std::time::SystemTime;

use serde::{Serialize, Serializer};
use serde_json::Value;

/// Where a job is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    /// Waiting for its first try, or for a retry.
    Pending,
    /// A replica is calling the function.
    Running,
    /// The function answered.
    Done,
    /// Every try failed, or the function refused it (a 4xx): kept for inspection and
    /// re-driving.
    Dead,
}

impl JobState {
    /// The state as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Done => "done",
            Self::Dead => "dead",
        }
    }

    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) fn parse(state: &str) -> Self {
        match state {
            "running" => Self::Running,
            "done" => Self::Done,
            "dead" => Self::Dead,
            _ => Self::Pending,
        }
    }
}

/// A queued call and what became of it (`GET /api/jobs/{id}`).
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct Job {
    /// An unguessable id (a UUID): who has it may read the result.
    pub id: String,
    /// The function called.
    pub function: String,
    /// `database` (an event's delivery) or `http` (an asynchronous call).
    pub trigger: String,
    /// Where it is.
    pub state: JobState,
    /// Tries so far.
    pub tries: u32,
    /// Tries before it is dead.
    pub max_tries: u32,
    /// The database event it delivers, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// The function's output, once done.
    pub output: Option<Value>,
    /// The last failure: `{ code, message, status }`.
    pub error: Option<Value>,
    /// When it was queued.
    #[serde(serialize_with = "rfc3339")]
    pub created_at: SystemTime,
    /// When it last changed.
    #[serde(serialize_with = "rfc3339")]
    pub updated_at: SystemTime,
}

fn rfc3339<S: Serializer>(time: &SystemTime, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&humantime::format_rfc3339_millis(*time))
}

/// A job to queue.
#[derive(Clone, Debug)]
pub(crate) struct NewJob {
    pub(crate) function: String,
    pub(crate) trigger: crate::invocation::Trigger,
    pub(crate) input: Value,
    pub(crate) max_tries: u32,
}
