//! One pool slot: its own compiled module on its own wasmtime Engine, and at most one instance.
//!
//! Extism enforces timeouts by bumping the Engine's epoch, which interrupts every store on that
//! Engine. A slot runs one call at a time and shares its Engine with nobody, so a timeout can
//! only ever interrupt the call that ran out of time.

use extism::{CompiledPlugin, Plugin, PluginBuilder, UserData};

use super::{FunctionModule, abi, state::HostState};
use crate::{history::Capture, host_api::CallApi};

pub(super) struct Slot {
    compiled: CompiledPlugin,
    instance: Option<Plugin>,
    /// Shared with this slot's host functions: how they learn which call is running.
    state: UserData<HostState>,
}

impl Slot {
    /// Compiles the module on a new Engine (Extism's disk cache makes repeats cheap) and
    /// creates an instance.
    pub(super) fn new(module: &FunctionModule) -> Result<Self, extism::Error> {
        let script = module.js.as_ref().map(|js| js.script.clone());
        let manifest = &module.spec.manifest;
        let state = HostState::new(
            manifest.name.as_str().into(),
            script,
            manifest.allowed_hosts.as_slice().into(),
        );
        let builder = PluginBuilder::new(module.extism_manifest())
            .with_wasi(true)
            .with_functions(abi::for_slot(&state));
        let compiled = CompiledPlugin::new(builder)?;
        let instance = Plugin::new_from_compiled(&compiled)?;
        Ok(Self { compiled, instance: Some(instance), state })
    }

    /// Whether it has an instance (none after a discard, until its next call makes one).
    pub(super) fn has_instance(&self) -> bool {
        self.instance.is_some()
    }

    pub(super) fn has_export(&self, export: &str) -> bool {
        self.instance.as_ref().is_some_and(|p| p.function_exists(export))
    }

    /// Calls `export` as the call `api` belongs to, its logs also going to `capture`. The
    /// instance is created anew if the previous call discarded it.
    pub(super) fn call(
        &mut self,
        export: &str,
        input: &[u8],
        api: CallApi,
        capture: Capture,
    ) -> Result<Vec<u8>, extism::Error> {
        let instance = match &mut self.instance {
            Some(instance) => instance,
            None => self.instance.insert(Plugin::new_from_compiled(&self.compiled)?),
        };
        set_call(&self.state, Some((api, capture)));
        let result = instance.call::<&[u8], Vec<u8>>(export, input);
        set_call(&self.state, None);
        result
    }

    /// Drops the instance (after a trap, a timeout or running out of memory its state cannot be
    /// trusted); the compiled module stays.
    pub(super) fn discard_instance(&mut self) {
        self.instance = None;
    }
}

fn set_call(state: &UserData<HostState>, call: Option<(CallApi, Capture)>) {
    if let Ok(state) = state.get() {
        let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
        let (api, capture) = call.unzip();
        state.call = api;
        state.capture = capture.unwrap_or_default();
        state.logged = Default::default();
    }
}
