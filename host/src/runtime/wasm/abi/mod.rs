//! The guest ABI: the host functions a wasm guest may call (their names are
//! [`wasmfn_schema::wire::abi`]). Each lives in its own file and is registered in
//! [`for_slot`]; adding one never touches the pool.

mod api_request;
mod clock;
mod fetch;
mod log;
mod random;

use extism::{Function, UserData};

use super::state::HostState;

/// The host functions an instance is linked with, sharing its `state`.
pub(super) fn for_slot(state: &UserData<HostState>) -> Vec<Function> {
    vec![
        log::function(state),
        api_request::function(state),
        fetch::function(state),
        super::js::script::function(state),
        random::function(),
        clock::function(),
    ]
}
