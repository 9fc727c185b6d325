//! [`LoadError`] (why a function could not be loaded) and [`InvokeError`] (why a call failed),
//! the one error of each, with a stable code and an HTTP status per call error.

use std::{fmt, path::PathBuf, sync::Arc, time::Duration};

use wasmfn_schema::{
    ProcessLanguage, Runtime,
    wire::{GuestError, codes},
};

use crate::discovery::DiscoveryError;

/// Why a function could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// Its folder is not a usable function (no or a bad manifest, a path out of the folder, a
    /// name or webhook path another folder holds).
    #[error(transparent)]
    Discovery(#[from] DiscoveryError),
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
    /// The artifact is not something a function may load: not a regular file, larger than
    /// the limit, or (through a symlink) outside the function folder.
    #[error("function {function}: {} {reason}", path.display())]
    ArtifactRefused {
        /// The function.
        function: String,
        /// The artifact's path, as the manifest gives it.
        path: PathBuf,
        /// Why it was refused.
        reason: String,
    },
    /// The artifact is not a WebAssembly module (it lacks the `\0asm` header).
    #[error(
        "function {function}: {} is not a loadable wasm module: it does not start with the wasm header",
        path.display()
    )]
    NotWasm {
        /// The function.
        function: String,
        /// The artifact's path.
        path: PathBuf,
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
    #[error(
        "function {function}: {} has no export named {export:?} ({})",
        path.display(),
        if export == wasmfn_schema::wire::abi::HTTP_EXPORT {
            "a function with `routes` answers them with it: `#[wasmfn_pdk::http]` in Rust"
        } else {
            "set `export` in the manifest"
        }
    )]
    MissingExport {
        /// The function.
        function: String,
        /// The artifact's path.
        path: PathBuf,
        /// The export the manifest names.
        export: String,
    },
    /// A process function's interpreter is not installed.
    #[error(
        "function {function}: {program} is not installed (not on PATH, nor in a node_modules/.bin above the function); language {language:?} runs with it"
    )]
    Interpreter {
        /// The function.
        function: String,
        /// The interpreter's name.
        program: String,
        /// The language that needs it.
        language: ProcessLanguage,
    },
    /// A process function's file cannot be run.
    #[error("function {function}: {} {problem}", path.display())]
    Entrypoint {
        /// The function.
        function: String,
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A process function's build output is missing: serve mode runs only what was built.
    #[error(
        "function {function}: not built: {} is missing (serve mode never builds; run `wasmfn build {function}`)",
        path.display()
    )]
    NotBuilt {
        /// The function.
        function: String,
        /// The build output.
        path: PathBuf,
    },
    /// A path pattern in the manifest's `api.scopes` is not a valid glob.
    #[error("function {function}: api scope {scope:?} is not a valid pattern: {message}")]
    ApiScope {
        /// The function.
        function: String,
        /// The scope as written.
        scope: String,
        /// What the glob parser said.
        message: String,
    },
}

impl LoadError {
    /// Runs `read` on `function`'s artifact at `path`, naming both in its error.
    pub(crate) fn reading<T>(
        function: &str,
        path: &std::path::Path,
        read: impl FnOnce() -> Result<T, super::artifact::ArtifactError>,
    ) -> Result<T, Self> {
        use super::artifact::ArtifactError;
        let (function, path) = (function.to_owned(), path.to_path_buf());
        read().map_err(|error| match error {
            ArtifactError::Io(source) => Self::Artifact { function, path, source },
            ArtifactError::Refused(reason) => Self::ArtifactRefused { function, path, reason },
        })
    }
}

/// Why a call failed. Every variant names the function; [`InvokeError::code`] gives the
/// stable code that callers see in the JSON error body.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InvokeError {
    /// No function has this name.
    #[error("no function named {function:?}")]
    NotFound {
        /// The name asked for.
        function: String,
    },
    /// The function exists but cannot run (bad manifest, missing or broken artifact).
    #[error("function {function} is disabled: {reason}")]
    Disabled {
        /// The function.
        function: String,
        /// Why: its last load's error, or why it stopped serving.
        reason: DisabledReason,
    },
    /// The input was rejected before reaching the guest (not JSON, too large).
    #[error("invalid input for {function}: {message}")]
    InvalidInput {
        /// The function.
        function: String,
        /// What is wrong with it.
        message: String,
    },
    /// The call ran past the function's timeout and was stopped.
    #[error("function {function} timed out after {}", humantime_ms(*timeout))]
    Timeout {
        /// The function.
        function: String,
        /// Its timeout.
        timeout: Duration,
    },
    /// The guest needed more memory than its limit.
    #[error("function {function} ran out of memory: {message}")]
    MemoryLimit {
        /// The function.
        function: String,
        /// What the guest or the runtime said.
        message: String,
    },
    /// Every instance stayed busy while the call waited.
    #[error("function {function} is overloaded: no free instance within {}", humantime_ms(*waited))]
    Overloaded {
        /// The function.
        function: String,
        /// How long the call waited.
        waited: Duration,
    },
    /// The guest trapped (a panic, an unreachable, a bad memory access).
    #[error("function {function} crashed: {message}")]
    Trap {
        /// The function.
        function: String,
        /// What happened.
        message: String,
    },
    /// The guest returned an error of its own.
    #[error("function {function} failed: {code}: {message}")]
    Guest {
        /// The function.
        function: String,
        /// The guest's error code.
        code: String,
        /// The guest's message.
        message: String,
        /// The HTTP status the guest asked for, if any.
        status: Option<u16>,
    },
    /// The guest's output is not JSON.
    #[error("function {function} returned invalid JSON: {message}")]
    InvalidOutput {
        /// The function.
        function: String,
        /// The parse error.
        message: String,
    },
    /// A process function's program could not be started.
    #[error("function {function}: cannot start {}: {message}", program.display())]
    Spawn {
        /// The function.
        function: String,
        /// The program.
        program: PathBuf,
        /// What the OS said.
        message: String,
    },
    /// A process function exited with a failure.
    #[error("function {function} failed: {status}{}", stderr_suffix(stderr))]
    ProcessFailed {
        /// The function.
        function: String,
        /// How it ended: `exit status 3`, `killed by SIGABRT`.
        status: String,
        /// Its last lines on stderr.
        stderr: String,
    },
    /// The function has no handler for this kind of call: a JSON call of a function that only
    /// answers its routes, or a request to a route of a module without the `http` export.
    #[error("function {function} has no {what} handler (the wasm export {export:?})")]
    HandlerMissing {
        /// The function.
        function: String,
        /// `JSON` or `HTTP`.
        what: &'static str,
        /// The export it lacks.
        export: String,
    },
    /// An HTTP function's response cannot be sent: its head is not one, the status or a
    /// header is invalid, or the body is larger than `http.max_response_body`.
    #[error("function {function} returned an invalid HTTP response: {message}")]
    InvalidResponse {
        /// The function.
        function: String,
        /// What is wrong.
        message: String,
    },
    /// A process function wrote more output than the host accepts; it was killed.
    #[error("function {function} wrote more than {} of output", bytesize::ByteSize(*limit))]
    OutputTooLarge {
        /// The function.
        function: String,
        /// The limit, in bytes.
        limit: u64,
    },
}

/// Why a function is disabled.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum DisabledReason {
    /// Its last load failed and no earlier version serves.
    Load(Arc<LoadError>),
    /// It was loaded but can no longer run (a process function's source changed under serve
    /// mode); the message says why.
    Stale(String),
    /// It was never loaded.
    NotLoaded,
}

impl fmt::Display for DisabledReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Load(error) => error.fmt(f),
            Self::Stale(message) => f.write_str(message),
            Self::NotLoaded => f.write_str("not loaded"),
        }
    }
}

fn stderr_suffix(stderr: &str) -> String {
    if stderr.is_empty() { String::new() } else { format!("; stderr:\n{stderr}") }
}

fn humantime_ms(d: Duration) -> String {
    format!("{}ms", d.as_millis())
}

impl InvokeError {
    /// Classifies an error from an Extism call that ran for `elapsed`. What the runtime saw
    /// decides whether the call trapped, timed out or ran out of memory: a guest's own error
    /// (a [`GuestError`] in JSON, or plain text from other plugins) is only ever a guest error.
    pub(crate) fn from_extism(
        function: &str,
        timeout: Duration,
        elapsed: Duration,
        error: &extism::Error,
    ) -> Self {
        let text = error.to_string();
        // The guest's error alone: it returned it.
        if let Some(guest) = GuestError::from_json(&text) {
            return Self::from_guest(function, guest);
        }
        let function = function.to_owned();
        // The runtime failed the call; Extism keeps what the guest said just before (a Rust
        // panic's message, the JS engine's own failure) further down the chain.
        let said = error.chain().skip(1).find_map(|e| GuestError::from_json(&e.to_string()));
        // Extism turns its deadline's epoch interrupt into a bare "timeout" message; a plugin
        // could say the same, so the clock decides.
        if text == "timeout" && elapsed >= timeout.mul_f32(0.9) {
            return Self::Timeout { function, timeout };
        }
        // Extism's memory limiter fails a growth past the limit with a trap it reports as "oom".
        if text == "oom" {
            let message =
                "the call needed more memory than the manifest's `memory` limit".to_owned();
            return Self::MemoryLimit { function, message };
        }
        if let Some(trap) = error.chain().find_map(|e| e.downcast_ref::<wasmtime::Trap>()) {
            return match trap {
                wasmtime::Trap::Interrupt => Self::Timeout { function, timeout },
                trap => Self::Trap {
                    function,
                    message: said.map_or_else(|| trap.to_string(), |said| said.message),
                },
            };
        }
        if let Some(said) = said {
            return Self::Trap { function, message: said.message };
        }
        // A host function that failed (an outbound request to a host not allowed, say) unwinds
        // the guest like a trap; wasmtime wraps its message in the guest's backtrace.
        if error.downcast_ref::<wasmtime::WasmBacktrace>().is_some() {
            let message = format!("a host call failed: {}", error.root_cause());
            return Self::Trap { function, message };
        }
        // Any other Extism plugin reports failure as plain text.
        Self::Guest { function, code: codes::GUEST_ERROR.to_owned(), message: text, status: None }
    }

    /// A guest's own error (from a wasm guest, or a process function's `{"error": ...}`). A
    /// code only the host reports (`trap`, `timeout`, `memory_limit`, ...) cannot be claimed:
    /// it becomes `guest_error`, so callers, logs and the pool only ever see real host faults.
    pub(crate) fn from_guest(function: &str, guest: GuestError) -> Self {
        let function = function.to_owned();
        let GuestError { code, message, status } = guest;
        if codes::is_reserved(&code) {
            let message = format!("(the function claimed the host's code {code:?}) {message}");
            return Self::Guest { function, code: codes::GUEST_ERROR.to_owned(), message, status };
        }
        Self::Guest { function, code, message, status }
    }

    /// Whether the instance that produced this error must be thrown away: after a trap, a
    /// timeout or running out of memory, its memory may be in any state.
    pub(crate) fn poisons_instance(&self) -> bool {
        matches!(self, Self::Trap { .. } | Self::Timeout { .. } | Self::MemoryLimit { .. })
    }

    /// The error as any HTTP caller may read it: a process's stderr stays in the host's log
    /// (it may hold anything the process printed) and a program is named by its file name.
    /// Paths inside function folders are made relative by the router, which knows them.
    pub fn public_message(&self) -> String {
        match self {
            Self::ProcessFailed { function, status, .. } => {
                format!("function {function} failed: {status} (its stderr is in the host's log)")
            }
            Self::Spawn { function, program, message } => {
                let program = program.file_name().unwrap_or_default().to_string_lossy();
                format!("function {function}: cannot start {program}: {message}")
            }
            other => other.to_string(),
        }
    }

    /// The function the error is about.
    pub fn function(&self) -> &str {
        match self {
            Self::NotFound { function }
            | Self::Disabled { function, .. }
            | Self::InvalidInput { function, .. }
            | Self::Timeout { function, .. }
            | Self::MemoryLimit { function, .. }
            | Self::Overloaded { function, .. }
            | Self::Trap { function, .. }
            | Self::Guest { function, .. }
            | Self::InvalidOutput { function, .. }
            | Self::Spawn { function, .. }
            | Self::ProcessFailed { function, .. }
            | Self::OutputTooLarge { function, .. }
            | Self::HandlerMissing { function, .. }
            | Self::InvalidResponse { function, .. } => function,
        }
    }

    /// The error's stable code, as in [`wasmfn_schema::wire::codes`] (or the guest's own).
    pub fn code(&self) -> &str {
        match self {
            Self::NotFound { .. } => codes::FUNCTION_NOT_FOUND,
            Self::Disabled { .. } => codes::DISABLED,
            Self::InvalidInput { .. } => codes::INVALID_INPUT,
            Self::Timeout { .. } => codes::TIMEOUT,
            Self::MemoryLimit { .. } => codes::MEMORY_LIMIT,
            Self::Overloaded { .. } => codes::OVERLOADED,
            Self::Trap { .. } => codes::TRAP,
            Self::Guest { code, .. } => code,
            Self::InvalidOutput { .. } => codes::INVALID_OUTPUT,
            Self::Spawn { .. } => codes::SPAWN_FAILED,
            Self::ProcessFailed { .. } => codes::PROCESS_FAILED,
            Self::OutputTooLarge { .. } => codes::OUTPUT_TOO_LARGE,
            Self::HandlerMissing { .. } => codes::HANDLER_MISSING,
            Self::InvalidResponse { .. } => codes::INVALID_RESPONSE,
        }
    }

    /// The HTTP status this error maps to.
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode as S;
        match self {
            Self::NotFound { .. } => S::NOT_FOUND,
            Self::Disabled { .. } | Self::Overloaded { .. } | Self::Spawn { .. } => {
                S::SERVICE_UNAVAILABLE
            }
            Self::InvalidInput { .. } => S::BAD_REQUEST,
            Self::Timeout { .. } => S::GATEWAY_TIMEOUT,
            Self::MemoryLimit { .. }
            | Self::Trap { .. }
            | Self::InvalidOutput { .. }
            | Self::ProcessFailed { .. }
            | Self::OutputTooLarge { .. }
            | Self::InvalidResponse { .. } => S::INTERNAL_SERVER_ERROR,
            // The function exists; this way of calling it does not.
            Self::HandlerMissing { .. } => S::NOT_IMPLEMENTED,
            Self::Guest { code, status, .. } => status
                .and_then(|s| S::from_u16(s).ok())
                .filter(|s| s.is_client_error() || s.is_server_error())
                .unwrap_or(match code.as_str() {
                    codes::INVALID_INPUT => S::BAD_REQUEST,
                    codes::NOT_FOUND => S::NOT_FOUND,
                    _ => S::INTERNAL_SERVER_ERROR,
                }),
        }
    }
}
