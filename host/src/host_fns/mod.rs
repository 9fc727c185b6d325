//! Host functions: what a guest may ask of the host. Each lives in its own file and is
//! registered in [`for_function`]; adding one never touches the runtime.

mod log;

use std::sync::Arc;

use extism::Function;

/// What host functions know about the function they serve.
#[derive(Clone, Debug)]
pub(crate) struct HostContext {
    /// The function's name, attached to everything the host records for it.
    pub(crate) function: Arc<str>,
}

/// The host functions every instance of a function is linked with.
pub(crate) fn for_function(context: &HostContext) -> Vec<Function> {
    vec![log::function(context)]
}
