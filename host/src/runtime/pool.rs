//! A bounded pool of slots per function. Waiting for a slot is async (a semaphore); the call
//! itself runs on tokio's blocking pool.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use bytes::Bytes;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::Instrument;

use super::{FunctionModule, InvokeError, LoadError, RuntimeOptions, slot::Slot};
use crate::host_api::CallApi;

pub(crate) struct InstancePool {
    module: FunctionModule,
    function: Arc<str>,
    export: String,
    timeout: Duration,
    queue_timeout: Duration,
    permits: Arc<Semaphore>,
    idle: Mutex<Vec<Slot>>,
}

impl InstancePool {
    /// Builds the first slot right away, so a module that does not compile, does not
    /// instantiate or lacks the export fails here, at load time.
    pub(super) fn new(module: FunctionModule, options: &RuntimeOptions) -> Result<Self, LoadError> {
        let manifest = &module.spec.manifest;
        let function: Arc<str> = manifest.name.as_str().into();
        let export = manifest.export.clone();
        let first = Slot::new(&module).map_err(|e| LoadError::Compile {
            function: function.to_string(),
            path: module.spec.artifact.clone(),
            message: format!("{e:#}"),
        })?;
        if !first.has_export(&export) {
            return Err(LoadError::MissingExport {
                function: function.to_string(),
                path: module.spec.artifact.clone(),
                export,
            });
        }
        let timeout = manifest.timeout.get();
        Ok(Self {
            function,
            export,
            timeout,
            queue_timeout: options.queue_timeout.unwrap_or(timeout),
            permits: Arc::new(Semaphore::new(options.pool_size.max(1))),
            idle: Mutex::new(vec![first]),
            module,
        })
    }

    pub(super) async fn call(
        self: &Arc<Self>,
        input: Bytes,
        call_id: u64,
    ) -> Result<Bytes, InvokeError> {
        let permit = tokio::time::timeout(self.queue_timeout, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| InvokeError::Overloaded {
                function: self.function.to_string(),
                waited: self.queue_timeout,
            })?
            .expect("the pool's semaphore is never closed");
        // The token is revoked when this future ends, however it ends (even while the guest
        // still runs on its thread after a timeout).
        let (_token, api) = self.module.host_api.start_call(
            &self.function,
            call_id,
            &self.module.scopes,
            self.timeout,
        );
        let pool = Arc::clone(self);
        let span = tracing::Span::current();
        let call =
            tokio::task::spawn_blocking(move || span.in_scope(|| pool.run(permit, &input, api)));
        // Extism interrupts the guest at its deadline, but not while the guest waits in a host
        // function; this bounds what the caller waits for in every case. The slot comes back to
        // the pool when the blocking call really ends (it holds the permit until then).
        let grace = Duration::from_millis(250);
        match tokio::time::timeout(self.timeout + grace, call).in_current_span().await {
            Ok(Ok(result)) => result,
            Ok(Err(join_error)) => Err(InvokeError::Trap {
                function: self.function.to_string(),
                message: format!("the call panicked in the host: {join_error}"),
            }),
            Err(_) => Err(InvokeError::Timeout {
                function: self.function.to_string(),
                timeout: self.timeout,
            }),
        }
    }

    fn run(
        &self,
        permit: OwnedSemaphorePermit,
        input: &[u8],
        api: CallApi,
    ) -> Result<Bytes, InvokeError> {
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut slot = match idle {
            Some(slot) => slot,
            None => Slot::new(&self.module).map_err(|e| InvokeError::Trap {
                function: self.function.to_string(),
                message: format!("cannot create an instance: {e:#}"),
            })?,
        };
        let started = Instant::now();
        let result = slot.call(&self.export, input, api).map(Bytes::from).map_err(|e| {
            let mut error =
                InvokeError::from_extism(&self.function, self.timeout, started.elapsed(), &e);
            if let (Some(mapper), InvokeError::Guest { message, .. }) =
                (&self.module.stack_mapper, &mut error)
            {
                *message = mapper.rewrite(message);
            }
            error
        });
        if result.as_ref().is_err_and(InvokeError::poisons_instance) {
            slot.discard_instance();
        }
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).push(slot);
        drop(permit);
        result
    }
}
