//! One function as the registry knows it, and the summaries the HTTP API lists.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, SystemTime},
};

use serde::Serialize;

use crate::runtime::{LoadedFunction, error::LoadError};

/// One function: the version serving calls (if any), the last load error (if loading
/// failed) and the last build (in dev mode).
#[derive(Clone, Debug)]
pub struct FunctionEntry {
    pub(super) name: String,
    pub(super) dir: PathBuf,
    pub(super) current: Option<Arc<LoadedFunction>>,
    pub(super) version: u64,
    pub(super) last_error: Option<Arc<LoadError>>,
    pub(super) last_build: Option<BuildReport>,
    pub(super) updated_at: SystemTime,
}

impl FunctionEntry {
    /// The function's name (its folder name when the manifest was never readable).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The function folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The version serving calls, or `None` when the function is disabled.
    pub fn current(&self) -> Option<&Arc<LoadedFunction>> {
        self.current.as_ref()
    }

    /// How many times a version of this function was loaded (1 for the first load); it
    /// grows by one with each successful reload.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The error of the last load, if the last load failed (a version loaded earlier may
    /// still be serving).
    pub fn last_error(&self) -> Option<&Arc<LoadError>> {
        self.last_error.as_ref()
    }

    /// The last build's outcome, if the function was built since the host started.
    pub fn last_build(&self) -> Option<&BuildReport> {
        self.last_build.as_ref()
    }

    /// A summary for listings.
    pub fn info(&self) -> FunctionInfo {
        let manifest = self.current.as_ref().map(|f| &f.spec().manifest);
        FunctionInfo {
            name: self.name.clone(),
            status: if self.current.is_some() {
                FunctionStatus::Ready
            } else {
                FunctionStatus::Disabled
            },
            version: self.version,
            description: manifest.and_then(|m| m.description.clone()),
            dir: self.dir.clone(),
            triggers: manifest.map(triggers).unwrap_or_default(),
            last_error: self.last_error.as_ref().map(|e| e.to_string()),
            build: self.last_build.as_ref().map(BuildReport::info),
            updated_at: rfc3339(self.updated_at),
        }
    }
}

/// How a function's build went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildReport {
    /// `None` when the build succeeded; otherwise why it failed (with the first error of its
    /// output, when one was found).
    pub error: Option<String>,
    /// What it printed (stdout and stderr), bounded: its beginning and its end.
    pub output: String,
    /// How long it ran.
    pub duration: Duration,
    /// When it ended.
    pub finished_at: SystemTime,
}

impl BuildReport {
    /// Whether the build succeeded.
    pub fn succeeded(&self) -> bool {
        self.error.is_none()
    }

    fn info(&self) -> BuildInfo {
        BuildInfo {
            status: if self.succeeded() { "succeeded" } else { "failed" },
            error: self.error.clone(),
            output: self.output.clone(),
            duration_ms: self.duration.as_millis() as u64,
            finished_at: rfc3339(self.finished_at),
        }
    }
}

/// Whether a function can be called.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FunctionStatus {
    /// Loaded and serving calls.
    Ready,
    /// Not callable; `last_error` says why.
    Disabled,
}

/// A function's summary, as `GET /api/functions` lists it.
#[derive(Clone, Debug, Serialize)]
pub struct FunctionInfo {
    /// The function's name.
    pub name: String,
    /// Ready or disabled.
    pub status: FunctionStatus,
    /// How many versions were loaded so far (0 if none ever loaded).
    pub version: u64,
    /// The manifest's description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The function folder.
    pub dir: PathBuf,
    /// The kinds of its hooks (`schedule`, `webhook`, `database`) and `routes` when it has
    /// routes: what can call it besides a direct call.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub triggers: Vec<&'static str>,
    /// Why the last load failed, if it did (the previous version may still serve).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// The last build, in dev mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build: Option<BuildInfo>,
    /// When the entry last changed (RFC 3339, UTC).
    pub updated_at: String,
}

/// A build's outcome, as listings show it.
#[derive(Clone, Debug, Serialize)]
pub struct BuildInfo {
    /// `succeeded` or `failed`.
    pub status: &'static str,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What it printed, bounded.
    pub output: String,
    /// How long it ran.
    pub duration_ms: u64,
    /// When it ended (RFC 3339, UTC).
    pub finished_at: String,
}

/// What can call a function besides a direct call, each kind once.
fn triggers(manifest: &wasmfn_schema::Manifest) -> Vec<&'static str> {
    let mut kinds: Vec<&'static str> = manifest
        .hooks
        .iter()
        .map(|hook| match hook {
            wasmfn_schema::Hook::Schedule(_) => "schedule",
            wasmfn_schema::Hook::Webhook(_) => "webhook",
            _ => "database",
        })
        .collect();
    if !manifest.routes.is_empty() {
        kinds.push("routes");
    }
    kinds.sort_unstable();
    kinds.dedup();
    kinds
}

fn rfc3339(time: SystemTime) -> String {
    humantime::format_rfc3339_seconds(time).to_string()
}
