//! [`Permits`]: at most `pool_size` processes of one function at once; the other calls wait
//! their turn (asynchronously) up to the queue timeout, then fail with `overloaded`. (A wasm
//! function's calls wait in its slots' queue instead: `wasm/pool.rs`.)

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::metrics::{FunctionMetrics, InFlight};
use crate::runtime::error::InvokeError;

/// A call's turn: held for as long as the call runs (dropping it lets the next call in).
pub(super) struct Permit {
    _permit: OwnedSemaphorePermit,
    _in_flight: InFlight,
}

pub(super) struct Permits {
    function: Arc<str>,
    semaphore: Arc<Semaphore>,
    queue_timeout: Duration,
    metrics: FunctionMetrics,
}

impl Permits {
    /// `size` permits for `function`, waited for at most `queue_timeout`.
    pub(super) fn new(function: Arc<str>, size: usize, queue_timeout: Duration) -> Self {
        let metrics = FunctionMetrics::new(&function);
        Self { function, semaphore: Arc::new(Semaphore::new(size.max(1))), queue_timeout, metrics }
    }

    /// The function's metrics (registered with these permits, when it loaded).
    pub(super) fn metrics(&self) -> &FunctionMetrics {
        &self.metrics
    }

    /// A permit, held for as long as the call runs (dropping it lets the next call in).
    pub(crate) async fn acquire(&self) -> Result<Permit, InvokeError> {
        let started = Instant::now();
        let waiting = Arc::clone(&self.semaphore).acquire_owned();
        match tokio::time::timeout(self.queue_timeout, waiting).await {
            Ok(permit) => Ok(Permit {
                _permit: permit.expect("the semaphore is never closed"),
                _in_flight: self.metrics.started(started.elapsed()),
            }),
            Err(_) => Err(InvokeError::Overloaded {
                function: self.function.to_string(),
                waited: self.queue_timeout,
            }),
        }
    }
}
