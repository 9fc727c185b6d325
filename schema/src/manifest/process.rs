//! The `process` section: how a `runtime: process` function runs as a subprocess.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::MemoryLimit;

/// How a `runtime: process` function runs: its source, the program that runs it, and what it
/// may see of the host's environment.
///
/// ```
/// use wasmfn_schema::{Manifest, ProcessLanguage};
///
/// let manifest = Manifest::from_yaml("
/// name: resize
/// runtime: process
/// process:
///   entry: src/main.py
///   env: [S3_BUCKET]
/// ", "resize/manifest.yaml")?;
/// let process = manifest.process.as_ref().unwrap();
/// assert_eq!(process.language(), ProcessLanguage::Python);
/// # Ok::<(), wasmfn_schema::ManifestError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ProcessConfig {
    /// The program that runs the function. Without it, it follows from the entry's extension:
    /// `.js`/`.mjs`/`.cjs` node, `.ts`/`.mts` deno, `.py` python, `.go` go, anything else a
    /// binary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<ProcessLanguage>,

    /// The source file, relative to the function folder: what dev mode runs (and serve mode
    /// too when there is no `build`).
    #[serde(deserialize_with = "super::non_empty_path")]
    #[cfg_attr(feature = "json-schema", schemars(length(min = 1)))]
    pub entry: PathBuf,

    /// Arguments for the interpreter, before the script (`--no-warnings`, `-X utf8`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,

    /// More interpreter arguments, only when dev mode runs the source: a loader the build
    /// output does not need, like `[--import, tsx]` for TypeScript on node.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dev_args: Vec<String>,

    /// The most the process may write to stdout in one call, like `1mib` (default 16 MiB):
    /// past it the process is killed and the call fails with `output_too_large`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "json-schema", schemars(extend("default" = "16mib")))]
    pub max_output: Option<MemoryLimit>,

    /// Names of the host's environment variables the process sees. Nothing else of the
    /// host's environment is passed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
}

impl ProcessConfig {
    /// The language: as written, or inferred from the entry's extension.
    pub fn language(&self) -> ProcessLanguage {
        self.language.unwrap_or_else(|| ProcessLanguage::infer(&self.entry))
    }
}

/// What runs a process function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum ProcessLanguage {
    /// `node <file>`.
    Node,
    /// `deno run <file>`.
    Deno,
    /// `python3 <file>`.
    Python,
    /// `go run <file>` from source; a built output runs directly.
    Go,
    /// The file itself, executed directly.
    Binary,
}

impl ProcessLanguage {
    /// The language a file's extension suggests.
    ///
    /// ```
    /// use std::path::Path;
    /// use wasmfn_schema::ProcessLanguage;
    ///
    /// assert_eq!(ProcessLanguage::infer(Path::new("src/index.mjs")), ProcessLanguage::Node);
    /// assert_eq!(ProcessLanguage::infer(Path::new("main.go")), ProcessLanguage::Go);
    /// assert_eq!(ProcessLanguage::infer(Path::new("bin/resize")), ProcessLanguage::Binary);
    /// ```
    pub fn infer(file: &Path) -> Self {
        match file.extension().and_then(|e| e.to_str()).unwrap_or_default() {
            "js" | "mjs" | "cjs" => Self::Node,
            "ts" | "mts" => Self::Deno,
            "py" => Self::Python,
            "go" => Self::Go,
            _ => Self::Binary,
        }
    }

    /// The program and its leading arguments that run `file` (a source, or a built output):
    /// `None` when the file is run directly.
    ///
    /// ```
    /// use std::path::Path;
    /// use wasmfn_schema::ProcessLanguage;
    ///
    /// assert_eq!(ProcessLanguage::Deno.interpreter(Path::new("a.ts")), Some(("deno", &["run"][..])));
    /// assert_eq!(ProcessLanguage::Go.interpreter(Path::new("main.go")), Some(("go", &["run"][..])));
    /// assert_eq!(ProcessLanguage::Go.interpreter(Path::new("bin/main")), None);
    /// ```
    pub fn interpreter(self, file: &Path) -> Option<(&'static str, &'static [&'static str])> {
        match self {
            Self::Node => Some(("node", &[])),
            Self::Deno => Some(("deno", &["run"])),
            Self::Python => Some(("python3", &[])),
            Self::Go if file.extension().is_some_and(|e| e == "go") => Some(("go", &["run"])),
            Self::Go | Self::Binary => None,
        }
    }
}
