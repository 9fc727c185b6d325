//! Reading a manifest from YAML, with errors that point at the file, field and line.

use std::path::{Path, PathBuf};

use super::{Manifest, ManifestError, error::Location};

impl Manifest {
    /// Parses and validates a manifest. `file` is only used in error messages.
    pub fn from_yaml(text: &str, file: impl Into<PathBuf>) -> Result<Self, ManifestError> {
        let file = file.into();
        let deserializer = serde_yaml_ng::Deserializer::from_str(text);
        serde_path_to_error::deserialize(deserializer).map_err(|e| invalid(file, e))
    }

    /// Reads, parses and validates the manifest at `path`.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, ManifestError> {
        let file = path.as_ref().to_path_buf();
        match std::fs::read_to_string(&file) {
            Ok(text) => Self::from_yaml(&text, file),
            Err(source) => Err(ManifestError::Read { file, source }),
        }
    }
}

fn invalid(
    file: PathBuf,
    error: serde_path_to_error::Error<serde_yaml_ng::Error>,
) -> ManifestError {
    let field = error.path().to_string();
    // `?` marks a segment serde could not name (a YAML syntax error inside a value): the line
    // says more than such a path.
    let field = (field != "." && !field.contains('?')).then_some(field);
    let inner = error.into_inner();
    let location = inner.location();
    let mut message = inner.to_string();
    // serde_yaml appends the position and prefixes its own copy of the path; both are reported
    // in their own fields, so strip them from the message.
    if let Some(loc) = &location {
        let suffix = format!(" at line {} column {}", loc.line(), loc.column());
        if let Some(stripped) = message.strip_suffix(&suffix) {
            message = stripped.to_owned();
        }
    }
    if let (Some(field), Some((head, rest))) = (&field, message.split_once(": "))
        && field.starts_with(head)
    {
        message = rest.to_owned();
    }
    ManifestError::Invalid {
        location: Location {
            file,
            line: location.as_ref().map(|l| l.line()),
            column: location.as_ref().map(|l| l.column()),
        },
        field,
        message,
    }
}
