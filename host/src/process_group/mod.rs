//! [`ProcessGroup`]: what a subprocess started, killed together (process functions' calls,
//! dev mode's builds), and what left the group (`escaped.rs`).

mod escaped;

use std::sync::atomic::{AtomicI32, Ordering};

use nix::{
    sys::signal::{Signal, killpg},
    unistd::Pid,
};
use tokio::process::Child;

pub(crate) use self::escaped::{MARKER_VAR, new_marker};

/// The process group a child leads (spawned with `process_group(0)`), and for a call what
/// escaped it; killed (SIGKILL) once, at the latest when dropped: a call or a build whose
/// future is dropped (a caller that gives up, a runtime shutting down) leaves nothing running.
pub(crate) struct ProcessGroup {
    leader: AtomicI32,
    /// A call's `WASMFN_CALL` marker, when what escaped the group is to be found too.
    marker: Option<String>,
}

impl ProcessGroup {
    pub(crate) fn of(child: &Child, marker: Option<String>) -> Self {
        Self { leader: AtomicI32::new(child.id().map_or(0, |id| id as i32)), marker }
    }

    pub(crate) fn kill(&self) {
        let leader = self.leader.swap(0, Ordering::Relaxed);
        if leader <= 0 {
            return;
        }
        // ESRCH: everyone has already gone.
        let _ = killpg(Pid::from_raw(leader), Signal::SIGKILL);
        if let Some(marker) = &self.marker {
            let escaped = escaped::kill_escaped(leader, marker);
            if escaped > 0 {
                tracing::debug!("killed {escaped} processes that had left the call's group");
            }
        }
    }

    /// Applied right after the spawn: the interpreter has only started, and a limit below
    /// what it already uses only fails its next allocations.
    pub(crate) fn limit_memory(&self, bytes: u64) -> std::io::Result<()> {
        use rustix::process::{Pid, Resource, Rlimit, prlimit};
        let Some(pid) = Pid::from_raw(self.leader.load(Ordering::Relaxed)) else {
            return Ok(());
        };
        let limit = Rlimit { current: Some(bytes), maximum: Some(bytes) };
        match prlimit(Some(pid), Resource::Data, limit) {
            // Already gone: it had nothing left to allocate.
            Ok(_) | Err(rustix::io::Errno::SRCH) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        self.kill();
    }
}
