//! Host-side JavaScript: a JS function's `plugin.wasm` is wasmfn's QuickJS engine with the
//! function's bundle (and its source map) appended as custom sections (the layout is
//! [`wasmfn_schema::bundle`]). At load the host cuts them off ([`JsParts::split`]); the engine
//! asks for the script through `wasmfn_js_script` (`script.rs`), and its error stacks are
//! mapped back to the sources (`stack.rs`).
//!
//! The engine bytes are then the same for every JS function and every version of one, so they
//! compile once (Extism's cache) and a dev-mode save only re-bundles (esbuild, milliseconds).

pub(super) mod script;
mod stack;

use std::sync::Arc;

use wasmfn_schema::bundle;

use self::stack::StackMapper;

/// A JS function's bundle, and what maps its error stacks to the sources.
#[derive(Clone, Debug)]
pub(super) struct JsParts {
    pub(super) script: Arc<str>,
    stack: Option<Arc<StackMapper>>,
}

impl JsParts {
    /// The engine's bytes and the JS parts of `wasm`, or `None` when it is not a JS function.
    pub(super) fn split(wasm: &[u8]) -> Option<(&[u8], Self)> {
        let module = bundle::split(wasm)?;
        let stack = module.source_map.and_then(StackMapper::new).map(Arc::new);
        Some((module.engine, Self { script: Arc::from(module.script), stack }))
    }

    /// `message` with the bundle's positions in it made the sources' (when there is a map).
    pub(super) fn rewrite_stack(&self, message: &str) -> String {
        match &self.stack {
            Some(mapper) => mapper.rewrite(message),
            None => message.to_owned(),
        }
    }
}

/// `message` with the bundle's positions mapped through `source_map`, if it parses: the stack
/// rewriting alone, for the fuzz targets.
#[cfg(feature = "fuzzing")]
pub(crate) fn map_stack(source_map: &str, message: &str) -> Option<String> {
    StackMapper::new(source_map).map(|mapper| mapper.rewrite(message))
}
