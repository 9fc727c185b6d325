//! The `manifest.yaml` of a function: what it is, how it is built, how it runs and what
//! triggers it.
//!
//! ```
//! use wasmfn_schema::{Manifest, Runtime};
//!
//! let yaml = "
//! name: hello
//! build:
//!   command: cargo
//!   args: [build, --release]
//!   watch: [src/**/*.rs]
//!   output: target/wasm32-unknown-unknown/release/hello.wasm
//! timeout: 5s
//! ";
//! let manifest = Manifest::from_yaml(yaml, "functions/hello/manifest.yaml")?;
//! assert_eq!(manifest.name.as_str(), "hello");
//! assert_eq!(manifest.runtime, Runtime::Wasm);
//! assert_eq!(manifest.timeout.get(), std::time::Duration::from_secs(5));
//! assert_eq!(manifest.memory.bytes(), 256 * 1024 * 1024);
//! # Ok::<(), wasmfn_schema::ManifestError>(())
//! ```

mod error;
mod hooks;
#[cfg(feature = "json-schema")]
pub mod json_schema;
mod parse;
mod process;
mod route;
mod values;

use std::{collections::BTreeMap, path::PathBuf};

use serde::{Deserialize, Serialize};

pub use self::{
    error::{Location, ManifestError},
    hooks::{CatchUp, DatabaseAction, DatabaseHook, Hook, ScheduleHook, WebhookHook},
    parse::{MAX_MANIFEST_BYTES, read_text},
    process::{ProcessConfig, ProcessLanguage},
    route::{HttpLimits, RESERVED_PREFIXES, Route},
    values::{ApiScope, BodySize, CronSchedule, FunctionName, MemoryLimit, Timeout},
};

/// The file name wasmfn looks for in each function folder.
pub const MANIFEST_FILE: &str = "manifest.yaml";

/// A function's `manifest.yaml`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The function's name, used in its URL (`/api/functions/<name>`) and in logs. Lowercase
    /// letters, digits and `-`, at most 63 characters.
    pub name: FunctionName,

    /// What the function does, shown in listings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,

    /// How the function runs: `wasm` (default) loads a WebAssembly module through Extism;
    /// `process` runs a subprocess per call (see the `process` section).
    #[serde(default)]
    pub runtime: Runtime,

    /// For `runtime: process`: the source, the program that runs it, the environment it sees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<ProcessConfig>,

    /// The exported function of the wasm module that a call runs. Any Extism plugin works.
    #[serde(default = "default_export", skip_serializing_if = "is_default_export")]
    #[cfg_attr(feature = "json-schema", schemars(extend("default" = "handle")))]
    pub export: String,

    /// How to build the function's artifact. Without it, the function folder must hold a
    /// prebuilt `plugin.wasm`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<Build>,

    /// The longest one call may run before it is stopped, like `500ms`, `30s` or `2m`.
    #[serde(default)]
    #[cfg_attr(feature = "json-schema", schemars(extend("default" = "30s")))]
    pub timeout: Timeout,

    /// The most memory one instance may use, like `64mb` or `1gib` (wasm32 caps it at 4 GiB);
    /// for a process function, its data limit.
    #[serde(default)]
    #[cfg_attr(feature = "json-schema", schemars(extend("default" = "256mib")))]
    pub memory: MemoryLimit,

    /// Hosts the function may send HTTP requests to (`api.example.com`, `*.example.com`).
    /// Empty by default: no network. Wasm functions only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_hosts: Vec<String>,

    /// What the function may call of the host app's own API (`wasmfn_pdk::api` in Rust,
    /// `api` from "wasmfn" in JS/TS). Without it, none of it. Wasm functions only.
    #[serde(default, skip_serializing_if = "HostApiAccess::is_empty")]
    pub api: HostApiAccess,

    /// Configuration values the function reads at run time (`config::get` in the PDKs).
    /// Do not put secrets here.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub config: BTreeMap<String, String>,

    /// HTTP routes the function answers, like `GET /hello/{name}`, `POST /hooks/stripe` or
    /// `ANY /app/**`: it then receives the request (method, URL, path parameters, headers,
    /// body) and returns a status, headers and a body. See `docs/http.md`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<Route>,

    /// Limits of the requests the routes receive and of the responses the function returns.
    #[serde(default, skip_serializing_if = "HttpLimits::is_default")]
    pub http: HttpLimits,

    /// Events that call the function besides direct calls: database changes, webhooks and
    /// schedules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hooks: Vec<Hook>,

    /// What the host's call history (when the host keeps one: `wasmfn dev`, the dashboard)
    /// records of this function's calls: `full` (default: inputs, outputs and logs, cut to a
    /// few KiB), `redacted` (when, how long, the outcome; no input, output or logs: for
    /// functions handling secrets or personal data) or `off` (nothing).
    #[serde(default, skip_serializing_if = "History::is_default")]
    pub history: History,
}

/// What the call history keeps of a function's calls (the manifest's `history`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum History {
    /// Inputs, outputs and logs, cut to the host's limits.
    #[default]
    Full,
    /// The call's id, trigger, time, duration and outcome; no input, output or logs.
    Redacted,
    /// Nothing.
    Off,
}

impl History {
    fn is_default(&self) -> bool {
        *self == Self::Full
    }
}

impl Manifest {
    /// Where the function's artifact is, relative to its folder: the build's `output`, or
    /// `plugin.wasm` for a function without a build.
    pub fn artifact(&self) -> PathBuf {
        match &self.build {
            Some(build) => build.output.clone(),
            None => PathBuf::from(DEFAULT_ARTIFACT),
        }
    }
}

/// The artifact a function without a `build` section is expected to ship.
pub const DEFAULT_ARTIFACT: &str = "plugin.wasm";

fn default_export() -> String {
    "handle".to_owned()
}

fn is_default_export(export: &str) -> bool {
    export == "handle"
}

/// How a function runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Runtime {
    /// A WebAssembly module run in the host process through Extism, sandboxed.
    #[default]
    Wasm,
    /// A subprocess speaking JSON over stdin/stdout, described by the `process` section
    /// (opt-in; see `docs/process-runtime.md`).
    Process,
}

/// What a function may call of the host app's own API. Each call carries a token the host
/// mints for that one invocation, holding these scopes; the host refuses (403) a request no
/// scope covers before it reaches the app.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct HostApiAccess {
    /// The requests the function may make, like `POST /api/audit` or `GET /api/notes/*`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<ApiScope>,
}

impl HostApiAccess {
    /// Whether no request is granted.
    pub fn is_empty(&self) -> bool {
        self.scopes.is_empty()
    }
}

/// How a function's artifact is built from its sources.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Build {
    /// The program to run, in the function's folder (`cargo`, `npm`, `wasmfn`, ...).
    pub command: NonEmptyString,

    /// Arguments passed to the command, each as is (no shell).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,

    /// Globs, relative to the function folder, of the sources whose change triggers a rebuild
    /// in dev mode.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub watch: Vec<String>,

    /// The artifact the build produces, relative to the function folder (and inside it).
    #[serde(deserialize_with = "non_empty_path")]
    #[cfg_attr(feature = "json-schema", schemars(length(min = 1)))]
    pub output: PathBuf,
}

/// A path inside the function folder: relative, and never through `..`. Where it leads once
/// symlinks are resolved is checked when the folder is read (discovery).
fn non_empty_path<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<PathBuf, D::Error> {
    use std::path::Component;

    let path = PathBuf::from(NonEmptyString::deserialize(deserializer)?.0);
    let escapes = path.components().any(|c| !matches!(c, Component::Normal(_) | Component::CurDir));
    if escapes {
        return Err(serde::de::Error::custom(format!(
            "{:?} leaves the function folder: write a path relative to it, without `..`",
            path.display().to_string()
        )));
    }
    Ok(path)
}

/// A string that must not be empty or blank.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "json-schema", schemars(transparent))]
pub struct NonEmptyString(#[cfg_attr(feature = "json-schema", schemars(length(min = 1)))] String);

impl NonEmptyString {
    /// The string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for NonEmptyString {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        if s.trim().is_empty() {
            return Err(serde::de::Error::custom("must not be empty"));
        }
        Ok(Self(s))
    }
}
