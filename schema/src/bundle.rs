//! A JS function's module: wasmfn's QuickJS engine (`pdk/js/engine`) with the function's
//! bundle appended as a custom section named [`SCRIPT_SECTION`], after its source map in
//! [`SOURCE_MAP_SECTION`]. The build writes it ([`embed`]); the host cuts it apart at load
//! ([`split`]) and hands the script to the engine, so the engine bytes are the same for every
//! JS function and compile once.

/// The global the bundle's exports land in (esbuild's `--global-name`), where the engine
/// finds the handler.
pub const MODULE_GLOBAL: &str = "__wasmfn_module";

/// The custom section holding a JS function's bundle.
pub const SCRIPT_SECTION: &str = "wasmfn.js";
/// The custom section holding the bundle's source map (JSON), so stacks name the sources.
pub const SOURCE_MAP_SECTION: &str = "wasmfn.js.map";

/// A JS function's module, taken apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JsModule<'a> {
    /// The engine: the module without wasmfn's sections.
    pub engine: &'a [u8],
    /// The bundle.
    pub script: &'a str,
    /// The bundle's source map, if it was built with one.
    pub source_map: Option<&'a str>,
}

/// `engine` with `script` (and its source map) appended as custom sections.
///
/// ```
/// use wasmfn_schema::bundle::{JsModule, embed, split};
///
/// let engine = b"\0asm\x01\0\0\0";
/// let plugin = embed(engine, "export default () => 1", Some("{}"));
/// let parts = JsModule { engine, script: "export default () => 1", source_map: Some("{}") };
/// assert_eq!(split(&plugin), Some(parts));
/// assert_eq!(split(engine), None);
/// ```
pub fn embed(engine: &[u8], script: &str, source_map: Option<&str>) -> Vec<u8> {
    let mut out =
        Vec::with_capacity(engine.len() + script.len() + source_map.map_or(0, str::len) + 32);
    out.extend_from_slice(engine);
    if let Some(map) = source_map {
        custom_section(&mut out, SOURCE_MAP_SECTION, map);
    }
    custom_section(&mut out, SCRIPT_SECTION, script);
    out
}

fn custom_section(out: &mut Vec<u8>, name: &str, payload: &str) {
    let mut body = Vec::with_capacity(payload.len() + name.len() + 5);
    leb128(&mut body, name.len());
    body.extend_from_slice(name.as_bytes());
    body.extend_from_slice(payload.as_bytes());
    out.push(0); // a custom section
    leb128(out, body.len());
    out.extend_from_slice(&body);
}

/// A JS function's parts: `None` unless the module ends with a [`SCRIPT_SECTION`] holding
/// UTF-8 (optionally preceded by a [`SOURCE_MAP_SECTION`]).
pub fn split(wasm: &[u8]) -> Option<JsModule<'_>> {
    if wasm.get(..4)? != b"\0asm" {
        return None;
    }
    // (start, name, payload) of every section; custom sections carry their name.
    let mut sections = Vec::new();
    let mut at = 8;
    while at < wasm.len() {
        let start = at;
        let id = wasm[at];
        let (size, body) = read_leb128(wasm, at + 1)?;
        let end = body.checked_add(size).filter(|&end| end <= wasm.len())?;
        let named = if id == 0 {
            let (name_len, name_at) = read_leb128(wasm, body)?;
            let name_end = name_at.checked_add(name_len).filter(|&e| e <= end)?;
            Some((&wasm[name_at..name_end], &wasm[name_end..end]))
        } else {
            None
        };
        sections.push((start, named));
        at = end;
    }
    let (script_start, script) = match sections.pop()? {
        (start, Some((name, payload))) if name == SCRIPT_SECTION.as_bytes() => {
            (start, std::str::from_utf8(payload).ok()?)
        }
        _ => return None,
    };
    let (engine_end, source_map) = match sections.last() {
        Some((start, Some((name, payload)))) if *name == SOURCE_MAP_SECTION.as_bytes() => {
            (*start, std::str::from_utf8(payload).ok())
        }
        _ => (script_start, None),
    };
    Some(JsModule { engine: &wasm[..engine_end], script, source_map })
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
        let plugin = embed(module, &script, None);
        let parts = JsModule { engine: module, script: &script, source_map: None };
        assert_eq!(split(&plugin), Some(parts));
        let with_map = embed(module, &script, Some(r#"{"version":3}"#));
        let parts = JsModule { source_map: Some(r#"{"version":3}"#), ..parts };
        assert_eq!(split(&with_map), Some(parts));
        // Another custom section last, or a truncated module: not a JS function.
        let mut other = module.to_vec();
        other.extend_from_slice(b"\0\x05\x04name");
        assert_eq!(split(&other), None);
        assert_eq!(split(&plugin[..plugin.len() - 1]), None);
        assert_eq!(split(b"not wasm"), None);
    }
}
