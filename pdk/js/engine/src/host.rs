//! The wasmfn host functions the engine uses.

use extism_pdk::{Json, host_fn};
use wasmfn_schema::wire::{ApiRequest, ApiResult, ErrorDetail, GuestError, LogRecord, codes};

#[host_fn]
extern "ExtismHost" {
    fn wasmfn_js_script() -> String;
    fn wasmfn_random(len: Json<u64>) -> Vec<u8>;
    fn wasmfn_log(record: Json<LogRecord>);
    fn wasmfn_api_request(request: Json<ApiRequest>) -> Json<ApiResult>;
}

/// The function's bundle, or why the host gave none.
pub(crate) fn script() -> Result<String, String> {
    // SAFETY: the wasmfn host defines these functions with these signatures.
    #[allow(unsafe_code)]
    unsafe { wasmfn_js_script() }.map_err(|e| format!("the host gave no script to run: {e}"))
}

/// `len` random bytes from the host's OS source.
pub(crate) fn random(len: usize) -> Vec<u8> {
    #[allow(unsafe_code)]
    unsafe { wasmfn_random(Json(len as u64)) }.unwrap_or_default()
}

pub(crate) fn log(level: &str, message: &str) {
    log_with(level, message, serde_json::Map::new());
}

pub(crate) fn log_with(
    level: &str,
    message: &str,
    fields: serde_json::Map<String, serde_json::Value>,
) {
    let record = LogRecord { level: level.to_owned(), message: message.to_owned(), fields };
    #[allow(unsafe_code)]
    let _ = unsafe { wasmfn_log(Json(record)) };
}

pub(crate) fn api_request(request: ApiRequest) -> ApiResult {
    #[allow(unsafe_code)]
    match unsafe { wasmfn_api_request(Json(request)) } {
        Ok(Json(result)) => result,
        Err(e) => ApiResult::Error(ErrorDetail {
            code: codes::HOST_API_FAILED.to_owned(),
            message: e.to_string(),
        }),
    }
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
