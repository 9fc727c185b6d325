//! Any text as a `manifest.yaml`: parsed, validated and located without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wasmfn_schema::Manifest;

fuzz_target!(|text: &str| {
    let _ = Manifest::from_yaml(text, "functions/f/manifest.yaml");
    for path in [&["name"][..], &["build", "output"], &["process", "entry"], &["hooks"]] {
        let _ = Manifest::key_position(text, path);
    }
});
