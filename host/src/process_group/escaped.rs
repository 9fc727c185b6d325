//! Processes a call started that left its process group (`setsid`, a daemonizing library):
//! found by the marker every call's environment carries, and killed when the call ends.
//!
//! Killing the group reaches everything else the call started. What called `setsid` has a
//! group of its own, and once its parent exits it is no longer anyone's child we know. It still
//! carries the environment it was started with, so the host looks for the call's marker in
//! `/proc/<pid>/environ` of the processes started since the call's process: a handful, told
//! apart by the kernel's pid counter (`ns_last_pid`), so a call pays a few reads, not a read
//! of every process on the machine. A process that clears its environment and then escapes
//! is not found: process functions are not a sandbox (see `docs/security.md`).

use std::{
    fs,
    sync::atomic::{AtomicU64, Ordering},
};

use nix::{
    sys::signal::{Signal, kill},
    unistd::Pid,
};

/// The environment variable every call's process (and what it starts) carries.
pub(crate) const MARKER_VAR: &str = "WASMFN_CALL";

/// A value of [`MARKER_VAR`] unique to one call among every wasmfn host on the machine.
pub(crate) fn new_marker() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Kills (SIGKILL) every process started after `first` (the call's own process) whose
/// environment holds `MARKER_VAR=marker`; returns how many.
pub(super) fn kill_escaped(first: i32, marker: &str) -> usize {
    let needle = format!("{MARKER_VAR}={marker}\0");
    let Some(last) = last_pid() else { return 0 };
    let started_since = |pid: i32| {
        if first <= last {
            pid > first && pid <= last
        } else {
            // The pid counter wrapped around since the call started.
            pid > first || pid <= last
        }
    };
    let Ok(entries) = fs::read_dir("/proc") else { return 0 };
    let mut killed = 0;
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else {
            continue;
        };
        if !started_since(pid) {
            continue;
        }
        // Gone already, or another user's: not ours either way.
        let Ok(environ) = fs::read(entry.path().join("environ")) else { continue };
        if contains(&environ, needle.as_bytes())
            && kill(Pid::from_raw(pid), Signal::SIGKILL).is_ok()
        {
            killed += 1;
        }
    }
    killed
}

/// The pid the kernel handed out last (in this pid namespace).
fn last_pid() -> Option<i32> {
    fs::read_to_string("/proc/sys/kernel/ns_last_pid").ok()?.trim().parse().ok()
}

/// Whether `environ` (`NAME=value\0` entries) holds the entry `needle` (which ends in `\0`).
fn contains(environ: &[u8], needle: &[u8]) -> bool {
    environ.split_inclusive(|&b| b == 0).any(|entry| entry == needle)
        // The last entry may lack its `\0`.
        || environ.rsplit(|&b| b == 0).next() == Some(&needle[..needle.len() - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_matches_whole_entries_only() {
        let needle = b"WASMFN_CALL=7-1\0";
        assert!(contains(b"PATH=/bin\0WASMFN_CALL=7-1\0", needle));
        assert!(contains(b"PATH=/bin\0WASMFN_CALL=7-1", needle));
        assert!(!contains(b"WASMFN_CALL=7-12\0", needle));
        assert!(!contains(b"X_WASMFN_CALL=7-1\0", needle));
    }
}
