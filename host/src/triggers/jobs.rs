//! Queued calls, made at least once: asynchronous calls (`Prefer: respond-async`,
//! [`Jobs::enqueue`]) and, with PostgreSQL, database events' deliveries.
//!
//! A try that fails in a way that may pass (5xx: timeout, overload, a crash) is retried after
//! the [`RetryPolicy`]'s backoff, doubling each time; a refusal (4xx) or the last try's failure
//! leaves the job **dead**: kept, listed by [`Jobs::dead`], and queued again by
//! [`Jobs::redrive`]. In memory, jobs run in this process and are forgotten on restart; with
//! PostgreSQL any replica may run them (see the relay).

use std::{sync::Arc, time::Duration};

use serde_json::Value;
use tower::ServiceExt;

use super::RetryPolicy;
use crate::{
    invocation::{Invocation, Trigger},
    json,
    registry::FunctionRegistry,
    runtime::error::InvokeError,
    service::FunctionService,
    store::{Job, JobState, MemoryStore, NewJob, Store, StoreError},
};

/// The longest wait between two tries, however many failed.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);

/// Why a call could not be queued.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JobError {
    /// The call itself is wrong: no such function, or the input is not JSON.
    #[error(transparent)]
    Invoke(#[from] InvokeError),
    /// The store could not take it.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Queues calls and reads what became of them. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Jobs {
    registry: Arc<FunctionRegistry>,
    store: Store,
    retry: RetryPolicy,
}

impl Jobs {
    pub(crate) fn new(registry: Arc<FunctionRegistry>, store: Store, retry: RetryPolicy) -> Self {
        Self { registry, store, retry }
    }

    /// Queues a call of `function` with `input` (JSON bytes; empty means `null`) and returns
    /// the job at once; the call runs soon, on this replica or another.
    pub async fn enqueue(&self, function: &str, input: &[u8]) -> Result<Job, JobError> {
        if self.registry.get(function).is_none() {
            return Err(InvokeError::NotFound { function: function.to_owned() }.into());
        }
        let input: Value = if input.iter().all(u8::is_ascii_whitespace) {
            Value::Null
        } else {
            json::check(input, Some(json::MAX_DEPTH))
                .and_then(|()| serde_json::from_slice(input).map_err(|e| e.to_string()))
                .map_err(|message| InvokeError::InvalidInput {
                    function: function.to_owned(),
                    message,
                })?
        };
        let new = NewJob {
            function: function.to_owned(),
            trigger: Trigger::Http,
            input,
            max_tries: self.retry.attempts(),
        };
        match &self.store {
            Store::Memory(memory) => {
                let job = memory.insert(&new, None);
                let (this, memory, id) = (self.clone(), Arc::clone(memory), job.id.clone());
                tokio::spawn(async move { this.run_in_memory(&memory, id, new).await });
                Ok(job)
            }
            #[cfg(feature = "postgres")]
            Store::Postgres(pg) => Ok(pg.enqueue(&new).await?),
        }
    }

    /// The job `id`: its state, tries, output or last error.
    pub async fn get(&self, id: &str) -> Result<Option<Job>, StoreError> {
        self.store.job(id).await
    }

    /// Dead jobs, oldest first, at most `limit`.
    pub async fn dead(&self, limit: u32) -> Result<Vec<Job>, StoreError> {
        self.store.dead_jobs(limit).await
    }

    /// Queues a dead job again, its tries reset: true if `id` was dead. (In memory, jobs keep
    /// no input once dead, so only PostgreSQL jobs can be re-driven.)
    #[cfg_attr(not(feature = "postgres"), allow(unused_variables))]
    pub async fn redrive(&self, id: &str) -> Result<bool, StoreError> {
        match &self.store {
            Store::Memory(_) => Ok(false),
            #[cfg(feature = "postgres")]
            Store::Postgres(pg) => pg.redrive(id).await,
        }
    }

    /// The store as `GET /api/health` reports it: `memory`, `ok` (PostgreSQL, reachable at
    /// the last try) or `unreachable`.
    pub fn store_status(&self) -> &'static str {
        match &self.store {
            Store::Memory(_) => "memory",
            #[cfg(feature = "postgres")]
            Store::Postgres(pg) if pg.is_unreachable() => "unreachable",
            #[cfg(feature = "postgres")]
            Store::Postgres(_) => "ok",
        }
    }

    async fn run_in_memory(&self, memory: &MemoryStore, id: String, job: NewJob) {
        for tries in 1..=job.max_tries {
            memory.update(&id, JobState::Running, tries, None, None);
            let result = call(&self.registry, &job.function, job.trigger, &job.input).await;
            match result {
                Ok(output) => {
                    crate::metrics::delivered(&job.function, job.trigger, "ok");
                    return memory.update(&id, JobState::Done, tries, Some(output), None);
                }
                Err(error) => {
                    let retry_in = retry_after(&self.retry, tries, job.max_tries, &error);
                    let state = if retry_in.is_some() { JobState::Pending } else { JobState::Dead };
                    log_failure(&job.function, job.trigger, &id, tries, &error, retry_in);
                    memory.update(&id, state, tries, None, Some(error_json(&error)));
                    match retry_in {
                        Some(wait) => tokio::time::sleep(wait).await,
                        None => return,
                    }
                }
            }
        }
    }
}

/// One try: the function's output as JSON, or its error.
pub(crate) async fn call(
    registry: &Arc<FunctionRegistry>,
    function: &str,
    trigger: Trigger,
    input: &Value,
) -> Result<Value, InvokeError> {
    let invocation = Invocation::json(function, input).with_trigger(trigger);
    let output = FunctionService::new(Arc::clone(registry)).oneshot(invocation).await?;
    serde_json::from_slice(&output).map_err(|e| InvokeError::InvalidOutput {
        function: function.to_owned(),
        message: e.to_string(),
    })
}

/// How long to wait before retrying after try `tries` failed with `error`, or `None` when the
/// job is dead: the function refused it (4xx), or it was the last try.
pub(crate) fn retry_after(
    retry: &RetryPolicy,
    tries: u32,
    max_tries: u32,
    error: &InvokeError,
) -> Option<Duration> {
    if tries >= max_tries || !error.status().is_server_error() {
        return None;
    }
    let doublings = tries.saturating_sub(1).min(20);
    Some(retry.backoff().saturating_mul(1 << doublings).min(MAX_BACKOFF))
}

/// A failure as a job keeps it: `{ code, message, status }` (the message as a client sees it).
pub(crate) fn error_json(error: &InvokeError) -> Value {
    serde_json::json!({
        "code": error.code(),
        "message": error.public_message(),
        "status": error.status().as_u16(),
    })
}

/// Logs and counts a failed try of a queued call (`trigger`: what queued it).
pub(crate) fn log_failure(
    function: &str,
    trigger: Trigger,
    job: &str,
    tries: u32,
    error: &InvokeError,
    retry_in: Option<Duration>,
) {
    let result = if retry_in.is_some() { "retry" } else { "dead" };
    crate::metrics::delivered(function, trigger, result);
    match retry_in {
        Some(wait) => tracing::warn!(
            function,
            job,
            tries,
            "queued call failed, retrying in {}: {error}",
            humantime::format_duration(wait)
        ),
        None => {
            tracing::error!(function, job, tries, "queued call failed for good (dead): {error}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_doubling_until_the_last_try_and_never_for_refusals() {
        let retry = RetryPolicy::default().with_attempts(4).with_backoff(Duration::from_secs(1));
        let timeout =
            InvokeError::Timeout { function: "f".into(), timeout: Duration::from_secs(1) };
        let waits: Vec<_> = (1..=4).map(|tries| retry_after(&retry, tries, 4, &timeout)).collect();
        let secs = |s| Some(Duration::from_secs(s));
        assert_eq!(waits, [secs(1), secs(2), secs(4), None]);
        let refused = InvokeError::InvalidInput { function: "f".into(), message: "no".into() };
        assert_eq!(retry_after(&retry, 1, 4, &refused), None);
        assert_eq!(retry_after(&retry, 200, 1000, &timeout), Some(MAX_BACKOFF));
    }
}
