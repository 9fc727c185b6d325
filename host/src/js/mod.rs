//! JavaScript and TypeScript functions: a JS function's `plugin.wasm` is wasmfn's QuickJS
//! engine (`pdk/js/engine`) with the function's bundle appended as a custom section named
//! [`SCRIPT_SECTION`].
//!
//! At load, the host cuts the section off and hands the script to the engine
//! (`wasmfn_js_script`). The engine bytes are then the same for every JS function and every
//! version of one, so they compile once (Extism's cache) and a dev-mode save only re-bundles
//! (esbuild, milliseconds) and re-appends.

/// The custom section holding a JS function's bundle.
pub const SCRIPT_SECTION: &str = "wasmfn.js";

/// `engine` with `script` appended as the [`SCRIPT_SECTION`] custom section.
///
/// ```
/// let module = b"\0asm\x01\0\0\0";
/// let plugin = wasmfn::js::embed(module, "export default () => 1");
/// let (engine, script) = wasmfn::js::split(&plugin).unwrap();
/// assert_eq!((engine, script), (&module[..], "export default () => 1"));
/// assert_eq!(wasmfn::js::split(module), None);
/// ```
pub fn embed(engine: &[u8], script: &str) -> Vec<u8> {
    let mut payload = Vec::with_capacity(script.len() + 16);
    leb128(&mut payload, SCRIPT_SECTION.len());
    payload.extend_from_slice(SCRIPT_SECTION.as_bytes());
    payload.extend_from_slice(script.as_bytes());
    let mut out = Vec::with_capacity(engine.len() + payload.len() + 6);
    out.extend_from_slice(engine);
    out.push(0); // a custom section
    leb128(&mut out, payload.len());
    out.extend_from_slice(&payload);
    out
}

/// The engine and the script of a JS function's module: `None` unless the module's last
/// section is a [`SCRIPT_SECTION`] holding UTF-8.
pub fn split(wasm: &[u8]) -> Option<(&[u8], &str)> {
    if wasm.get(..4)? != b"\0asm" {
        return None;
    }
    let mut at = 8;
    let mut last = None;
    while at < wasm.len() {
        let start = at;
        let id = wasm[at];
        let (size, body) = read_leb128(wasm, at + 1)?;
        let end = body.checked_add(size).filter(|&end| end <= wasm.len())?;
        last = Some((start, id, body, end));
        at = end;
    }
    let (start, id, body, end) = last?;
    if id != 0 {
        return None;
    }
    let (name_len, name_at) = read_leb128(wasm, body)?;
    let name = wasm.get(name_at..name_at.checked_add(name_len)?)?;
    if name != SCRIPT_SECTION.as_bytes() {
        return None;
    }
    let script = std::str::from_utf8(&wasm[name_at + name_len..end]).ok()?;
    Some((&wasm[..start], script))
}

fn leb128(out: &mut Vec<u8>, mut value: usize) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// The value at `at` and where it ends.
fn read_leb128(bytes: &[u8], mut at: usize) -> Option<(usize, usize)> {
    let mut value = 0usize;
    for shift in (0..35).step_by(7) {
        let byte = *bytes.get(at)?;
        at += 1;
        value |= usize::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some((value, at));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_script_round_trips_through_a_real_module_layout() {
        // A module with a type section, then a script long enough for multi-byte sizes.
        let module = b"\0asm\x01\0\0\0\x01\x04\x01\x60\0\0";
        let script = "x".repeat(300) + "é";
        let plugin = embed(module, &script);
        assert_eq!(split(&plugin), Some((&module[..], script.as_str())));
        // Another custom section last, or a truncated module: not a JS function.
        let mut other = module.to_vec();
        other.extend_from_slice(b"\0\x05\x04name");
        assert_eq!(split(&other), None);
        assert_eq!(split(&plugin[..plugin.len() - 1]), None);
        assert_eq!(split(b"not wasm"), None);
    }
}
