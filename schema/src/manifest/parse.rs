//! Reading a manifest from YAML, with errors that point at the file, field and line.

use std::path::{Path, PathBuf};

use super::{Manifest, ManifestError, Runtime, error::Location};

impl Manifest {
    /// Parses and validates a manifest. `file` is only used in error messages.
    pub fn from_yaml(text: &str, file: impl Into<PathBuf>) -> Result<Self, ManifestError> {
        let file = file.into();
        let deserializer = serde_yaml_ng::Deserializer::from_str(text);
        let manifest: Self = serde_path_to_error::deserialize(deserializer).map_err(|e| {
            let error = invalid(file.clone(), e);
            refine_hook_error(text, &error).or_else(|| at_field(text, &error)).unwrap_or(error)
        })?;
        manifest.check_runtime(text, &file)?.check_routes(text, file)
    }

    /// Two routes of one manifest must not match the same requests.
    fn check_routes(self, text: &str, file: PathBuf) -> Result<Self, ManifestError> {
        for (i, route) in self.routes.iter().enumerate() {
            let same = self.routes[..i].iter().find(|earlier| earlier.overlaps(route));
            if let Some(earlier) = same {
                let (line, column) = Self::key_position(text, &["routes"]).unzip();
                return Err(ManifestError::Invalid {
                    location: Location { file, line, column },
                    field: Some(format!("routes[{i}]")),
                    message: format!("\"{route}\" cannot be served beside \"{earlier}\""),
                });
            }
        }
        Ok(self)
    }

    /// The rules between fields: a process function has a `process` section, a wasm one not.
    fn check_runtime(self, text: &str, file: &Path) -> Result<Self, ManifestError> {
        let problem = match (self.runtime, &self.process) {
            (Runtime::Process, None) => Some((
                "runtime",
                "`runtime: process` needs a `process` section with the `entry` to run",
            )),
            (Runtime::Wasm, Some(_)) => {
                Some(("process", "a `process` section only applies to `runtime: process`"))
            }
            // A process reaches the network with the host user's rights: a list that restricts
            // nothing must not look like it does.
            (Runtime::Process, Some(_)) if !self.allowed_hosts.is_empty() => Some((
                "allowed_hosts",
                "`allowed_hosts` only restricts wasm functions; a process function is not sandboxed",
            )),
            (Runtime::Process, Some(_)) if !self.api.scopes.is_empty() => {
                Some(("api", "the app's API (`api.scopes`) is offered to wasm functions only"))
            }
            // Hooks call a JSON handler with an event; a function with routes answers HTTP.
            _ if !self.routes.is_empty() && !self.hooks.is_empty() => Some((
                "hooks",
                "a function with `routes` answers HTTP requests only; put the hooks in a function of their own",
            )),
            _ => None,
        };
        let Some((key, message)) = problem else { return Ok(self) };
        let (line, column) = Self::key_position(text, &[key]).unzip();
        Err(ManifestError::Invalid {
            location: Location { file: file.to_path_buf(), line, column },
            field: Some(key.to_owned()),
            message: message.to_owned(),
        })
    }

    /// Reads, parses and validates the manifest at `path`.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, ManifestError> {
        let file = path.as_ref().to_path_buf();
        Self::from_yaml(&read_text(&file)?, file)
    }

    /// The line and column (1-based) where the field at `path` (`["build", "output"]`) is
    /// written in a manifest's `text` (block-style YAML), for errors found after parsing; the
    /// column is its value's when the value is on the same line.
    ///
    /// ```
    /// use wasmfn_schema::Manifest;
    /// let text = "name: f\nbuild:\n  command: make\n  output: out.wasm\n";
    /// assert_eq!(Manifest::key_position(text, &["build", "output"]), Some((4, 11)));
    /// assert_eq!(Manifest::key_position(text, &["name"]), Some((1, 7)));
    /// assert_eq!(Manifest::key_position(text, &["output"]), None);
    /// ```
    pub fn key_position(text: &str, path: &[&str]) -> Option<(usize, usize)> {
        let lines: Vec<&str> = text.lines().collect();
        let (mut from, mut parent_indent, mut found) = (0, None, None);
        for key in path {
            let needle = format!("{key}:");
            let mut hit = None;
            for (i, line) in lines.iter().enumerate().skip(from) {
                let body = line.trim_start();
                if body.is_empty() || body.starts_with('#') {
                    continue;
                }
                let indent = line.len() - body.len();
                match parent_indent {
                    // The parent's block ends at the first line indented no deeper than it.
                    Some(parent) if indent <= parent => break,
                    None if indent > 0 => continue,
                    _ => {}
                }
                if body.starts_with(&needle) {
                    hit = Some((i, indent));
                    break;
                }
            }
            let (i, indent) = hit?;
            (from, parent_indent, found) = (i + 1, Some(indent), Some((i, indent + needle.len())));
        }
        let (i, after_key) = found?;
        let rest = &lines[i][after_key..];
        let value = after_key + (rest.len() - rest.trim_start().len());
        Some((
            i + 1,
            if rest.trim().is_empty() { after_key - path.last()?.len() } else { value + 1 },
        ))
    }
}

/// The most a manifest file may hold: a manifest is a few hundred bytes.
pub const MAX_MANIFEST_BYTES: u64 = 1024 * 1024;

/// The text of the manifest at `file`: a regular file of at most [`MAX_MANIFEST_BYTES`] (a
/// pipe or a device named `manifest.yaml` is refused, never read).
pub fn read_text(file: &Path) -> Result<String, ManifestError> {
    use std::io::Read;

    let read = || -> std::io::Result<String> {
        let metadata = std::fs::metadata(file)?;
        if !metadata.is_file() {
            return Err(std::io::Error::other("not a regular file"));
        }
        if metadata.len() > MAX_MANIFEST_BYTES {
            return Err(std::io::Error::other("larger than 1 MiB"));
        }
        let mut text = String::new();
        std::fs::File::open(file)?.take(MAX_MANIFEST_BYTES).read_to_string(&mut text)?;
        Ok(text)
    };
    read().map_err(|source| ManifestError::Read { file: file.to_path_buf(), source })
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

/// serde_yaml places an error raised inside a nested map's value (`build.output`) at the map's
/// first key; the field's own line says more.
fn at_field(text: &str, error: &ManifestError) -> Option<ManifestError> {
    let ManifestError::Invalid { location, field: Some(field), message } = error else {
        return None;
    };
    if !field.contains('.') || field.contains('[') {
        return None;
    }
    let path: Vec<&str> = field.split('.').collect();
    let (line, column) = Manifest::key_position(text, &path)?;
    let location = Location { file: location.file.clone(), line: Some(line), column: Some(column) };
    Some(ManifestError::Invalid { location, field: Some(field.clone()), message: message.clone() })
}

/// Hooks are told apart by their `type` field, so serde reads each one whole before choosing
/// its kind, and an error inside one loses its field and line (`hooks[1]`, at the list's
/// start). This reads the failing hook again as its own kind, to name the field
/// (`hooks[1].cron`) and the line it is on.
fn refine_hook_error(text: &str, error: &ManifestError) -> Option<ManifestError> {
    use super::hooks::{DatabaseHook, ScheduleHook, WebhookHook};

    let ManifestError::Invalid { location, field: Some(field), .. } = error else { return None };
    let index: usize = field.strip_prefix("hooks[")?.strip_suffix(']')?.parse().ok()?;
    let document: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).ok()?;
    let mut hook = document.get("hooks")?.get(index)?.clone();
    let kind = hook.get("type")?.as_str()?.to_owned();
    hook.as_mapping_mut()?.remove("type");
    let inner = match kind.as_str() {
        "database" => serde_path_to_error::deserialize::<_, DatabaseHook>(hook).err()?,
        "webhook" => serde_path_to_error::deserialize::<_, WebhookHook>(hook).err()?,
        "schedule" => serde_path_to_error::deserialize::<_, ScheduleHook>(hook).err()?,
        _ => return None,
    };
    let key = inner.path().to_string();
    let message = inner.into_inner().to_string();
    let message = message.strip_prefix(&format!("{key}: ")).unwrap_or(&message).to_owned();
    let (line, column) = hook_key_position(text, index, &key).unzip();
    Some(ManifestError::Invalid {
        location: Location { file: location.file.clone(), line, column },
        field: Some(if key == "." { field.clone() } else { format!("{field}.{key}") }),
        message,
    })
}

/// The line and column (1-based) of `key:` inside the `index`-th item of the top-level
/// `hooks:` block list, or of the item itself when the key is not written there.
fn hook_key_position(text: &str, index: usize, key: &str) -> Option<(usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|l| l.trim_end() == "hooks:")?;
    let indent = |l: &str| l.len() - l.trim_start().len();
    let items: Vec<usize> = (start + 1..lines.len())
        .take_while(|&i| lines[i].trim().is_empty() || indent(lines[i]) > 0)
        .filter(|&i| lines[i].trim_start().starts_with("- "))
        .collect();
    let item_indent = indent(lines[*items.first()?]);
    let items: Vec<usize> =
        items.into_iter().filter(|&i| indent(lines[i]) == item_indent).collect();
    let item = *items.get(index)?;
    let end = items.get(index + 1).copied().unwrap_or(lines.len());
    let needle = format!("{key}:");
    for (i, line) in lines.iter().enumerate().take(end).skip(item) {
        let body = line.trim_start().trim_start_matches("- ");
        if body.starts_with(&needle) {
            let value = line.find(&needle)? + needle.len();
            let value = value + (line.len() - value - line[value..].trim_start().len());
            return Some((i + 1, value + 1));
        }
    }
    Some((item + 1, item_indent + 1))
}
