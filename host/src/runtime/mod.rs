//! Turning a function's artifact into something callable, with the manifest's limits: a
//! [`LoadedFunction`] runs either a wasm module (`wasm/`: compiled modules, pooled instances,
//! the guest ABI, host-side JS, each slot on its own thread) or a subprocess per call
//! (`process/`). Both share what is here: [`RuntimeOptions`], the errors, the bounded artifact
//! reader and guests' logs.

pub(crate) mod artifact;
pub(crate) mod error;
mod guest_log;
mod options;
mod process;
mod wasm;

use std::sync::Arc;

use bytes::Bytes;
use wasmfn_schema::Runtime;

#[cfg(feature = "fuzzing")]
pub(crate) use self::wasm::map_stack;
use self::{error::InvokeError, error::LoadError, process::ProcessFunction, wasm::WasmFunction};
pub use self::{options::RuntimeOptions, process::MAX_OUTPUT_BYTES};
use crate::{discovery::FunctionSpec, history::Capture, invocation::Handler};

/// A function ready to be called: its module compiled and its instance pool ready, or for a
/// process function, its command.
pub struct LoadedFunction {
    spec: FunctionSpec,
    runner: Runner,
    /// Its name, shared by what records its calls (the history) without copying it.
    shared_name: Arc<str>,
}

enum Runner {
    Wasm(Arc<WasmFunction>),
    Process(Box<ProcessFunction>),
}

impl std::fmt::Debug for LoadedFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedFunction").field("name", &self.name()).finish_non_exhaustive()
    }
}

impl LoadedFunction {
    /// Reads and compiles the function's artifact, checks that it exports the manifest's
    /// `export`, and prepares its pool. Blocking: compiling takes milliseconds (cached) to
    /// seconds (first time, large module). A process function's file and interpreter are
    /// checked instead.
    pub fn load(spec: FunctionSpec, options: &RuntimeOptions) -> Result<Self, LoadError> {
        let runner = match spec.manifest.runtime {
            Runtime::Wasm => Runner::Wasm(Arc::new(WasmFunction::load(&spec, options)?)),
            Runtime::Process => Runner::Process(Box::new(ProcessFunction::load(&spec, options)?)),
            runtime => {
                let function = spec.name().to_owned();
                return Err(LoadError::UnsupportedRuntime { function, runtime });
            }
        };
        let shared_name = spec.name().into();
        Ok(Self { spec, runner, shared_name })
    }

    /// The function's name.
    pub fn name(&self) -> &str {
        self.spec.name()
    }

    /// Its name, shared.
    pub(crate) fn shared_name(&self) -> &Arc<str> {
        &self.shared_name
    }

    /// Its metrics' handles.
    pub(crate) fn metrics(&self) -> &crate::metrics::FunctionMetrics {
        match &self.runner {
            Runner::Wasm(function) => function.metrics(),
            Runner::Process(process) => process.metrics(),
        }
    }

    /// What the function was loaded from.
    pub fn spec(&self) -> &FunctionSpec {
        &self.spec
    }

    /// Calls the function with its input (JSON bytes) and returns its output. The wasm runs on
    /// its slot's own thread, never on the async workers.
    pub async fn call(&self, input: Bytes) -> Result<Bytes, InvokeError> {
        let id = crate::invocation::next_call_id();
        self.call_as(input, id, Handler::Json, &Capture::default()).await
    }

    /// [`call`](Self::call) as invocation `call_id` (what its API token is bound to), by
    /// `handler` (an HTTP request goes to the `http` export), its logs also going to
    /// `capture`.
    pub(crate) async fn call_as(
        &self,
        input: Bytes,
        call_id: u64,
        handler: Handler,
        capture: &Capture,
    ) -> Result<Bytes, InvokeError> {
        // A function with routes answers HTTP only; one without, JSON only.
        let manifest = &self.spec.manifest;
        let routes = !manifest.routes.is_empty();
        if routes != (handler == Handler::Http) {
            let (what, export) = match routes {
                true => ("JSON", manifest.export.clone()),
                false => ("HTTP", wasmfn_schema::wire::abi::HTTP_EXPORT.to_owned()),
            };
            return Err(InvokeError::HandlerMissing {
                function: self.name().to_owned(),
                what,
                export,
            });
        }
        match &self.runner {
            Runner::Wasm(function) => function.call(input, call_id, capture).await,
            Runner::Process(process) => process.call(input, handler, capture).await,
        }
    }
}
