//! The JSON documents that cross into and out of guests, checked in one place: UTF-8, valid
//! JSON, and for inputs a bounded nesting depth.
//!
//! serde_json skips a value it is asked to ignore without recursing, so it accepts any depth
//! and does not look inside strings for UTF-8: both would reach the guest, whose own parser
//! (QuickJS, or serde_json building values) then fails or overflows its stack. The host
//! refuses them first, with `invalid_input`.

use serde::de::IgnoredAny;

/// The deepest nesting of arrays and objects an input may have: serde_json's own limit when
/// it builds values, so a Rust guest can parse anything the host lets through.
pub(crate) const MAX_DEPTH: usize = 128;

/// Checks that `bytes` are one JSON document in UTF-8, nested at most `max_depth` deep (no
/// bound when `None`); the error says what is wrong, for the caller.
pub(crate) fn check(bytes: &[u8], max_depth: Option<usize>) -> Result<(), String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
    if let Some(max) = max_depth {
        check_depth(text.as_bytes(), max)?;
    }
    serde_json::from_str::<IgnoredAny>(text).map(drop).map_err(|e| format!("not JSON: {e}"))
}

/// Fails once arrays and objects nest deeper than `max` (brackets inside strings are text).
/// Runs before parsing, so it meets malformed input too, and only ever counts.
fn check_depth(bytes: &[u8], max: usize) -> Result<(), String> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &byte in bytes {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return Err(format!("nested deeper than {max} levels"));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_checked_for_utf8_syntax_and_depth() {
        assert_eq!(check(br#"{"a":[1,"x]]]"]}"#, Some(2)), Ok(()));
        assert_eq!(check(b"null", Some(0)), Ok(()));
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert!(check(deep.as_bytes(), Some(MAX_DEPTH)).unwrap_err().contains("deeper than 128"));
        let at_limit = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert_eq!(check(at_limit.as_bytes(), Some(MAX_DEPTH)), Ok(()));
        // Outputs are not bounded.
        assert_eq!(check(deep.as_bytes(), None), Ok(()));
        // Escaped quotes do not end a string; brackets in strings do not count.
        assert_eq!(check(br#"["\"[[[", "\\"]"#, Some(1)), Ok(()));
        assert!(check(b"\"\xff\"", None).unwrap_err().contains("UTF-8"));
        assert!(check(b"{not json", None).is_err());
        assert!(check(b"1 2", None).is_err());
        // 100k levels: refused, not a stack overflow.
        let hostile = "[".repeat(100_000);
        assert!(check(hostile.as_bytes(), Some(MAX_DEPTH)).unwrap_err().contains("deeper"));
    }
}
