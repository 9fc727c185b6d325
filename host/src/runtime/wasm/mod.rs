//! Wasm functions: the module compiled per pool slot, each slot on a thread of its own.
//!
//! A [`WasmFunction`] owns up to `pool_size` slots. Each slot has its own compiled module on its
//! own wasmtime Engine (see `docs/architecture.md` for why: it is what keeps one call's
//! timeout from interrupting another). Slots are created on demand, so a function that is
//! called one at a time only ever compiles once. Waiting for a slot is async; the call itself
//! runs on the slot's thread (`pool.rs`), never on tokio's workers.

mod abi;
mod js;
mod pool;
mod slot;
mod state;

#[cfg(feature = "fuzzing")]
pub(crate) use self::js::map_stack;
use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use bytes::Bytes;
use extism::{Manifest as ExtismManifest, Wasm};
use tokio::sync::oneshot::error::TryRecvError;

use self::{
    js::JsParts,
    pool::{Job, SlotPool, Ticket},
    slot::Slot,
};
use super::{
    RuntimeOptions,
    artifact::Artifact,
    error::{InvokeError, LoadError},
};
use crate::{
    discovery::FunctionSpec,
    history::Capture,
    host_api::{CallApi, HostApi, ScopeSet},
    metrics::FunctionMetrics,
};

/// The parts of a function every slot is built from.
struct FunctionModule {
    wasm: Bytes,
    /// A JS function's bundle and stack mapper, cut off its `plugin.wasm`.
    js: Option<JsParts>,
    spec: FunctionSpec,
    host_api: HostApi,
    scopes: Arc<ScopeSet>,
}

impl FunctionModule {
    fn extism_manifest(&self) -> ExtismManifest {
        let manifest = &self.spec.manifest;
        ExtismManifest::new([Wasm::data(self.wasm.to_vec())])
            .with_memory_max(manifest.memory.pages())
            .with_timeout(manifest.timeout.get())
            .with_allowed_hosts(manifest.allowed_hosts.iter().cloned())
            .with_config(manifest.config.iter().map(|(k, v)| (k.clone(), v.clone())))
    }
}

/// A wasm function ready to be called: its slots (the first compiled at load), each on its
/// own thread, and its limits.
pub(super) struct WasmFunction {
    shared: Arc<Shared>,
    pool: SlotPool,
    queue_timeout: Duration,
}

/// What the function's slots' threads share with it.
struct Shared {
    module: FunctionModule,
    function: Arc<str>,
    export: String,
    timeout: Duration,
    metrics: FunctionMetrics,
    /// How long the last call ran, in microseconds.
    last_call: AtomicU64,
    /// Whether threads look for work before they park ([`RuntimeOptions::with_spinning`]).
    spin: bool,
}

/// How long past its timeout a caller waits for a call stuck in a host function.
const GRACE: Duration = Duration::from_millis(250);

/// A function whose last call took less than this is quick: its caller looks for the answer
/// this long before it waits to be woken.
const QUICK: Duration = Duration::from_micros(100);

impl WasmFunction {
    /// Reads the artifact, compiles the first slot (so a module that does not compile, does
    /// not instantiate or lacks the export fails here, at load time).
    pub(super) fn load(spec: &FunctionSpec, options: &RuntimeOptions) -> Result<Self, LoadError> {
        let manifest = &spec.manifest;
        let function = spec.name().to_owned();
        let wasm = LoadError::reading(&function, &spec.artifact, || {
            Artifact::open(&spec.dir, &spec.artifact, options.max_artifact_size)?.read()
        })?;
        // Anything else would be parsed as the WebAssembly text format, whose errors quote
        // the file: never show what a file that is not a module holds.
        if !wasm.starts_with(b"\0asm") {
            return Err(LoadError::NotWasm { function, path: spec.artifact.clone() });
        }
        let scopes = ScopeSet::new(&manifest.api.scopes).map_err(|e| LoadError::ApiScope {
            function: function.clone(),
            scope: e.glob().unwrap_or_default().to_owned(),
            message: e.kind().to_string(),
        })?;
        // A JS function's engine compiles without its bundle: the same bytes for every JS
        // function and every version of one (Extism's cache).
        let (wasm, js) = match JsParts::split(&wasm) {
            Some((engine, js)) => (Bytes::copy_from_slice(engine), Some(js)),
            None => (Bytes::from(wasm), None),
        };
        let module = FunctionModule {
            wasm,
            js,
            spec: spec.clone(),
            host_api: options.host_api.clone(),
            scopes: Arc::new(scopes),
        };
        Self::new(module, options)
    }

    fn new(module: FunctionModule, options: &RuntimeOptions) -> Result<Self, LoadError> {
        let manifest = &module.spec.manifest;
        let function: Arc<str> = manifest.name.as_str().into();
        // A function with routes answers HTTP only (the manifest refuses hooks beside routes).
        let export = match manifest.routes.is_empty() {
            true => manifest.export.clone(),
            false => wasmfn_schema::wire::abi::HTTP_EXPORT.to_owned(),
        };
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
        let queue_timeout = options.queue_timeout.unwrap_or(timeout);
        let metrics = FunctionMetrics::new(&function);
        metrics.instances_created.increment(1);
        let path = module.spec.artifact.clone();
        let last_call = AtomicU64::new(0);
        let spin = options.spin;
        let shared =
            Arc::new(Shared { module, function, export, timeout, metrics, last_call, spin });
        let pool =
            SlotPool::new(&shared, first, options.pool_size).map_err(|e| LoadError::Compile {
                function: shared.function.to_string(),
                path,
                message: format!("cannot start its thread: {e}"),
            })?;
        Ok(Self { shared, pool, queue_timeout })
    }

    pub(super) fn metrics(&self) -> &FunctionMetrics {
        &self.shared.metrics
    }

    pub(super) async fn call(
        &self,
        input: Bytes,
        call_id: u64,
        capture: &Capture,
    ) -> Result<Bytes, InvokeError> {
        let Shared { module, function, timeout, .. } = &*self.shared;
        // The token is revoked when this future ends, however it ends (even while the guest
        // still runs on its thread after a timeout).
        let (_token, api) = module.host_api.start_call(
            function,
            call_id,
            &module.scopes,
            self.queue_timeout + *timeout,
        );
        let ticket = Arc::new(Ticket::new());
        let (reply, mut answer) = tokio::sync::oneshot::channel();
        let job = Job {
            input,
            api,
            capture: capture.clone(),
            span: tracing::Span::current(),
            ticket: Arc::clone(&ticket),
            reply,
        };
        self.pool.submit(&self.shared, job);
        let queued = ticket.queued();
        // A short function's answer comes within microseconds: look for it between the
        // worker's other tasks before the worker may park, whose wake-up costs more than the
        // call (docs/benchmarks.md).
        if self.shared.spin
            && self.shared.last_call.load(Ordering::Relaxed) < QUICK.as_micros() as u64
        {
            while queued.elapsed() < QUICK {
                match answer.try_recv() {
                    Ok(result) => return result,
                    Err(TryRecvError::Empty) => tokio::task::yield_now().await,
                    Err(TryRecvError::Closed) => break,
                }
            }
        }
        // Waits for a slot up to the queue timeout, then for the call up to its timeout from
        // its start. Extism interrupts the guest at its deadline, but not while the guest waits
        // in a host function: the grace bounds what the caller waits for in every case. The
        // slot is busy until the call really ends.
        let mut check = queued + self.queue_timeout.min(*timeout);
        loop {
            match tokio::time::timeout_at(check.into(), &mut answer).await {
                Ok(Ok(result)) => return result,
                Ok(Err(_)) => {
                    return Err(InvokeError::Trap {
                        function: function.to_string(),
                        message: "the call's thread ended without an answer".into(),
                    });
                }
                Err(_) => {}
            }
            let now = Instant::now();
            match ticket.started() {
                Some(started) if now >= started + *timeout + GRACE => {
                    return Err(InvokeError::Timeout {
                        function: function.to_string(),
                        timeout: *timeout,
                    });
                }
                Some(started) => check = started + *timeout + GRACE,
                None if now < queued + self.queue_timeout => check = queued + self.queue_timeout,
                // A slot may start it at this very moment: then wait for it, as above.
                None if !ticket.abandon() => {}
                None => {
                    return Err(InvokeError::Overloaded {
                        function: function.to_string(),
                        waited: self.queue_timeout,
                    });
                }
            }
        }
    }
}

impl Shared {
    /// Runs one call in `slot` (on the slot's thread), as the call `api` belongs to.
    fn run(
        &self,
        slot: &mut Slot,
        input: &[u8],
        mut api: CallApi,
        capture: Capture,
    ) -> Result<Bytes, InvokeError> {
        if !slot.has_instance() {
            self.metrics.instances_created.increment(1);
        }
        api.start(self.timeout);
        let started = Instant::now();
        let result = slot.call(&self.export, input, api, capture);
        let elapsed = started.elapsed();
        self.last_call.store(elapsed.as_micros().try_into().unwrap_or(u64::MAX), Ordering::Relaxed);
        let result = result.map(Bytes::from).map_err(|e| {
            let mut error = InvokeError::from_extism(&self.function, self.timeout, elapsed, &e);
            if let (Some(js), InvokeError::Guest { message, .. }) = (&self.module.js, &mut error) {
                *message = js.rewrite_stack(message);
            }
            error
        });
        if result.as_ref().is_err_and(InvokeError::poisons_instance) {
            slot.discard_instance();
            self.metrics.instances_discarded.increment(1);
        }
        result
    }
}
