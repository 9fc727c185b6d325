//! The glue between the wasm export and the handler: input in, output or error out.

use serde::{Serialize, de::DeserializeOwned};
use wasmfn_schema::wire::codes;

use crate::Error;

/// Runs `handler` on the call's input and hands its outcome to the host. Returns the export's
/// status: 0 on success, 1 when the call failed (the error is set on the host side).
pub fn run<I, O, E>(handler: impl FnOnce(I) -> Result<O, E>) -> i32
where
    I: DeserializeOwned,
    O: Serialize,
    E: Into<Error>,
{
    host::install_panic_hook();
    let outcome = decode::<I>(&host::input())
        .and_then(|input| handler(input).map_err(Into::into))
        .and_then(|output| encode(&output));
    match outcome {
        Ok(bytes) => {
            host::set_output(bytes);
            0
        }
        Err(error) => {
            host::set_error(&error.into_wire().to_json());
            1
        }
    }
}

/// Runs an HTTP `handler` on the call's request; like [`run`], returns the export's status.
pub fn run_http<O: crate::http::HandlerOutput>(
    handler: impl FnOnce(crate::http::Request) -> O,
) -> i32 {
    host::install_panic_hook();
    let outcome = crate::http::decode_request(&host::input())
        .and_then(|request| handler(request).into_outcome());
    match outcome {
        Ok(response) => {
            host::set_output(crate::http::encode_response(response));
            0
        }
        Err(error) => {
            host::set_error(&error.into_wire().to_json());
            1
        }
    }
}

fn decode<I: DeserializeOwned>(input: &[u8]) -> Result<I, Error> {
    let input = if input.iter().all(u8::is_ascii_whitespace) { b"null".as_slice() } else { input };
    serde_json::from_slice(input)
        .map_err(|e| Error::new(codes::INVALID_INPUT, format!("invalid input: {e}")))
}

fn encode<O: Serialize>(output: &O) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(output)
        .map_err(|e| Error::new(codes::GUEST_ERROR, format!("cannot serialize the output: {e}")))
}

#[cfg(target_arch = "wasm32")]
mod host {
    use extism_pdk::Memory;
    use wasmfn_schema::wire::{GuestError, codes};

    pub(super) fn input() -> Vec<u8> {
        extism_pdk::input().unwrap_or_default()
    }

    pub(super) fn set_output(bytes: Vec<u8>) {
        // Only fails when the host cannot allocate; the host then reports the call as failed.
        let _ = extism_pdk::output(bytes);
    }

    pub(super) fn set_error(text: &str) {
        if let Ok(memory) = Memory::from_bytes(text) {
            // SAFETY: `memory` is a live Extism allocation holding the error text.
            #[allow(unsafe_code)]
            unsafe {
                extism_pdk::extism::error_set(memory.offset())
            };
        }
    }

    /// With panic=abort a panic ends in a trap the host sees without the message: report the
    /// message as the call's error first.
    pub(super) fn install_panic_hook() {
        static HOOK: std::sync::Once = std::sync::Once::new();
        HOOK.call_once(|| {
            std::panic::set_hook(Box::new(|info| {
                let payload = info.payload();
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "panic".to_owned());
                let at = info.location().map(|l| format!(" at {l}")).unwrap_or_default();
                set_error(
                    &GuestError::new(codes::TRAP, format!("panicked{at}: {message}")).to_json(),
                );
            }));
        });
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod host {
    pub(super) fn input() -> Vec<u8> {
        Vec::new()
    }

    pub(super) fn set_output(_: Vec<u8>) {}

    pub(super) fn set_error(_: &str) {}

    pub(super) fn install_panic_hook() {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    struct Input {
        #[allow(dead_code)]
        name: String,
    }

    #[test]
    fn empty_input_reads_as_null() {
        assert_eq!(decode::<Option<u8>>(b"").unwrap(), None);
        assert_eq!(decode::<Option<u8>>(b" \n").unwrap(), None);
        decode::<()>(b"").unwrap();
    }

    #[test]
    fn bad_input_is_an_invalid_input_error_naming_the_field() {
        let err = decode::<Input>(br#"{"nme": "x"}"#).unwrap_err();
        assert_eq!(err.code(), codes::INVALID_INPUT);
        assert!(err.message().contains("missing field `name`"), "{err:?}");
    }
}
