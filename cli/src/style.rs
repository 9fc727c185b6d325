//! How the CLI prints: one status word per line, colored when the terminal shows color
//! (`anstream` strips the styles when output is piped or `NO_COLOR` is set).

use anstyle::{AnsiColor, Style};

pub(crate) const OK: Style = AnsiColor::Green.on_default().bold();
pub(crate) const WORKING: Style = AnsiColor::Cyan.on_default().bold();
pub(crate) const WARN: Style = AnsiColor::Yellow.on_default().bold();
pub(crate) const ERROR: Style = AnsiColor::Red.on_default().bold();
pub(crate) const DIM: Style = Style::new().dimmed();

/// `word` padded to the status column, in `style`.
pub(crate) fn status(style: Style, word: &str) -> String {
    format!("{style}{word:>9}{style:#}")
}
