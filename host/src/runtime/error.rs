use std::path::PathBuf;

use wasmfn_schema::{
    Runtime,
    wire::{GuestError, codes},
};

/// Why a function could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The manifest asks for a runtime this host does not run.
    #[error("function {function}: runtime {runtime:?} is not supported yet")]
    UnsupportedRuntime {
        /// The function.
        function: String,
        /// The runtime it asks for.
        runtime: Runtime,
    },
    /// The artifact cannot be read (most often: not built yet).
    #[error("function {function}: cannot read artifact {}: {source}", path.display())]
    Artifact {
        /// The function.
        function: String,
        /// The artifact's path.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The artifact is not a valid wasm module, or cannot be instantiated.
    #[error("function {function}: {} is not a loadable wasm module: {message}", path.display())]
    Compile {
        /// The function.
        function: String,
        /// The artifact's path.
        path: PathBuf,
        /// What wasmtime said.
        message: String,
    },
    /// The module does not export the function the manifest names.
    #[error("function {function}: {} has no export named {export:?} (set `export` in the manifest)", path.display())]
    MissingExport {
        /// The function.
        function: String,
        /// The artifact's path.
        path: PathBuf,
        /// The export the manifest names.
        export: String,
    },
}

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InvokeError {
    /// The guest returned an error of its own.
    #[error("function {function} failed: {code}: {message}")]
    Guest {
        /// The function.
        function: String,
        /// The guest's error code.
        code: String,
        /// The guest's message.
        message: String,
    },
    /// The guest trapped (a panic, an unreachable, a bad memory access).
    #[error("function {function} crashed: {message}")]
    Trap {
        /// The function.
        function: String,
        /// What happened.
        message: String,
    },
    /// The guest's output is not JSON.
    #[error("function {function} returned invalid JSON: {message}")]
    InvalidOutput {
        /// The function.
        function: String,
        /// The parse error.
        message: String,
    },
}

impl InvokeError {
    /// Classifies an error from an Extism call. A wasmfn guest's error is a [`GuestError`] in
    /// JSON, somewhere in the chain (Extism puts the trap first when the guest panicked).
    pub(crate) fn from_extism(function: &str, error: &extism::Error) -> Self {
        let function = function.to_owned();
        if let Some(guest) = error
            .chain()
            .find_map(|e| GuestError::from_json(&e.to_string()))
        {
            return match guest.code.as_str() {
                codes::TRAP => Self::Trap {
                    function,
                    message: guest.message,
                },
                _ => Self::Guest {
                    function,
                    code: guest.code,
                    message: guest.message,
                },
            };
        }
        if let Some(trap) = error
            .chain()
            .find_map(|e| e.downcast_ref::<wasmtime::Trap>())
        {
            return Self::Trap {
                function,
                message: trap.to_string(),
            };
        }
        // Any other Extism plugin reports failure as plain text.
        Self::Guest {
            function,
            code: codes::GUEST_ERROR.to_owned(),
            message: error.to_string(),
        }
    }

    /// The error's code, as in [`wasmfn_schema::wire::codes`].
    pub fn code(&self) -> &str {
        match self {
            Self::Guest { code, .. } => code,
            Self::Trap { .. } => codes::TRAP,
            Self::InvalidOutput { .. } => codes::GUEST_ERROR,
        }
    }
}
