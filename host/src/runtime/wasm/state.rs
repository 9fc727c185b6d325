//! [`HostState`]: what the host functions linked into one instance know.

use std::sync::Arc;

use extism::UserData;

use crate::{history::Capture, host_api::CallApi, runtime::guest_log};

/// What host functions know, per instance: the function they serve and the call now running.
#[derive(Clone, Debug)]
pub(super) struct HostState {
    /// The function's name, attached to everything the host records for it.
    pub(super) function: Arc<str>,
    /// The running call's access to the app's API; set for the length of each call.
    pub(super) call: Option<CallApi>,
    /// A JS function's bundle, for the engine to run.
    pub(super) js_script: Option<Arc<str>>,
    /// What the running call has logged: reset for each call.
    pub(super) logged: guest_log::Budget,
    /// Where the running call's logs go besides `tracing` (the call history).
    pub(super) capture: Capture,
    /// The hosts `wasmfn_fetch` may reach (the manifest's `allowed_hosts`).
    pub(super) allowed_hosts: Arc<[String]>,
}

impl HostState {
    pub(super) fn new(
        function: Arc<str>,
        js_script: Option<Arc<str>>,
        allowed_hosts: Arc<[String]>,
    ) -> UserData<Self> {
        UserData::new(Self {
            function,
            call: None,
            js_script,
            logged: Default::default(),
            capture: Capture::default(),
            allowed_hosts,
        })
    }
}
