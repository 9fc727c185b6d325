//! Any `X-Wasmfn-Signature` header, body and clock: checked without panicking, and a
//! signature the sender's own function makes for the body always passes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wasmfn::{fuzzing::verify_webhook, triggers::signature_header};

fuzz_target!(|input: (&[u8], &[u8], u64, u64)| {
    let (header, body, now, timestamp) = input;
    let _ = verify_webhook(header, body, b"secret", now);
    let timestamp = timestamp % (1 << 40);
    let good = signature_header(b"secret", timestamp, body);
    assert_eq!(verify_webhook(good.as_bytes(), body, b"secret", timestamp), Ok(()));
});
