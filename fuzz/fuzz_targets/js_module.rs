//! Any bytes as a JS function's module (its sections read at load), and any source map and
//! error message through the stack rewriting: no panic, and what is not a position is kept.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wasmfn::fuzzing::map_stack;
use wasmfn_schema::bundle::{embed, split};

fuzz_target!(|input: (&[u8], &str, &str)| {
    let (module, map, message) = input;
    let _ = split(module);
    let plugin = embed(b"\0asm\x01\0\0\0", message, Some(map));
    let parts = split(&plugin).unwrap();
    assert_eq!((parts.script, parts.source_map), (message, Some(map)));
    if let Some(rewritten) = map_stack(map, message)
        && !message.contains("bundle.js:")
    {
        assert_eq!(rewritten, message);
    }
});
