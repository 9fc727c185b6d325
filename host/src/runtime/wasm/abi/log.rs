//! `wasmfn_log`: a guest's log record into the host's `tracing`, inside the call's span.

use extism::{CurrentPlugin, Function, PTR, UserData, Val, convert::Json};
use wasmfn_schema::wire::LogRecord;
use wasmfn_schema::wire::abi;

use crate::runtime::wasm::state::HostState;

pub(super) fn function(state: &UserData<HostState>) -> Function {
    Function::new(abi::LOG, [PTR], [], state.clone(), log)
}

fn log(
    plugin: &mut CurrentPlugin,
    inputs: &[Val],
    _outputs: &mut [Val],
    state: UserData<HostState>,
) -> Result<(), extism::Error> {
    let Json(record): Json<LogRecord> = plugin.memory_get_val(&inputs[0])?;
    let (function, capture) = {
        let state = state.get()?;
        let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
        if !state.logged.admit(record.message.len()) {
            return Ok(());
        }
        (state.function.clone(), state.capture.clone())
    };
    crate::runtime::guest_log::emit(&function, record, &capture);
    Ok(())
}
