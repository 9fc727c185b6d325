//! Cron schedules: one tokio task per `type: schedule` hook of each loaded function.
//!
//! The [`Scheduler`] follows the registry: when a function is loaded, reloaded or unloaded it
//! starts the schedules that appeared and stops those that went. A schedule whose function is
//! only reloaded (same expression) keeps its task, so a reload never fires a run twice or
//! skips one. Unless the hook says `overlap: true`, a run that comes while the previous one
//! is still going is skipped (and logged). Times are UTC.
//!
//! With a shared store (PostgreSQL), every replica runs the same tasks, and each tick is
//! claimed in the database before it runs: exactly one replica runs it, no lock is held while
//! the function runs, and a replica that dies only loses the run it was making. A hook with
//! `catch_up: last` runs, at startup, the latest tick missed while no replica was up. The
//! overlap rule holds per replica.

use std::{
    collections::HashMap,
    sync::{
        Arc, Weak,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, SystemTime},
};

use bytes::Bytes;
use tokio::{sync::broadcast, task::JoinHandle};
use tower::ServiceExt;
use wasmfn_schema::{CatchUp, CronSchedule, Hook};

use crate::{
    invocation::{Invocation, Trigger},
    registry::FunctionRegistry,
    service::FunctionService,
    store::Store,
};

/// One run of a scheduled function, as [`Scheduler::subscribe`] reports it.
#[derive(Clone, Debug)]
pub struct ScheduledRun {
    /// The function.
    pub function: String,
    /// The schedule that fired.
    pub cron: String,
    /// The time the schedule said (the run starts right after).
    pub scheduled_at: SystemTime,
    /// The function's output, or its error.
    pub result: Result<Bytes, String>,
}

/// Runs the registry's scheduled functions until stopped, or until the registry is dropped.
/// Cheap to clone.
#[derive(Clone, Debug)]
pub struct Scheduler {
    runs: broadcast::Sender<ScheduledRun>,
    stop: Arc<tokio::sync::watch::Sender<bool>>,
}

/// A schedule as its task knows it; a task lives while its key is still wanted.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    function: String,
    cron: String,
    overlap: bool,
    catch_up: CatchUp,
}

impl Scheduler {
    /// Starts running the schedules of `registry`'s functions, on the current tokio runtime.
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub fn start(registry: &Arc<FunctionRegistry>) -> Self {
        Self::start_with(registry, Store::default())
    }

    /// Starts the schedules, claiming each tick in `store` before it runs.
    pub(crate) fn start_with(registry: &Arc<FunctionRegistry>, store: Store) -> Self {
        let (runs, _) = broadcast::channel(256);
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let context = Context { registry: Arc::downgrade(registry), store, runs: runs.clone() };
        tokio::spawn(supervise(context, registry.subscribe(), stopped));
        Self { runs, stop: Arc::new(stop) }
    }

    /// Every run from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<ScheduledRun> {
        self.runs.subscribe()
    }

    /// Stops every schedule; runs in progress finish.
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }
}

/// What every schedule's task shares.
#[derive(Clone)]
struct Context {
    registry: Weak<FunctionRegistry>,
    store: Store,
    runs: broadcast::Sender<ScheduledRun>,
}

async fn supervise(
    context: Context,
    mut changes: tokio::sync::watch::Receiver<u64>,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    let mut tasks: HashMap<Key, JoinHandle<()>> = HashMap::new();
    loop {
        let Some(strong) = context.registry.upgrade() else { break };
        let wanted = wanted_schedules(&strong);
        drop(strong);
        tasks.retain(|key, task| {
            let keep = wanted.contains_key(key);
            if !keep {
                tracing::info!(function = %key.function, cron = %key.cron, "schedule stopped");
                task.abort();
            }
            keep
        });
        for (key, cron) in wanted {
            if let std::collections::hash_map::Entry::Vacant(slot) = tasks.entry(key) {
                let key = slot.key().clone();
                tracing::info!(function = %key.function, cron = %key.cron, "schedule started");
                slot.insert(tokio::spawn(run_schedule(key, cron, context.clone())));
            }
        }
        tokio::select! {
            changed = changes.changed() => if changed.is_err() { break },
            _ = stopped.changed() => break,
        }
    }
    for task in tasks.into_values() {
        task.abort();
    }
}

fn wanted_schedules(registry: &FunctionRegistry) -> HashMap<Key, CronSchedule> {
    let schedules = super::loaded_hooks(registry).into_iter().filter_map(|(function, hook)| {
        let Hook::Schedule(schedule) = hook else { return None };
        let key = Key {
            function,
            cron: schedule.cron.as_str().to_owned(),
            overlap: schedule.overlap,
            catch_up: schedule.catch_up,
        };
        Some((key, schedule.cron))
    });
    schedules.collect()
}

async fn run_schedule(key: Key, cron: CronSchedule, context: Context) {
    let running = Arc::new(AtomicBool::new(false));
    if key.catch_up == CatchUp::Last
        && let Some(missed) = cron.previous_at_or_before(SystemTime::now())
    {
        match context.store.claim_missed_tick(&key.function, &key.cron, missed).await {
            Ok(true) => {
                tracing::info!(function = %key.function, cron = %key.cron, "catching up a missed run");
                running.store(true, Ordering::Release);
                start_run(&key, missed, &context, &running);
            }
            Ok(false) => {}
            Err(error) => {
                tracing::warn!(function = %key.function, "cannot check for missed runs: {error}")
            }
        }
    }
    while let Some(at) = cron.next_after(SystemTime::now()) {
        let wait = at.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO);
        tokio::time::sleep(wait).await;
        if !key.overlap && running.swap(true, Ordering::AcqRel) {
            tracing::warn!(function = %key.function, cron = %key.cron, "skipped a run: the previous one is still going");
            continue;
        }
        match context.store.claim_tick(&key.function, &key.cron, at).await {
            Ok(true) => start_run(&key, at, &context, &running),
            Ok(false) => {
                tracing::debug!(function = %key.function, cron = %key.cron, "another replica runs this tick");
                running.store(false, Ordering::Release);
            }
            Err(error) => {
                tracing::error!(function = %key.function, cron = %key.cron, "skipped a run: cannot claim it: {error}");
                running.store(false, Ordering::Release);
            }
        }
        if context.registry.strong_count() == 0 {
            return;
        }
    }
}

/// The call of `function` for the tick of `cron` due `at`.
pub(crate) fn invocation(function: &str, cron: &str, at: SystemTime) -> Invocation {
    let input = serde_json::json!({
        "type": "schedule",
        "cron": cron,
        "scheduled_at": humantime::format_rfc3339_millis(at).to_string(),
    });
    Invocation::json(function, &input).with_trigger(Trigger::Schedule)
}

/// Runs the tick `at` in the background; `running` is cleared when it ends.
fn start_run(key: &Key, at: SystemTime, context: &Context, running: &Arc<AtomicBool>) {
    running.store(true, Ordering::Release);
    let Some(registry) = context.registry.upgrade() else { return };
    let (key, running, runs) = (key.clone(), Arc::clone(running), context.runs.clone());
    tokio::spawn(async move {
        let call = invocation(&key.function, &key.cron, at);
        let result = FunctionService::new(registry).oneshot(call).await;
        running.store(false, Ordering::Release);
        if let Err(error) = &result {
            tracing::error!(function = %key.function, cron = %key.cron, "scheduled run failed: {error}");
        }
        let _ = runs.send(ScheduledRun {
            function: key.function,
            cron: key.cron,
            scheduled_at: at,
            result: result.map_err(|e| e.to_string()),
        });
    });
}
