//! `wasmfn_api_request`: a guest's request to the app's own API (see [`crate::host_api`]).

use extism::{CurrentPlugin, Function, PTR, UserData, Val, convert::Json};
use wasmfn_schema::wire::abi;
use wasmfn_schema::wire::{ApiRequest, ApiResult, ErrorDetail, codes};

use crate::runtime::wasm::state::HostState;

pub(super) fn function(state: &UserData<HostState>) -> Function {
    Function::new(abi::API_REQUEST, [PTR], [PTR], state.clone(), api_request)
}

fn api_request(
    plugin: &mut CurrentPlugin,
    inputs: &[Val],
    outputs: &mut [Val],
    state: UserData<HostState>,
) -> Result<(), extism::Error> {
    let Json(request): Json<ApiRequest> = plugin.memory_get_val(&inputs[0])?;
    // Cloned out so the lock is not held while the app answers.
    let call = state.get()?.lock().unwrap_or_else(|e| e.into_inner()).call.clone();
    let result = match call {
        Some(call) => call.send(request),
        // Only outside a call (never for a guest's export).
        None => ApiResult::Error(ErrorDetail {
            code: codes::HOST_API_UNAVAILABLE.to_owned(),
            message: "no call is running".to_owned(),
        }),
    };
    plugin.memory_set_val(&mut outputs[0], Json(result))?;
    Ok(())
}
