//! The pool: each slot on a thread of its own, taking calls from the function's queue.
//!
//! A slot's thread goes from one call to the next without parking while calls are queued (and
//! looks for the next one for a few microseconds before it parks); tokio's blocking pool,
//! behind a semaphore, parked one thread and woke another for every call (about four context
//! switches per request; see docs/benchmarks.md). Threads start on
//! demand, up to the pool size, and end with the function's version (when the queue's sender
//! goes).
//!
//! Who owns a queued call is settled by its [`Ticket`]: the slot that starts it, or the caller
//! that gave up waiting (`overloaded`), whichever comes first.

use std::{
    panic::AssertUnwindSafe,
    sync::{
        Arc,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use bytes::Bytes;
use crossbeam_channel::{Receiver, Sender, TryRecvError};
use tokio::sync::oneshot;

use super::{Shared, slot::Slot};
use crate::{history::Capture, host_api::CallApi, runtime::error::InvokeError};

/// Indexes of [`FunctionMetrics::slots`](crate::metrics::FunctionMetrics).
const BUSY: usize = 0;
const IDLE: usize = 1;

/// A call waiting for, or running in, a slot.
pub(super) struct Job {
    pub(super) input: Bytes,
    pub(super) api: CallApi,
    pub(super) capture: Capture,
    /// The caller's span, entered on the slot's thread (the guest's logs belong to it).
    pub(super) span: tracing::Span,
    pub(super) ticket: Arc<Ticket>,
    pub(super) reply: oneshot::Sender<Result<Bytes, InvokeError>>,
}

/// When a queued call started, or that its caller gave up on it.
pub(super) struct Ticket {
    queued: Instant,
    /// 0: waiting; [`ABANDONED`]; else nanoseconds from `queued` to the start, plus one.
    state: AtomicU64,
}

const ABANDONED: u64 = u64::MAX;

impl Ticket {
    pub(super) fn new() -> Self {
        Self { queued: Instant::now(), state: AtomicU64::new(0) }
    }

    pub(super) fn queued(&self) -> Instant {
        self.queued
    }

    /// The slot takes the call, unless its caller gave up; returns how long it waited.
    fn start(&self) -> Option<Duration> {
        let waited = self.queued.elapsed();
        let nanos = u64::try_from(waited.as_nanos()).unwrap_or(ABANDONED - 1).min(ABANDONED - 2);
        self.state.compare_exchange(0, nanos + 1, Ordering::AcqRel, Ordering::Acquire).ok()?;
        Some(waited)
    }

    /// When the call started, if it did.
    pub(super) fn started(&self) -> Option<Instant> {
        match self.state.load(Ordering::Acquire) {
            0 | ABANDONED => None,
            nanos => Some(self.queued + Duration::from_nanos(nanos - 1)),
        }
    }

    /// The caller gives up, unless a slot started the call first (then `false`).
    pub(super) fn abandon(&self) -> bool {
        self.state.compare_exchange(0, ABANDONED, Ordering::AcqRel, Ordering::Acquire).is_ok()
    }
}

/// The queue and the threads serving it.
pub(super) struct SlotPool {
    jobs: Sender<Job>,
    threads: Arc<Threads>,
}

/// What the threads share with the pool.
struct Threads {
    jobs: Receiver<Job>,
    size: usize,
    /// Threads running (including one still creating its slot).
    running: AtomicUsize,
    /// Threads not running a call: a call starts a thread when more calls wait than this.
    idle: AtomicUsize,
}

impl SlotPool {
    /// A pool of up to `size` slots, the first (`first`, made at load) on its thread already.
    pub(super) fn new(shared: &Arc<Shared>, first: Slot, size: usize) -> std::io::Result<Self> {
        let (jobs, receiver) = crossbeam_channel::unbounded();
        let threads = Arc::new(Threads {
            jobs: receiver,
            size: size.max(1),
            running: AtomicUsize::new(0),
            idle: AtomicUsize::new(0),
        });
        let pool = Self { jobs, threads };
        pool.spawn(shared, Some(first))?;
        Ok(pool)
    }

    /// Queues `job`, starting a thread for it when more calls wait than threads are idle and
    /// the pool is not full.
    pub(super) fn submit(&self, shared: &Arc<Shared>, job: Job) {
        if self.jobs.len() >= self.threads.idle.load(Ordering::Acquire)
            && let Err(error) = self.spawn(shared, None)
        {
            tracing::warn!(function = %shared.function, %error, "cannot start a slot's thread");
        }
        // The receiver lives as long as the pool (the threads hold it through `Threads`).
        let _ = self.jobs.send(job);
    }

    /// Starts a thread for `slot` (or for a new slot it compiles), if the pool has room.
    fn spawn(&self, shared: &Arc<Shared>, slot: Option<Slot>) -> std::io::Result<()> {
        let threads = &self.threads;
        let room = threads.running.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < threads.size).then_some(n + 1)
        });
        if room.is_err() {
            return Ok(());
        }
        threads.idle.fetch_add(1, Ordering::AcqRel);
        let (shared, threads) = (Arc::clone(shared), Arc::clone(&self.threads));
        let started = std::thread::Builder::new()
            // What `top -H` shows (Linux keeps 15 bytes): which function a busy thread runs.
            .name(format!("fn:{}", shared.function))
            .spawn(move || serve(&shared, &threads, slot));
        if let Err(error) = started {
            self.threads.idle.fetch_sub(1, Ordering::AcqRel);
            self.threads.running.fetch_sub(1, Ordering::AcqRel);
            return Err(error);
        }
        Ok(())
    }
}

/// A slot's thread: takes calls until the function's version goes.
fn serve(shared: &Shared, threads: &Threads, slot: Option<Slot>) {
    let metrics = &shared.metrics;
    let slot = match slot {
        Some(slot) => Some(slot),
        None => Slot::new(&shared.module)
            .inspect(|_| metrics.instances_created.increment(1))
            .inspect_err(|e| {
                tracing::warn!(function = %shared.function, "cannot create an instance: {e:#}");
            })
            .ok(),
    };
    if let Some(mut slot) = slot {
        metrics.slots[IDLE].increment(1.0);
        while let Some(job) = next(&threads.jobs, shared.spin) {
            // A caller that went away or gave up waiting gets nothing run for it.
            let waited = match job.reply.is_closed() {
                true => None,
                false => job.ticket.start(),
            };
            let Some(waited) = waited else { continue };
            threads.idle.fetch_sub(1, Ordering::AcqRel);
            metrics.slots[IDLE].decrement(1.0);
            metrics.slots[BUSY].increment(1.0);
            let in_flight = metrics.started(waited);
            let Job { input, api, capture, span, reply, .. } = job;
            let call =
                AssertUnwindSafe(|| span.in_scope(|| shared.run(&mut slot, &input, api, capture)));
            let result = std::panic::catch_unwind(call).unwrap_or_else(|panic| {
                slot.discard_instance();
                Err(InvokeError::Trap {
                    function: shared.function.to_string(),
                    message: format!("the call panicked in the host: {}", panic_message(&*panic)),
                })
            });
            drop(in_flight);
            metrics.slots[BUSY].decrement(1.0);
            metrics.slots[IDLE].increment(1.0);
            // Idle before the reply: the caller's next call must not start another thread.
            threads.idle.fetch_add(1, Ordering::AcqRel);
            let _ = reply.send(result);
        }
        metrics.slots[IDLE].decrement(1.0);
    }
    threads.idle.fetch_sub(1, Ordering::AcqRel);
    threads.running.fetch_sub(1, Ordering::AcqRel);
}

/// How long a slot's thread keeps looking for the next call before it parks: waking a parked
/// thread took ~70 µs on the project's VMs, more than a small call (docs/benchmarks.md).
const SPIN: Duration = Duration::from_micros(50);

/// The next call, or `None` once the function's version is gone.
fn next(jobs: &Receiver<Job>, spin: bool) -> Option<Job> {
    let until = Instant::now() + SPIN;
    while spin && Instant::now() < until {
        match jobs.try_recv() {
            Ok(job) => return Some(job),
            Err(TryRecvError::Disconnected) => return None,
            Err(TryRecvError::Empty) => std::hint::spin_loop(),
        }
    }
    jobs.recv().ok()
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    match (panic.downcast_ref::<&str>(), panic.downcast_ref::<String>()) {
        (Some(message), _) => message,
        (_, Some(message)) => message,
        _ => "no message",
    }
}
