//! One call of a process function: its subprocess from spawn to exit, under the function's
//! limits. Every process runs in a process group of its own, so a timeout, an oversized
//! output or the end of the call kills whatever it started too.

use std::{
    collections::VecDeque,
    os::unix::process::ExitStatusExt,
    path::PathBuf,
    process::{ExitStatus, Stdio},
    time::Duration,
};

use bytes::Bytes;
use nix::sys::signal::Signal;
use serde::Deserialize;
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWriteExt},
    process::Command,
    sync::watch,
};
use wasmfn_schema::wire::GuestError;

use crate::{
    history::Capture,
    process_group::{self, ProcessGroup},
    runtime::{error::InvokeError, guest_log},
};

/// The most a process may write to stdout in one call unless its manifest says otherwise
/// (`process.max_output`), as for responses of the app's API.
pub const MAX_OUTPUT_BYTES: usize = 16 * 1024 * 1024;
/// The last stderr lines a failure reports.
const TAIL_LINES: usize = 5;
/// How long the pipes are still read once the process exited (see [`drained`]).
const DRAIN: Duration = Duration::from_millis(100);

/// What one call may use.
#[derive(Clone, Copy, Debug)]
pub(super) struct Limits {
    pub(super) timeout: Duration,
    /// For the process's data segment and anonymous memory (`RLIMIT_DATA`), if set.
    pub(super) memory: Option<u64>,
    pub(super) max_output: usize,
}

/// Runs `command` once: `input` on its stdin, its stdout the output, each stderr line a log
/// record (target `wasmfn::guest`) in the current span.
pub(super) async fn run(
    function: &str,
    mut command: Command,
    input: Bytes,
    limits: Limits,
    capture: &Capture,
) -> Result<Bytes, InvokeError> {
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let marker = process_group::new_marker();
    command.env(process_group::MARKER_VAR, &marker);
    let mut child = command.spawn().map_err(|e| InvokeError::Spawn {
        function: function.to_owned(),
        program: PathBuf::from(command.as_std().get_program()),
        message: e.to_string(),
    })?;
    let group = ProcessGroup::of(&child, Some(marker));
    if let Some(Err(error)) = limits.memory.map(|bytes| group.limit_memory(bytes)) {
        tracing::warn!("cannot limit the process's memory: {error}");
    }
    let (stdin, stdout, stderr) = (child.stdin.take(), child.stdout.take(), child.stderr.take());
    let (exit_tx, exit_rx) = watch::channel(false);
    let work = async {
        let write = async move {
            // A process that exits without reading its input closes the pipe: not an error.
            if let Some(mut stdin) = stdin {
                let _ = stdin.write_all(&input).await;
            }
        };
        let exited = async {
            let status = child.wait().await;
            // What it started and left behind goes with it (and closes the pipes it holds).
            group.kill();
            let _ = exit_tx.send(true);
            status
        };
        let ((), output, tail, status) = tokio::join!(
            write,
            read_capped(stdout, limits.max_output, &group, drained(exit_rx.clone())),
            forward_stderr(function, capture, stderr, drained(exit_rx)),
            exited
        );
        (output, tail, status)
    };
    let Ok((output, tail, status)) = tokio::time::timeout(limits.timeout, work).await else {
        group.kill();
        let _ = child.wait().await;
        return Err(InvokeError::Timeout {
            function: function.to_owned(),
            timeout: limits.timeout,
        });
    };
    let Some(output) = output else {
        return Err(InvokeError::OutputTooLarge {
            function: function.to_owned(),
            limit: limits.max_output as u64,
        });
    };
    let failed = |status: String| InvokeError::ProcessFailed {
        function: function.to_owned(),
        status,
        stderr: tail.join("\n"),
    };
    match status {
        Ok(status) if status.success() => Ok(Bytes::from(output)),
        Ok(status) => match serde_json::from_slice::<Failure>(&output) {
            Ok(Failure { error }) => Err(InvokeError::from_guest(function, error)),
            Err(_) => Err(failed(describe(status))),
        },
        Err(error) => Err(failed(format!("cannot wait for the process: {error}"))),
    }
}

/// The protocol's way to fail with a code and a status: `{"error": {"code", "message",
/// "status"}}` on stdout and a non-zero exit.
#[derive(Deserialize)]
struct Failure {
    error: GuestError,
}

/// Completes [`DRAIN`] after the process exited. What it wrote before exiting is in the pipe
/// by then; a descendant that escaped every kill and holds the pipe open is not waited for.
async fn drained(mut exited: watch::Receiver<bool>) {
    let _ = exited.wait_for(|exited| *exited).await;
    tokio::time::sleep(DRAIN).await;
}

/// Reads `pipe` until its end, or until `stop` once nothing is left to read, handing each
/// chunk to `take`; stops early when `take` says so.
async fn read_until(
    pipe: Option<impl AsyncRead + Unpin>,
    stop: impl Future<Output = ()>,
    mut take: impl FnMut(&[u8]) -> bool,
) {
    let Some(mut pipe) = pipe else { return };
    let mut buffer = vec![0u8; 64 * 1024];
    tokio::pin!(stop);
    loop {
        tokio::select! {
            biased;
            // A read error ends the output like EOF; the exit status says what happened.
            read = pipe.read(&mut buffer) => match read {
                Ok(read @ 1..) => if !take(&buffer[..read]) { return },
                _ => return,
            },
            () = &mut stop => return,
        }
    }
}

/// Reads stdout up to `max` bytes; `None` (and the group killed) past that.
async fn read_capped(
    pipe: Option<impl AsyncRead + Unpin>,
    max: usize,
    group: &ProcessGroup,
    stop: impl Future<Output = ()>,
) -> Option<Vec<u8>> {
    let mut output = Vec::new();
    let mut within = true;
    read_until(pipe, stop, |chunk| {
        within = output.len() + chunk.len() <= max;
        if within {
            output.extend_from_slice(chunk);
        }
        within
    })
    .await;
    if !within {
        group.kill();
        return None;
    }
    Some(output)
}

/// Logs each stderr line; returns the last few for error messages.
async fn forward_stderr(
    function: &str,
    capture: &Capture,
    pipe: Option<impl AsyncRead + Unpin>,
    stop: impl Future<Output = ()>,
) -> Vec<String> {
    let mut lines = StderrLines::new(function, capture);
    read_until(pipe, stop, |chunk| {
        lines.push(chunk);
        true
    })
    .await;
    lines.finish()
}

/// Splits stderr into lines, cut at [`guest_log::MAX_MESSAGE`], logged within the call's
/// [`guest_log::Budget`]; past it the rest is still read (so the process never blocks on a
/// full pipe) but dropped.
struct StderrLines<'a> {
    function: &'a str,
    capture: &'a Capture,
    partial: Vec<u8>,
    budget: guest_log::Budget,
    tail: VecDeque<String>,
}

impl<'a> StderrLines<'a> {
    fn new(function: &'a str, capture: &'a Capture) -> Self {
        let budget = guest_log::Budget::default();
        Self { function, capture, partial: Vec::new(), budget, tail: VecDeque::new() }
    }

    fn push(&mut self, mut bytes: &[u8]) {
        while let Some(end) = bytes.iter().position(|&b| b == b'\n') {
            self.extend(&bytes[..end]);
            self.end_line();
            bytes = &bytes[end + 1..];
        }
        self.extend(bytes);
    }

    fn extend(&mut self, bytes: &[u8]) {
        let room = guest_log::MAX_MESSAGE.saturating_sub(self.partial.len());
        self.partial.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    fn end_line(&mut self) {
        let line = String::from_utf8_lossy(&self.partial).trim_end_matches('\r').to_owned();
        self.partial.clear();
        if self.budget.admit(line.len()) {
            guest_log::emit_line(self.function, &line, self.capture);
        }
        if self.tail.len() == TAIL_LINES {
            self.tail.pop_front();
        }
        self.tail.push_back(line);
    }

    fn finish(mut self) -> Vec<String> {
        if !self.partial.is_empty() {
            self.end_line();
        }
        self.tail.into()
    }
}

fn describe(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(signal)) => match Signal::try_from(signal) {
            Ok(signal) => format!("killed by {signal}"),
            Err(_) => format!("killed by signal {signal}"),
        },
        (None, None) => status.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stderr_is_split_into_cut_lines_and_the_tail_is_kept() {
        let capture = Capture::default();
        let mut lines = StderrLines::new("test", &capture);
        lines.push(b"first\r\nsec");
        lines.push(b"ond\n");
        lines.push(&vec![b'x'; guest_log::MAX_MESSAGE * 2]);
        lines.push(b"\nno newline at the end");
        let tail = lines.finish();
        assert_eq!(tail[..2], ["first", "second"]);
        assert_eq!(tail[2].len(), guest_log::MAX_MESSAGE);
        assert_eq!(tail[3], "no newline at the end");
    }

    #[test]
    fn only_the_last_lines_are_kept() {
        let capture = Capture::default();
        let mut lines = StderrLines::new("test", &capture);
        for n in 0..20 {
            lines.push(format!("line {n}\n").as_bytes());
        }
        assert_eq!(lines.finish(), ["line 15", "line 16", "line 17", "line 18", "line 19"]);
    }
}
