use std::{fmt, io, path::PathBuf};

/// Why a manifest could not be loaded. Every variant names the file; validation errors also
/// name the field path and the line.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    /// The file could not be read.
    #[error("cannot read manifest {}: {source}", file.display())]
    Read {
        /// The manifest file.
        file: PathBuf,
        /// What the OS said.
        #[source]
        source: io::Error,
    },
    /// The file is not valid YAML or does not follow the manifest schema.
    #[error("invalid manifest {location}: {}{message}", field_prefix(field))]
    Invalid {
        /// Where: the file and, when known, the line and column.
        location: Location,
        /// The field path, like `hooks[0].action`, when the error is about one field.
        field: Option<String>,
        /// What is wrong.
        message: String,
    },
}

fn field_prefix(field: &Option<String>) -> String {
    field.as_ref().map(|f| format!("{f}: ")).unwrap_or_default()
}

/// A place in a manifest file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The manifest file.
    pub file: PathBuf,
    /// The 1-based line, when known.
    pub line: Option<usize>,
    /// The 1-based column, when known.
    pub column: Option<usize>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        Ok(())
    }
}
