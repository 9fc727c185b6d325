//! Turning a wasm artifact into something callable, under the manifest's limits.

mod error;

use std::sync::Mutex;

use extism::{Manifest as ExtismManifest, PluginBuilder, Wasm};
use wasmfn_schema::Runtime;

pub use self::error::{InvokeError, LoadError};
use crate::FunctionSpec;

/// A loaded wasm function: its module compiled, one instance ready.
pub struct WasmFunction {
    name: String,
    export: String,
    plugin: Mutex<extism::Plugin>,
}

impl std::fmt::Debug for WasmFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmFunction")
            .field("name", &self.name)
            .field("export", &self.export)
            .finish()
    }
}

impl WasmFunction {
    /// Compiles the function's artifact and creates an instance with the manifest's memory
    /// limit, timeout, config and allowed hosts. WASI is on, without filesystem access.
    pub fn load(spec: &FunctionSpec) -> Result<Self, LoadError> {
        let manifest = &spec.manifest;
        let name = manifest.name.to_string();
        if manifest.runtime != Runtime::Wasm {
            return Err(LoadError::UnsupportedRuntime {
                function: name,
                runtime: manifest.runtime,
            });
        }
        let wasm = std::fs::read(&spec.artifact).map_err(|source| LoadError::Artifact {
            function: name.clone(),
            path: spec.artifact.clone(),
            source,
        })?;
        let extism_manifest = ExtismManifest::new([Wasm::data(wasm)])
            .with_memory_max(manifest.memory.pages())
            .with_timeout(manifest.timeout.get())
            .with_allowed_hosts(manifest.allowed_hosts.iter().cloned())
            .with_config(manifest.config.iter().map(|(k, v)| (k.clone(), v.clone())));
        let plugin = PluginBuilder::new(extism_manifest)
            .with_wasi(true)
            .build()
            .map_err(|e| LoadError::Compile {
                function: name.clone(),
                path: spec.artifact.clone(),
                message: format!("{e:#}"),
            })?;
        if !plugin.function_exists(&manifest.export) {
            return Err(LoadError::MissingExport {
                function: name,
                path: spec.artifact.clone(),
                export: manifest.export.clone(),
            });
        }
        Ok(Self {
            name,
            export: manifest.export.clone(),
            plugin: Mutex::new(plugin),
        })
    }

    /// The function's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Calls the function with raw input bytes (JSON by convention) and returns its output.
    pub fn call(&self, input: &[u8]) -> Result<Vec<u8>, InvokeError> {
        let mut plugin = self
            .plugin
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        plugin
            .call::<&[u8], Vec<u8>>(&self.export, input)
            .map_err(|e| InvokeError::from_extism(&self.name, &e))
    }

    /// Calls the function with a JSON value and parses its output as JSON.
    pub fn call_json(&self, input: &serde_json::Value) -> Result<serde_json::Value, InvokeError> {
        let input = serde_json::to_vec(input).expect("a JSON value serializes");
        let output = self.call(&input)?;
        serde_json::from_slice(&output).map_err(|e| InvokeError::InvalidOutput {
            function: self.name.clone(),
            message: e.to_string(),
        })
    }
}
