//! Host functions: what a guest may ask of the host. Each lives in its own file and is
//! registered in [`for_slot`]; adding one never touches the runtime.

mod api_request;
mod clock;
mod js_script;
mod log;
mod random;

use std::sync::Arc;

use extism::{Function, UserData};

use crate::host_api::CallApi;

/// What host functions know, per instance: the function they serve and the call now running.
#[derive(Clone, Debug)]
pub(crate) struct HostState {
    /// The function's name, attached to everything the host records for it.
    pub(crate) function: Arc<str>,
    /// The running call's access to the app's API; set for the length of each call.
    pub(crate) call: Option<CallApi>,
    /// A JS function's bundle, for the engine to run.
    pub(crate) script: Option<Arc<str>>,
    /// What the running call has logged: reset for each call.
    pub(crate) logged: crate::guest_log::Budget,
}

impl HostState {
    pub(crate) fn new(function: Arc<str>, script: Option<Arc<str>>) -> UserData<Self> {
        UserData::new(Self { function, call: None, script, logged: Default::default() })
    }
}

/// The host functions an instance is linked with, sharing its `state`.
pub(crate) fn for_slot(state: &UserData<HostState>) -> Vec<Function> {
    vec![
        log::function(state),
        api_request::function(state),
        js_script::function(state),
        random::function(),
        clock::function(),
    ]
}
