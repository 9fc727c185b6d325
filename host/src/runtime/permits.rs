//! [`Permits`]: at most `pool_size` calls of one function at once; the others wait their turn
//! (asynchronously) up to the queue timeout, then fail with `overloaded`.

use std::{sync::Arc, time::Duration};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::InvokeError;

pub(crate) struct Permits {
    function: Arc<str>,
    semaphore: Arc<Semaphore>,
    queue_timeout: Duration,
}

impl Permits {
    /// `size` permits for `function`, waited for at most `queue_timeout`.
    pub(crate) fn new(function: Arc<str>, size: usize, queue_timeout: Duration) -> Self {
        Self { function, semaphore: Arc::new(Semaphore::new(size.max(1))), queue_timeout }
    }

    /// A permit, held for as long as the call runs (dropping it lets the next call in).
    pub(crate) async fn acquire(&self) -> Result<OwnedSemaphorePermit, InvokeError> {
        let waiting = Arc::clone(&self.semaphore).acquire_owned();
        match tokio::time::timeout(self.queue_timeout, waiting).await {
            Ok(permit) => Ok(permit.expect("the semaphore is never closed")),
            Err(_) => Err(InvokeError::Overloaded {
                function: self.function.to_string(),
                waited: self.queue_timeout,
            }),
        }
    }
}
