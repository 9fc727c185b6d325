//! Stacks that name the sources: the engine reports positions in the bundle
//! (`bundle.js:LINE:COLUMN`, 1-based); the bundle's source map turns them into the original
//! file, line and column.

use sourcemap::SourceMap;

/// The name the engine gives the bundle in stack frames.
const BUNDLE: &str = "bundle.js:";

/// Rewrites bundle positions in error messages with a bundle's source map.
#[derive(Debug)]
pub(crate) struct StackMapper {
    map: SourceMap,
}

impl StackMapper {
    /// A mapper for the source map `json` (as esbuild writes it); `None` if it does not parse.
    pub(crate) fn new(json: &str) -> Option<Self> {
        SourceMap::from_slice(json.as_bytes()).ok().map(|map| Self { map })
    }

    /// `message` with every `bundle.js:LINE:COLUMN` that the map knows replaced by
    /// `source:LINE:COLUMN` (1-based, like the original).
    ///
    pub(crate) fn rewrite(&self, message: &str) -> String {
        let mut out = String::with_capacity(message.len());
        let mut rest = message;
        while let Some(at) = rest.find(BUNDLE) {
            out.push_str(&rest[..at]);
            let after = &rest[at + BUNDLE.len()..];
            match position(after)
                .and_then(|(line, column, len)| Some((self.lookup(line, column)?, len)))
            {
                Some((original, len)) => {
                    out.push_str(&original);
                    rest = &after[len..];
                }
                None => {
                    out.push_str(BUNDLE);
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }

    fn lookup(&self, line: u32, column: u32) -> Option<String> {
        let token = self.map.lookup_token(line.checked_sub(1)?, column.saturating_sub(1))?;
        let source = token.get_source()?;
        Some(format!("{source}:{}:{}", token.get_src_line() + 1, token.get_src_col() + 1))
    }
}

/// `LINE:COLUMN` at the start of `text`, and how many bytes it takes.
fn position(text: &str) -> Option<(u32, u32, usize)> {
    let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    let line_len = digits(text);
    let rest = text[line_len..].strip_prefix(':')?;
    let column_len = digits(rest);
    if line_len == 0 || column_len == 0 {
        return None;
    }
    let line = text[..line_len].parse().ok()?;
    let column = rest[..column_len].parse().ok()?;
    Some((line, column, line_len + 1 + column_len))
}

#[cfg(test)]
mod tests {
    use super::StackMapper;

    #[test]
    fn bundle_positions_become_source_positions() {
        // Line 2 of the bundle comes from line 1 of src/index.ts.
        let map = r#"{"version":3,"sources":["src/index.ts"],"names":[],"mappings":";AAAA"}"#;
        let mapper = StackMapper::new(map).unwrap();
        assert_eq!(mapper.rewrite("at f (bundle.js:2:1)"), "at f (src/index.ts:1:1)");
        assert_eq!(mapper.rewrite("at g (native)"), "at g (native)");
        assert_eq!(mapper.rewrite("at bundle.js:x"), "at bundle.js:x");
    }
}
