//! A process function ready to be called: its command resolved, its limits set, and in serve
//! mode its file pinned to the version that was loaded.

use std::{
    ffi::OsString,
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    sync::Arc,
    time::SystemTime,
};

use bytes::Bytes;
use tokio::process::Command;

use wasmfn_schema::ProcessLanguage;

use super::run::{self, Limits, MAX_OUTPUT_BYTES};
use crate::{
    discovery::{Entrypoint, FunctionSpec, Mode},
    history::Capture,
    invocation::Handler,
    runtime::{
        RuntimeOptions,
        artifact::Artifact,
        error::{DisabledReason, InvokeError, LoadError},
    },
};

use super::permits::Permits;

pub(in crate::runtime) struct ProcessFunction {
    function: Arc<str>,
    program: PathBuf,
    args: Vec<String>,
    dir: PathBuf,
    env: Vec<(String, OsString)>,
    limits: Limits,
    permits: Permits,
    pin: Pin,
}

/// How serve mode keeps serving the version it loaded, whatever happens on disk.
enum Pin {
    /// Dev mode: every call runs the file as it is now (that is its hot reload).
    None,
    /// A build output, copied: self-contained by design (a bundle, a binary).
    Copy {
        /// Removed with the function.
        _dir: tempfile::TempDir,
    },
    /// A source run in place (its imports resolve beside it): a change is refused, not run.
    Unchanged { file: PathBuf, stamp: Option<(SystemTime, u64)> },
}

impl ProcessFunction {
    pub(in crate::runtime) fn load(
        spec: &FunctionSpec,
        options: &RuntimeOptions,
    ) -> Result<Self, LoadError> {
        protect_host();
        let manifest = &spec.manifest;
        let function = manifest.name.to_string();
        let entrypoint = spec
            .entrypoint(options.mode)
            .expect("a process function's manifest has a process section");
        if !entrypoint.file.is_file() {
            return Err(if entrypoint.from_build {
                LoadError::NotBuilt { function, path: entrypoint.file }
            } else {
                LoadError::Entrypoint { function, path: entrypoint.file, problem: "does not exist" }
            });
        }
        let process = manifest.process.as_ref().expect("checked by for_mode");
        let interpreter = if entrypoint.is_interpreted() {
            let name = entrypoint.program.to_string_lossy();
            let found = find_interpreter(&name, &spec.dir);
            Some(found.ok_or_else(|| LoadError::Interpreter {
                function: function.clone(),
                program: name.into_owned(),
                language: process.language(),
            })?)
        } else {
            let executable = std::fs::metadata(&entrypoint.file)
                .is_ok_and(|m| m.permissions().mode() & 0o111 != 0);
            if !executable {
                return Err(LoadError::Entrypoint {
                    function,
                    path: entrypoint.file,
                    problem: "is not executable (chmod +x)",
                });
            }
            None
        };
        let (entrypoint, pin) = pin(spec, entrypoint, options.mode, options.max_artifact_size)?;
        // A binary runs as its (pinned) file.
        let program = interpreter.unwrap_or_else(|| entrypoint.program.clone());
        let config = serde_json::to_string(&manifest.config).expect("a string map serializes");
        let mut env: Vec<(String, OsString)> = process
            .env
            .iter()
            .filter_map(|name| Some((name.clone(), std::env::var_os(name)?)))
            .collect();
        env.push(("WASMFN_FUNCTION".into(), function.clone().into()));
        env.push(("WASMFN_MODE".into(), options.mode.as_str().into()));
        env.push(("WASMFN_CONFIG".into(), config.into()));
        let timeout = manifest.timeout.get();
        let (args, memory) = memory_limit(entrypoint, process.language(), manifest.memory.bytes());
        let function: Arc<str> = function.into();
        Ok(Self {
            function: Arc::clone(&function),
            program,
            args,
            dir: spec.dir.clone(),
            env,
            limits: Limits {
                timeout,
                memory,
                max_output: process.max_output.map_or(MAX_OUTPUT_BYTES, |m| m.bytes() as usize),
            },
            permits: Permits::new(
                Arc::clone(&function),
                options.pool_size,
                options.queue_timeout.unwrap_or(timeout),
            ),
            pin,
        })
    }

    /// Runs the process once, at most `pool_size` at a time.
    pub(in crate::runtime) fn metrics(&self) -> &crate::metrics::FunctionMetrics {
        self.permits.metrics()
    }

    pub(in crate::runtime) async fn call(
        &self,
        input: Bytes,
        handler: Handler,
        capture: &Capture,
    ) -> Result<Bytes, InvokeError> {
        let _permit = self.permits.acquire().await?;
        if let Pin::Unchanged { file, stamp } = &self.pin
            && stamp_of(file) != *stamp
        {
            return Err(InvokeError::Disabled {
                function: self.function.to_string(),
                reason: DisabledReason::Stale(format!(
                    "{} changed since it was loaded, and serve mode never reloads: restart to serve it",
                    file.display()
                )),
            });
        }
        let mut command = Command::new(&self.program);
        command.args(&self.args).current_dir(&self.dir).env_clear().envs(self.env.iter().cloned());
        // How to read stdin: a JSON document, or an HTTP request (a JSON head line, the body).
        command.env("WASMFN_HANDLER", if handler == Handler::Http { "http" } else { "json" });
        run::run(&self.function, command, input, self.limits, capture).await
    }
}

/// A process function runs as the host's user, and a process of the same user may read the
/// host's `/proc/<pid>/environ` (every secret in its environment) and memory, or attach a
/// debugger to it, unless the host is not "dumpable". Made so once, before the first process
/// function can run; it also turns off the host's core dumps. A process with CAP_SYS_PTRACE
/// (a host running as root) is not stopped by it: run the host as an unprivileged user.
fn protect_host() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if let Err(error) = nix::sys::prctl::set_dumpable(false) {
            tracing::warn!("cannot hide the host's memory and environment from processes: {error}");
        }
    });
}

/// The arguments to run with, and the `RLIMIT_DATA` to set. Deno's V8 reserves more than
/// 512 MiB of writable address space as it starts, beyond any sensible data limit: its heap
/// is limited through V8's own flag instead (the flag goes right after `run`).
fn memory_limit(
    entrypoint: Entrypoint,
    language: ProcessLanguage,
    bytes: u64,
) -> (Vec<String>, Option<u64>) {
    let interpreted = entrypoint.is_interpreted();
    let mut args = entrypoint.args;
    if language == ProcessLanguage::Deno && interpreted {
        let megabytes = (bytes / (1024 * 1024)).max(1);
        args.insert(1, format!("--v8-flags=--max-old-space-size={megabytes}"));
        return (args, None);
    }
    (args, Some(bytes))
}

/// `name` on `PATH`, else in `node_modules/.bin` of the function folder or a folder above it
/// (where npm installs tools like `deno` or `tsx`).
fn find_interpreter(name: &str, dir: &Path) -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .and_then(|path| std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file()));
    on_path.or_else(|| {
        dir.ancestors().map(|d| d.join("node_modules/.bin").join(name)).find(|p| p.is_file())
    })
}

/// In serve mode, the file the function runs as it was at load time.
fn pin(
    spec: &FunctionSpec,
    entrypoint: Entrypoint,
    mode: Mode,
    max_size: u64,
) -> Result<(Entrypoint, Pin), LoadError> {
    if mode.is_dev() {
        return Ok((entrypoint, Pin::None));
    }
    if !entrypoint.from_build {
        let stamp = stamp_of(&entrypoint.file);
        let file = entrypoint.file.clone();
        return Ok((entrypoint, Pin::Unchanged { file, stamp }));
    }
    let dir = LoadError::reading(spec.name(), &entrypoint.file, || {
        let file = Artifact::open(&spec.dir, &entrypoint.file, max_size)?;
        let permissions = file.permissions()?;
        let bytes = file.read()?;
        let dir = tempfile::Builder::new().prefix(&format!("wasmfn-{}-", spec.name())).tempdir()?;
        let copy = dir.path().join(entrypoint.file.file_name().unwrap_or_default());
        std::fs::write(&copy, bytes)?;
        // A binary stays executable.
        std::fs::set_permissions(&copy, permissions)?;
        Ok(dir)
    })?;
    let copy = dir.path().join(entrypoint.file.file_name().unwrap_or_default());
    Ok((entrypoint.running(&copy), Pin::Copy { _dir: dir }))
}

fn stamp_of(file: &Path) -> Option<(SystemTime, u64)> {
    let metadata = std::fs::metadata(file).ok()?;
    Some((metadata.modified().ok()?, metadata.len()))
}
