//! Turning a wasm artifact into something callable: compiling it, pooling instances, and
//! enforcing the manifest's limits.
//!
//! A [`LoadedFunction`] owns an [`InstancePool`] of up to `pool_size` slots. Each slot has its
//! own compiled module on its own wasmtime Engine (see `docs/architecture.md` for why: it is
//! what keeps one call's timeout from interrupting another). Slots are created on demand, so a
//! function that is called one at a time only ever compiles once.

pub(crate) mod artifact;
mod error;
mod pool;
mod slot;

use std::{sync::Arc, time::Duration};

use bytes::Bytes;
use extism::{Manifest as ExtismManifest, Wasm};
use wasmfn_schema::Runtime;

use self::artifact::Artifact;
pub use self::error::{InvokeError, LoadError};
pub(crate) use self::pool::InstancePool;
use crate::{
    FunctionSpec, Mode,
    host_api::{HostApi, ScopeSet},
    js::StackMapper,
    process::ProcessFunction,
};

/// How functions are run: pool sizes and waiting limits. The defaults suit most apps.
#[derive(Clone, Debug)]
pub struct RuntimeOptions {
    /// The most instances of one function that run at once (default: the number of cores).
    pub pool_size: usize,
    /// How long a call may wait for a free instance before failing with `overloaded`
    /// (default: the function's own timeout).
    pub queue_timeout: Option<Duration>,
    /// Where functions' requests to the app's API go, and their tokens.
    pub host_api: HostApi,
    /// Serve or dev: what a process function runs (see [`crate::process::Entrypoint`]).
    pub mode: Mode,
    /// The largest artifact (`.wasm`, or a process function's file) a function may load, in
    /// bytes (default 128 MiB); a larger one disables the function.
    pub max_artifact_size: u64,
}

impl Default for RuntimeOptions {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            pool_size: cores,
            queue_timeout: None,
            host_api: HostApi::new(),
            mode: Mode::default(),
            max_artifact_size: artifact::DEFAULT_MAX_ARTIFACT_SIZE,
        }
    }
}

/// The parts of a function every slot is built from.
pub(crate) struct FunctionModule {
    wasm: Bytes,
    /// A JS function's bundle, cut off its `plugin.wasm` (see [`crate::js`]).
    script: Option<Arc<str>>,
    /// Turns the bundle's positions in a JS function's error stacks into its sources'.
    stack_mapper: Option<Arc<StackMapper>>,
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

/// A function ready to be called: its module compiled and its instance pool ready, or for a
/// process function, its command.
pub struct LoadedFunction {
    spec: FunctionSpec,
    runner: Runner,
}

enum Runner {
    Wasm(Arc<InstancePool>),
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
        let manifest = &spec.manifest;
        let function = manifest.name.to_string();
        match manifest.runtime {
            Runtime::Wasm => {}
            Runtime::Process => {
                let process = ProcessFunction::load(&spec, options)?;
                return Ok(Self { spec, runner: Runner::Process(Box::new(process)) });
            }
            runtime => return Err(LoadError::UnsupportedRuntime { function, runtime }),
        }
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
        let (wasm, script, stack_mapper) = match crate::js::split(&wasm) {
            Some(js) => {
                let mapper = js.source_map.and_then(StackMapper::new).map(Arc::new);
                (Bytes::copy_from_slice(js.engine), Some(Arc::from(js.script)), mapper)
            }
            None => (Bytes::from(wasm), None, None),
        };
        let module = FunctionModule {
            wasm,
            script,
            stack_mapper,
            spec: spec.clone(),
            host_api: options.host_api.clone(),
            scopes: Arc::new(scopes),
        };
        let pool = InstancePool::new(module, options)?;
        Ok(Self { spec, runner: Runner::Wasm(Arc::new(pool)) })
    }

    /// The function's name.
    pub fn name(&self) -> &str {
        self.spec.name()
    }

    /// What the function was loaded from.
    pub fn spec(&self) -> &FunctionSpec {
        &self.spec
    }

    /// Calls the function with its input (JSON bytes) and returns its output. The wasm runs on
    /// tokio's blocking pool, never on the async workers.
    pub async fn call(&self, input: Bytes) -> Result<Bytes, InvokeError> {
        self.call_as(input, crate::invocation::next_call_id()).await
    }

    /// [`call`](Self::call) as invocation `call_id` (what its API token is bound to).
    pub(crate) async fn call_as(&self, input: Bytes, call_id: u64) -> Result<Bytes, InvokeError> {
        match &self.runner {
            Runner::Wasm(pool) => pool.call(input, call_id).await,
            Runner::Process(process) => process.call(input).await,
        }
    }
}
