//! `wasmfn_js_script`: the bundle a JS function's engine runs.

use extism::{CurrentPlugin, Function, PTR, UserData, Val};
use wasmfn_schema::wire::abi;

use crate::runtime::wasm::state::HostState;

pub(in crate::runtime::wasm) fn function(state: &UserData<HostState>) -> Function {
    Function::new(abi::JS_SCRIPT, [], [PTR], state.clone(), js_script)
}

fn js_script(
    plugin: &mut CurrentPlugin,
    _inputs: &[Val],
    outputs: &mut [Val],
    state: UserData<HostState>,
) -> Result<(), extism::Error> {
    let script = state.get()?.lock().unwrap_or_else(|e| e.into_inner()).js_script.clone();
    let Some(script) = script else {
        return Err(extism::Error::msg(
            "this module has no JavaScript bundle (no wasmfn.js section)",
        ));
    };
    plugin.memory_set_val(&mut outputs[0], script.as_ref())?;
    Ok(())
}
