//! [`BuildRunner`]: runs a function's manifest `build`, streaming its output into `tracing`.

use std::{
    collections::VecDeque,
    path::PathBuf,
    process::{ExitStatus, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant, SystemTime},
};

use tokio::{
    io::{AsyncBufReadExt, AsyncRead, BufReader},
    process::Command,
};
use tracing::Instrument;

use super::diagnostic;
use crate::{
    discovery::{FunctionSpec, Mode},
    process_group::ProcessGroup,
    registry::BuildReport,
};

/// Why a build did not produce the function's artifact.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildCommandError {
    /// The manifest has no `build` section.
    #[error("{function}: the manifest has no build")]
    NoBuild {
        /// The function.
        function: String,
    },
    /// The command could not be started (not installed, not executable, ...).
    #[error("{function}: cannot run the build command {command:?}: {source}")]
    Spawn {
        /// The function.
        function: String,
        /// The program.
        command: String,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The command exited unsuccessfully.
    #[error("{function}: the build failed ({status}): {}", first_error.as_deref().unwrap_or("its output is in the log above"))]
    Failed {
        /// The function.
        function: String,
        /// How it exited.
        status: ExitStatus,
        /// The first error in its output, with its place (`src/index.ts:20:6: ERROR: ...`),
        /// when one could be found.
        first_error: Option<String>,
    },
    /// The command ran past the build timeout and was killed.
    #[error("{function}: the build took longer than {} and was stopped", humantime::format_duration(*after))]
    TimedOut {
        /// The function.
        function: String,
        /// The timeout.
        after: Duration,
    },
    /// The command succeeded but the artifact is not there.
    #[error("{function}: the build succeeded but did not write {}", path.display())]
    NoArtifact {
        /// The function.
        function: String,
        /// Where the manifest says the artifact is.
        path: PathBuf,
    },
}

/// Runs manifest builds: the command with its args in the function folder, with
/// `WASMFN_FUNCTION` (the name) and `WASMFN_OUTPUT` (the absolute artifact path) in its
/// environment. Each output line goes to `tracing` (target `wasmfn::build`, in a `build`
/// span carrying the function's name). A command that is missing, fails or hangs only fails its build.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use wasmfn::{FunctionSpec, dev::BuildRunner};
///
/// let spec = FunctionSpec::from_dir("functions/hello")?;
/// let took = BuildRunner::new().with_timeout(Duration::from_secs(120)).run(&spec).await?;
/// println!("built in {took:?}");
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct BuildRunner {
    timeout: Duration,
    wasmfn_binary: Option<PathBuf>,
    dev: bool,
}

impl Default for BuildRunner {
    fn default() -> Self {
        Self { timeout: Duration::from_secs(600), wasmfn_binary: None, dev: false }
    }
}

impl BuildRunner {
    /// A runner with a 10 minute build timeout.
    pub fn new() -> Self {
        Self::default()
    }

    /// How long a build may run before it is killed.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The program a manifest's `command: wasmfn` runs (default: `wasmfn` from `PATH`). The
    /// CLI sets it to itself.
    pub fn with_wasmfn_binary(mut self, path: impl Into<PathBuf>) -> Self {
        self.wasmfn_binary = Some(path.into());
        self
    }

    /// Marks builds as dev-mode builds: their command sees `WASMFN_MODE=dev` (else `serve`),
    /// so it can trade output quality for speed (`wasmfn build-js` skips pre-initializing).
    /// Dev mode sets it.
    pub fn for_dev(mut self, dev: bool) -> Self {
        self.dev = dev;
        self
    }

    /// Runs the build of `spec` and returns how long it took.
    pub async fn run(&self, spec: &FunctionSpec) -> Result<Duration, BuildCommandError> {
        self.run_into(spec, &BuildOutput::default()).await
    }

    /// [`run`](Self::run), its output also kept in `output`.
    async fn run_into(
        &self,
        spec: &FunctionSpec,
        output: &BuildOutput,
    ) -> Result<Duration, BuildCommandError> {
        let function = spec.name().to_owned();
        let Some(build) = &spec.manifest.build else {
            return Err(BuildCommandError::NoBuild { function });
        };
        let program = match (build.command.as_str(), &self.wasmfn_binary) {
            ("wasmfn", Some(binary)) => binary.clone(),
            (command, _) => command.into(),
        };
        let started = Instant::now();
        let mut child = Command::new(&program)
            .args(&build.args)
            .current_dir(&spec.dir)
            .env("WASMFN_FUNCTION", &function)
            .env("WASMFN_MODE", if self.dev { "dev" } else { "serve" })
            // Absolute: the command runs in the function folder, not where the host runs.
            .env(
                "WASMFN_OUTPUT",
                std::path::absolute(&spec.artifact).unwrap_or(spec.artifact.clone()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            // Its own process group, so a timeout can stop what the build started too.
            .process_group(0)
            .spawn()
            .map_err(|source| BuildCommandError::Spawn {
                function: function.clone(),
                command: build.command.as_str().to_owned(),
                source,
            })?;
        // Killed with everything it started when this future ends: at a timeout, or when
        // dev mode stops (a shutdown) while the build runs.
        let group = ProcessGroup::of(&child, None);
        let span = tracing::info_span!(target: "wasmfn::build", "build", function = %function);
        tracing::info!(target: "wasmfn::build", parent: &span, "{} {}", build.command.as_str(), build.args.join(" "));
        let stdout = forward_lines(span.clone(), child.stdout.take(), output.clone());
        let stderr = forward_lines(span, child.stderr.take(), output.clone());
        let status = match tokio::time::timeout(self.timeout, child.wait()).await {
            Ok(status) => status.map_err(|source| BuildCommandError::Spawn {
                function: function.clone(),
                command: build.command.as_str().to_owned(),
                source,
            })?,
            Err(_) => {
                group.kill();
                // Reap it, so no zombie is left behind.
                let _ = child.kill().await;
                return Err(BuildCommandError::TimedOut { function, after: self.timeout });
            }
        };
        // The output may still be draining; its pipes close when the process is gone, unless
        // a grandchild holds them open, hence the bound.
        let _ = tokio::time::timeout(Duration::from_secs(1), async {
            let _ = tokio::join!(stdout, stderr);
        })
        .await;
        if !status.success() {
            let first_error = diagnostic::first_error(&output.text());
            return Err(BuildCommandError::Failed { function, status, first_error });
        }
        if !spec.artifact.is_file() {
            return Err(BuildCommandError::NoArtifact { function, path: spec.artifact.clone() });
        }
        Ok(started.elapsed())
    }

    /// Runs the build of `spec` and reports it the way the registry records builds.
    pub async fn report(&self, spec: &FunctionSpec) -> BuildReport {
        let started = Instant::now();
        let output = BuildOutput::default();
        let result = self.run_into(spec, &output).await;
        let duration = started.elapsed();
        crate::metrics::built(spec.name(), result.is_ok(), duration);
        BuildReport {
            error: result.err().map(|e| e.to_string()),
            output: output.text(),
            duration,
            finished_at: SystemTime::now(),
        }
    }
}

/// Why a function needs building before it can serve its current sources, if it does.
pub fn stale_reason(spec: &FunctionSpec) -> Option<&'static str> {
    if !spec.needs_build(Mode::Dev) {
        return None;
    }
    let Ok(built) = std::fs::metadata(&spec.artifact).and_then(|m| m.modified()) else {
        return Some("no artifact yet");
    };
    let newer = spec.source_files().into_iter().any(|file| {
        std::fs::metadata(file).and_then(|m| m.modified()).is_ok_and(|changed| changed > built)
    });
    newer.then_some("sources changed since the last build")
}

/// Logs each line of `pipe` in the build's span (`build{function=...}: line`) and keeps it in
/// `output`.
fn forward_lines(
    span: tracing::Span,
    pipe: Option<impl AsyncRead + Unpin + Send + 'static>,
    output: BuildOutput,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(
        async move {
            let Some(pipe) = pipe else { return };
            let mut lines = BufReader::new(pipe).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                tracing::info!(target: "wasmfn::build", "{line}");
                output.push(line);
            }
        }
        .instrument(span),
    )
}

/// A build's output, bounded: its beginning (where compilers put the first error) and its
/// end (what failed last), [`HALF`] bytes each, the middle left out.
#[derive(Clone, Debug, Default)]
struct BuildOutput(Arc<Mutex<Kept>>);

#[derive(Debug, Default)]
struct Kept {
    head: Vec<String>,
    head_bytes: usize,
    tail: VecDeque<String>,
    tail_bytes: usize,
    left_out: usize,
}

/// How many bytes of a build's output are kept at each end.
const HALF: usize = 16 * 1024;

impl BuildOutput {
    fn push(&self, line: String) {
        let mut kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if kept.head_bytes + line.len() <= HALF && kept.tail.is_empty() {
            kept.head_bytes += line.len() + 1;
            kept.head.push(line);
            return;
        }
        kept.tail_bytes += line.len() + 1;
        kept.tail.push_back(line);
        while kept.tail_bytes > HALF {
            let Some(dropped) = kept.tail.pop_front() else { break };
            kept.tail_bytes -= dropped.len() + 1;
            kept.left_out += 1;
        }
    }

    fn text(&self) -> String {
        let kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let mut text = kept.head.join("\n");
        if kept.left_out > 0 {
            text.push_str(&format!("\n… ({} lines left out) …", kept.left_out));
        }
        for line in &kept.tail {
            text.push('\n');
            text.push_str(line);
        }
        text
    }
}
