//! The relay: on every replica sharing a PostgreSQL store, a task that claims due jobs
//! (`FOR UPDATE SKIP LOCKED`, under a lease it renews while the calls run), calls their
//! functions through the same [`FunctionService`](crate::FunctionService), and records the
//! outcome. `NOTIFY` wakes it when a job is queued; it also polls, for notifications lost
//! while the connection was down. When the database cannot be reached it waits and tries
//! again (backing off up to 5 s); jobs stay in the table meanwhile, so nothing is lost.

use std::{
    sync::{Arc, Weak},
    time::{Duration, Instant, SystemTime},
};

use serde_json::Value;
use tokio::{sync::broadcast, task::JoinSet};
use wasmfn_schema::DatabaseAction;

use super::{
    DbEvent, HookDelivery, RetryPolicy,
    jobs::{call, error_json, log_failure, retry_after},
};
use crate::{
    invocation::Trigger,
    registry::FunctionRegistry,
    store::{Claimed, PgStore},
};

/// How the relay claims and waits.
///
/// ```
/// use std::time::Duration;
/// use wasmfn::triggers::RelayOptions;
///
/// let relay = RelayOptions::default().with_poll_interval(Duration::from_secs(5));
/// assert_eq!(relay.poll_interval(), Duration::from_secs(5));
/// ```
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct RelayOptions {
    enabled: bool,
    concurrency: u32,
    lease: Duration,
    poll_interval: Duration,
    notify: bool,
}

impl Default for RelayOptions {
    fn default() -> Self {
        Self {
            enabled: true,
            concurrency: 16,
            lease: Duration::from_secs(10),
            poll_interval: Duration::from_secs(1),
            notify: true,
        }
    }
}

impl RelayOptions {
    /// Whether this replica delivers queued calls at all (default yes). A replica that only
    /// emits (a web tier beside workers) turns it off.
    pub fn with_enabled(mut self, enabled: bool) -> Self {
        self.enabled = enabled;
        self
    }

    /// Calls one replica runs at once (default 16).
    pub fn with_concurrency(mut self, calls: u32) -> Self {
        self.concurrency = calls.max(1);
        self
    }

    /// How long a claimed job stays this replica's without a renewal (default 10 s): the time
    /// before another replica takes over the jobs of one that died. Renewed every third of it.
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_millis(300));
        self
    }

    /// How often the table is checked when no notification came (default 1 s).
    pub fn with_poll_interval(mut self, every: Duration) -> Self {
        self.poll_interval = every.max(Duration::from_millis(10));
        self
    }

    /// Whether `LISTEN`/`NOTIFY` wakes the relay (default yes; without it, only polling).
    pub fn with_notify(mut self, notify: bool) -> Self {
        self.notify = notify;
        self
    }

    /// Whether this replica delivers queued calls.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Calls one replica runs at once.
    pub fn concurrency(&self) -> u32 {
        self.concurrency
    }

    /// The lease.
    pub fn lease(&self) -> Duration {
        self.lease
    }

    /// The polling interval.
    pub fn poll_interval(&self) -> Duration {
        self.poll_interval
    }
}

/// What the relay needs, beside the store.
pub(crate) struct Relay {
    pub(crate) registry: Weak<FunctionRegistry>,
    pub(crate) store: PgStore,
    pub(crate) retry: RetryPolicy,
    pub(crate) options: RelayOptions,
    pub(crate) deliveries: broadcast::Sender<HookDelivery>,
}

impl Relay {
    /// Runs until the registry is dropped.
    pub(crate) async fn run(self) {
        let this = Arc::new(self);
        let mut calls: JoinSet<()> = JoinSet::new();
        let mut listener = None;
        let mut failures = 0u32;
        let mut renewed = Instant::now();
        let mut forgotten = Instant::now();
        // Claims come in batches of at least this many (or whatever is free when idle): one
        // query per freed slot would make the claim loop the bottleneck.
        let batch = (this.options.concurrency / 4).max(1);
        loop {
            if this.registry.strong_count() == 0 {
                return;
            }
            if this.options.notify && listener.is_none() {
                listener = this.store.listen().await.ok();
            }
            // Leases: ours renewed, abandoned last tries buried; old webhook signatures
            // forgotten. Now and then, not per claim.
            if renewed.elapsed() >= this.options.lease / 3 {
                renewed = Instant::now();
                if !calls.is_empty()
                    && let Err(error) = this.store.renew_leases(this.options.lease).await
                {
                    tracing::warn!("cannot renew job leases: {error}");
                }
                let _ = this.store.bury_abandoned().await;
            }
            if forgotten.elapsed() >= Duration::from_secs(60) {
                forgotten = Instant::now();
                let _ = this.store.forget_expired().await;
            }
            let free = this.options.concurrency.saturating_sub(calls.len() as u32);
            let wait = if free == 0 || (free < batch && !calls.is_empty()) {
                // Wait for calls to end (or a notification) and claim a batch then.
                this.options.poll_interval
            } else {
                match this.store.claim(free, this.options.lease).await {
                    Ok(jobs) => {
                        if failures > 0 {
                            tracing::info!("the trigger database is reachable again");
                            failures = 0;
                        }
                        let full = jobs.len() as u32 == free;
                        for job in jobs {
                            let this = Arc::clone(&this);
                            calls.spawn(async move { this.deliver(job).await });
                        }
                        if full {
                            continue;
                        }
                        self_wait(&this).await
                    }
                    Err(error) => {
                        failures += 1;
                        if failures == 1 {
                            tracing::error!(
                                "the trigger database cannot be reached: {error}; retrying"
                            );
                        }
                        listener = None;
                        Duration::from_millis(100 << failures.min(6)).min(Duration::from_secs(5))
                    }
                }
            };
            let renew_in = this.options.lease / 3;
            let wait = if calls.is_empty() { wait } else { wait.min(renew_in) };
            tokio::select! {
                // A notification, or the connection failed (then the poll covers what was missed).
                woken = async { listener.as_mut()?.recv().await.ok() }, if listener.is_some() => {
                    if woken.is_none() { listener = None }
                }
                Some(_) = calls.join_next(), if !calls.is_empty() => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    async fn deliver(&self, job: Claimed) {
        let Some(registry) = self.registry.upgrade() else { return };
        let trigger = if job.trigger == "database" { Trigger::Database } else { Trigger::Http };
        let input = match (trigger, job.event_id, job.input) {
            // The event's id (the same for every try and every replica: an idempotency key)
            // and which try this is.
            (Trigger::Database, Some(event_id), Value::Object(mut input)) => {
                input.insert("id".into(), event_id.to_string().into());
                input.insert("try".into(), job.tries.into());
                Value::Object(input)
            }
            (_, _, input) => input,
        };
        let result = call(&registry, &job.function, trigger, &input).await.map_err(Arc::new);
        if trigger == Trigger::Database
            && let Some(event) = event_of(&input)
        {
            let _ = self.deliveries.send(HookDelivery {
                function: job.function.clone(),
                event,
                attempt: job.tries,
                result: result.clone(),
            });
        }
        if result.is_ok() {
            crate::metrics::delivered(&job.function, trigger, "ok");
        }
        let outcome = result.map_err(|error| {
            let retry_in = retry_after(&self.retry, job.tries, job.max_tries, &error);
            log_failure(&job.function, trigger, &job.id, job.tries, &error, retry_in);
            (error_json(&error), retry_in)
        });
        // The outcome must be written: keep trying while the database is away (the lease
        // would otherwise hand the job to another replica, which is also fine: at least once).
        let mut wait = Duration::from_millis(100);
        let started = Instant::now();
        while let Err(error) = self.store.finish(&job.id, job.tries, outcome.clone()).await {
            if started.elapsed() > self.options.lease {
                tracing::warn!(job = %job.id, "cannot record the job's outcome: {error}");
                return;
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_secs(2));
        }
    }
}

/// How long to wait for new work: until the next retry or lease is due, at most the polling
/// interval.
async fn self_wait(relay: &Relay) -> Duration {
    let poll = relay.options.poll_interval;
    match relay.store.next_due().await {
        // Not zero: a due job another replica holds for a moment must not make this spin.
        Ok(Some(at)) => at
            .duration_since(SystemTime::now())
            .unwrap_or_default()
            .clamp(Duration::from_millis(10), poll),
        _ => poll,
    }
}

/// The event a database job's input describes.
fn event_of(input: &Value) -> Option<DbEvent> {
    let action: DatabaseAction = serde_json::from_value(input.get("action")?.clone()).ok()?;
    Some(DbEvent {
        table: input.get("table")?.as_str()?.to_owned(),
        action,
        old: input.get("old").filter(|v| !v.is_null()).cloned(),
        new: input.get("new").filter(|v| !v.is_null()).cloned(),
    })
}
