//! Wasm functions: the module compiled per pool slot, instances pooled, calls on tokio's
//! blocking pool.
//!
//! A [`WasmFunction`] owns up to `pool_size` slots. Each slot has its own compiled module on its
//! own wasmtime Engine (see `docs/architecture.md` for why: it is what keeps one call's
//! timeout from interrupting another). Slots are created on demand, so a function that is
//! called one at a time only ever compiles once. Waiting for a slot is async; the call itself
//! runs on tokio's blocking pool.

mod abi;
mod js;
mod slot;
mod state;

#[cfg(feature = "fuzzing")]
pub(crate) use self::js::map_stack;
use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use bytes::Bytes;
use extism::{Manifest as ExtismManifest, Wasm};
use tracing::Instrument;

use self::{js::JsParts, slot::Slot};
use super::{
    RuntimeOptions,
    artifact::Artifact,
    error::{InvokeError, LoadError},
    permits::{Permit, Permits},
};
use crate::{
    discovery::FunctionSpec,
    history::Capture,
    host_api::{CallApi, HostApi, ScopeSet},
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

/// A wasm function ready to be called: its slots (the first compiled at load) and its limits.
pub(super) struct WasmFunction {
    module: FunctionModule,
    function: Arc<str>,
    export: String,
    timeout: Duration,
    permits: Permits,
    idle: Mutex<Vec<Slot>>,
}

/// Indexes of [`FunctionMetrics::slots`](crate::metrics::FunctionMetrics).
const BUSY: usize = 0;
const IDLE: usize = 1;

impl Drop for WasmFunction {
    fn drop(&mut self) {
        // An unloaded version's slots go with it.
        let idle = self.idle.get_mut().map_or(0, |idle| idle.len());
        self.permits.metrics().slots[IDLE].decrement(idle as f64);
    }
}

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
        let permits = Permits::new(Arc::clone(&function), options.pool_size, queue_timeout);
        permits.metrics().instances_created.increment(1);
        permits.metrics().slots[IDLE].increment(1.0);
        Ok(Self { permits, function, export, timeout, idle: Mutex::new(vec![first]), module })
    }

    pub(super) fn metrics(&self) -> &crate::metrics::FunctionMetrics {
        self.permits.metrics()
    }

    pub(super) async fn call(
        self: &Arc<Self>,
        input: Bytes,
        call_id: u64,
        capture: &Capture,
    ) -> Result<Bytes, InvokeError> {
        let permit = self.permits.acquire().await?;
        // The token is revoked when this future ends, however it ends (even while the guest
        // still runs on its thread after a timeout).
        let (_token, api) = self.module.host_api.start_call(
            &self.function,
            call_id,
            &self.module.scopes,
            self.timeout,
        );
        let (function, capture) = (Arc::clone(self), capture.clone());
        let span = tracing::Span::current();
        let call = tokio::task::spawn_blocking(move || {
            span.in_scope(|| function.run(permit, &input, api, capture))
        });
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
        permit: Permit,
        input: &[u8],
        api: CallApi,
        capture: Capture,
    ) -> Result<Bytes, InvokeError> {
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let metrics = self.permits.metrics();
        let mut slot = match idle {
            Some(slot) => {
                metrics.slots[IDLE].decrement(1.0);
                slot
            }
            None => Slot::new(&self.module).map_err(|e| InvokeError::Trap {
                function: self.function.to_string(),
                message: format!("cannot create an instance: {e:#}"),
            })?,
        };
        metrics.slots[BUSY].increment(1.0);
        if !slot.has_instance() {
            metrics.instances_created.increment(1);
        }
        let started = Instant::now();
        let result = slot.call(&self.export, input, api, capture).map(Bytes::from).map_err(|e| {
            let mut error =
                InvokeError::from_extism(&self.function, self.timeout, started.elapsed(), &e);
            if let (Some(js), InvokeError::Guest { message, .. }) = (&self.module.js, &mut error) {
                *message = js.rewrite_stack(message);
            }
            error
        });
        if result.as_ref().is_err_and(InvokeError::poisons_instance) {
            slot.discard_instance();
            metrics.instances_discarded.increment(1);
        }
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).push(slot);
        metrics.slots[BUSY].decrement(1.0);
        metrics.slots[IDLE].increment(1.0);
        drop(permit);
        result
    }
}
