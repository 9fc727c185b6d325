//! [`RuntimeOptions`]: how every function of a registry runs.

use std::time::Duration;

use super::artifact::DEFAULT_MAX_ARTIFACT_SIZE;
use crate::{discovery::Mode, host_api::HostApi};

/// How functions are run: pool sizes, waiting limits, artifact sizes and the app's API. The
/// defaults suit most apps; set what differs with the `with_*` methods.
///
/// ```
/// use std::time::Duration;
/// use wasmfn::runtime::RuntimeOptions;
///
/// let options = RuntimeOptions::default()
///     .with_pool_size(8)
///     .with_queue_timeout(Duration::from_millis(500));
/// assert_eq!(options.pool_size(), 8);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RuntimeOptions {
    pub(crate) pool_size: usize,
    pub(crate) queue_timeout: Option<Duration>,
    pub(crate) host_api: HostApi,
    pub(crate) mode: Mode,
    pub(crate) max_artifact_size: u64,
    pub(crate) spin: bool,
}

impl Default for RuntimeOptions {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            pool_size: cores,
            queue_timeout: None,
            host_api: HostApi::new(),
            mode: Mode::default(),
            max_artifact_size: DEFAULT_MAX_ARTIFACT_SIZE,
            spin: true,
        }
    }
}

impl RuntimeOptions {
    /// The most instances (or processes) of one function running at once (default: the number
    /// of cores; at least 1).
    pub fn with_pool_size(mut self, size: usize) -> Self {
        self.pool_size = size.max(1);
        self
    }

    /// How long a call waits for a free instance before failing with `overloaded` (503);
    /// default: the function's own timeout.
    pub fn with_queue_timeout(mut self, timeout: Duration) -> Self {
        self.queue_timeout = Some(timeout);
        self
    }

    /// Where functions' requests to the app's API go, and their tokens (default: a new,
    /// unconnected [`HostApi`]); set it to pick a shorter token lifetime.
    pub fn with_host_api(mut self, host_api: HostApi) -> Self {
        self.host_api = host_api;
        self
    }

    /// The largest artifact (`.wasm` file, or a process function's file) a function may load
    /// (default 128 MiB); a larger one disables the function instead of being read.
    pub fn with_max_artifact_size(mut self, bytes: u64) -> Self {
        self.max_artifact_size = bytes;
        self
    }

    /// Serve (the default) or dev: what a process function runs (its build output, or its
    /// source; see [`FunctionSpec::entrypoint`](crate::FunctionSpec::entrypoint)). Functions
    /// built by [`Functions::builder`](crate::Functions::builder) take the builder's mode.
    pub fn with_mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Whether threads look for work for a few microseconds before they park (default: yes):
    /// a slot's thread for its next call (50 µs), the caller of a quick function for its
    /// answer (100 µs, between its worker's other tasks). Waking a parked thread can cost more
    /// than a small call; turn it off to spend no CPU on looking, at that price (and to count
    /// instructions under valgrind, where the looking would be counted too).
    pub fn with_spinning(mut self, spin: bool) -> Self {
        self.spin = spin;
        self
    }

    /// The most instances of one function running at once.
    pub fn pool_size(&self) -> usize {
        self.pool_size
    }

    /// The app's API as functions reach it.
    pub fn host_api(&self) -> &HostApi {
        &self.host_api
    }
}
