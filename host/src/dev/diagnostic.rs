//! The first error in a build's output, with its place: what the API and the dashboard show
//! instead of "the build failed". Knows esbuild's and rustc's formats; otherwise the first
//! line that says `error`.

/// The first error in `output` as `file:line:col: message` (or the message alone when it
/// names no place).
///
/// ```text
/// ✘ [ERROR] Expected ";" but found "oops"          →  src/index.ts:20:6: ERROR: Expected ";" but found "oops"
///
///     src/index.ts:20:6:
///
/// error[E0425]: cannot find value `x` in this scope →  src/lib.rs:3:5: error[E0425]: cannot find value `x` in this scope
///  --> src/lib.rs:3:5
/// ```
pub(crate) fn first_error(output: &str) -> Option<String> {
    let lines: Vec<&str> = output.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start_matches(['✘', 'X', ' ']);
        if let Some(message) = trimmed.strip_prefix("[ERROR]") {
            let message = format!("ERROR: {}", message.trim());
            // esbuild: the place follows, indented, ending in a colon.
            let place = lines[i + 1..]
                .iter()
                .take(4)
                .map(|l| l.trim())
                .find(|l| l.ends_with(':') && l.matches(':').count() >= 3);
            return Some(match place {
                Some(place) => format!("{place} {message}"),
                None => message,
            });
        }
        if (trimmed.starts_with("error[") || trimmed.starts_with("error:")) && !is_summary(trimmed)
        {
            // rustc: ` --> file:line:col` follows. Lines naming no place (cargo's summaries,
            // a wrapper's "error: bundling ... failed") are passed over for one that does.
            let place = lines[i + 1..]
                .iter()
                .take(3)
                .find_map(|l| l.trim_start().strip_prefix("--> "))
                .map(str::trim);
            if let Some(place) = place {
                return Some(format!("{place}: {}", trimmed.trim()));
            }
        }
    }
    // No error naming its place: the first line that says error (not a compiler's summary).
    lines
        .iter()
        .map(|line| line.trim())
        .find(|line| line.to_ascii_lowercase().contains("error") && !is_summary(line))
        .map(str::to_owned)
}

/// cargo's closing lines, which repeat that errors happened.
fn is_summary(line: &str) -> bool {
    line.starts_with("error: could not compile") || line.starts_with("error: aborting")
}

#[cfg(test)]
mod tests {
    use super::first_error;

    #[test]
    fn esbuild_errors_name_their_place() {
        let output = "error: bundling /x/src/index.ts failed:\n✘ [ERROR] Expected \";\" but found \"oops\"\n\n    src/index.ts:20:6:\n      20 │   const oops oops\n         ╵       ^\n\n1 error\nerror: cannot bundle";
        assert_eq!(
            first_error(output).as_deref(),
            Some("src/index.ts:20:6: ERROR: Expected \";\" but found \"oops\"")
        );
    }

    #[test]
    fn rustc_errors_name_their_place_and_cargo_summaries_are_skipped() {
        let output = "   Compiling hello v0.1.0\nerror: could not compile `x` (lib) due to 1 previous error\nerror[E0425]: cannot find value `x` in this scope\n --> src/lib.rs:3:5\n  |\n3 |     x\n";
        assert_eq!(
            first_error(output).as_deref(),
            Some("src/lib.rs:3:5: error[E0425]: cannot find value `x` in this scope")
        );
    }

    #[test]
    fn other_tools_give_their_first_error_line() {
        assert_eq!(
            first_error("ok\nnpm error Missing script: \"build\"\n").as_deref(),
            Some("npm error Missing script: \"build\"")
        );
        assert_eq!(first_error("all good\n"), None);
    }
}
