//! What the engine asks of the host: the wasmfn host functions through the Rust PDK's one
//! declaration of them (`wasmfn_pdk::abi`), and a trap that says why.

pub(crate) use wasmfn_pdk::abi::{api_request, fetch, js_script as script, random};
use wasmfn_schema::wire::{GuestError, LogRecord};

pub(crate) fn log(level: &str, message: &str) {
    log_with(level, message, serde_json::Map::new());
}

pub(crate) fn log_with(
    level: &str,
    message: &str,
    fields: serde_json::Map<String, serde_json::Value>,
) {
    wasmfn_pdk::abi::log(LogRecord { level: level.to_owned(), message: message.to_owned(), fields });
}

/// Fails the call with `error` as a trap: the host then discards this instance.
pub(crate) fn trap(error: &GuestError) -> ! {
    if let Ok(memory) = extism_pdk::Memory::from_bytes(error.to_json()) {
        // SAFETY: `memory` is a live Extism allocation holding the error text.
        #[allow(unsafe_code)]
        unsafe {
            extism_pdk::extism::error_set(memory.offset())
        };
    }
    std::process::abort()
}
