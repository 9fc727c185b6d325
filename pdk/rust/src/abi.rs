//! The host functions a wasmfn guest imports, declared once ([`wasmfn_schema::wire::abi`]
//! names them), with safe wrappers. The Rust PDK's modules ([`crate::api`], the log macros)
//! and the JS engine (which depends on this crate) call these; off wasm they are inert.

use wasmfn_schema::wire::{ApiRequest, ApiResult, ErrorDetail, LogRecord, codes};

/// Declares the imports once: the extern block (on wasm) and the list of their names (everywhere,
/// so a test checks them against the host's).
macro_rules! imports {
    ($( fn $name:ident($($arg:ident: $ty:ty),*) $(-> $ret:ty)?; )*) => {
        // The extern block's functions are `unsafe` to call: the wrappers below are the only
        // callers.
        #[cfg(target_arch = "wasm32")]
        #[allow(unsafe_code)]
        mod imports {
            use extism_pdk::Json;
            use wasmfn_schema::wire::{ApiRequest, ApiResult, LogRecord};

            #[extism_pdk::host_fn]
            extern "ExtismHost" {
                $( pub(super) fn $name($($arg: $ty),*) $(-> $ret)?; )*
            }
        }

        /// The names imported, in order.
        #[cfg(test)]
        const NAMES: &[&str] = &[$(stringify!($name)),*];
    };
}

imports! {
    fn wasmfn_log(record: Json<LogRecord>);
    fn wasmfn_api_request(request: Json<ApiRequest>) -> Json<ApiResult>;
    fn wasmfn_random(len: Json<u64>) -> Vec<u8>;
    fn wasmfn_js_script() -> String;
    fn wasmfn_fetch(request: Vec<u8>) -> Vec<u8>;
}

/// Sends a log record to the host's `tracing`.
pub fn log(record: LogRecord) {
    #[cfg(target_arch = "wasm32")]
    {
        // SAFETY: the wasmfn host defines `wasmfn_log` with this signature.
        #[allow(unsafe_code)]
        let _ = unsafe { imports::wasmfn_log(extism_pdk::Json(record)) };
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = record;
}

/// Sends a request to the host app's API; the host's failure to answer becomes
/// `host_api_failed`, and off wasm every request is `host_api_unavailable`.
pub fn api_request(request: ApiRequest) -> ApiResult {
    #[cfg(target_arch = "wasm32")]
    {
        // SAFETY: the wasmfn host defines `wasmfn_api_request` with this signature.
        #[allow(unsafe_code)]
        match unsafe { imports::wasmfn_api_request(extism_pdk::Json(request)) } {
            Ok(extism_pdk::Json(result)) => result,
            Err(e) => ApiResult::Error(ErrorDetail {
                code: codes::HOST_API_FAILED.to_owned(),
                message: e.to_string(),
            }),
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = request;
        ApiResult::Error(ErrorDetail {
            code: codes::HOST_API_UNAVAILABLE.to_owned(),
            message: "the host app's API is only reachable when running in wasmfn".to_owned(),
        })
    }
}

/// `len` random bytes from the host's OS (at most 64 KiB a call); empty off wasm.
pub fn random(len: usize) -> Vec<u8> {
    #[cfg(target_arch = "wasm32")]
    {
        // SAFETY: the wasmfn host defines `wasmfn_random` with this signature.
        #[allow(unsafe_code)]
        unsafe { imports::wasmfn_random(extism_pdk::Json(len as u64)) }.unwrap_or_default()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = len;
        Vec::new()
    }
}

/// A JS function's bundle, as the host hands it to the JS engine; why there is none otherwise.
pub fn js_script() -> Result<String, String> {
    #[cfg(target_arch = "wasm32")]
    {
        // SAFETY: the wasmfn host defines `wasmfn_js_script` with this signature.
        #[allow(unsafe_code)]
        unsafe { imports::wasmfn_js_script() }
            .map_err(|e| format!("the host gave no script to run: {e}"))
    }
    #[cfg(not(target_arch = "wasm32"))]
    Err("no host: the script is only available when running in wasmfn".to_owned())
}

/// An outbound HTTP request (framed as `wasmfn_schema::wire::http` frames a
/// [`FetchRequest`](wasmfn_schema::wire::http::FetchRequest)); the answer, framed the same way.
/// Off wasm, every request fails with `host_api_unavailable`.
pub fn fetch(request: Vec<u8>) -> Vec<u8> {
    #[cfg(target_arch = "wasm32")]
    {
        // SAFETY: the wasmfn host defines `wasmfn_fetch` with this signature.
        #[allow(unsafe_code)]
        match unsafe { imports::wasmfn_fetch(request) } {
            Ok(answer) => answer,
            Err(e) => fetch_error(codes::HOST_API_FAILED, &e.to_string()),
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = request;
        fetch_error(codes::HOST_API_UNAVAILABLE, "outbound HTTP only works when running in wasmfn")
    }
}

fn fetch_error(code: &str, message: &str) -> Vec<u8> {
    let error = ErrorDetail { code: code.to_owned(), message: message.to_owned() };
    wasmfn_schema::wire::http::encode(&wasmfn_schema::wire::http::FetchResult::Error(error), b"")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_imports_are_the_names_the_host_defines() {
        assert_eq!(super::NAMES, wasmfn_schema::wire::abi::ALL);
    }
}
