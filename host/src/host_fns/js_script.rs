//! `wasmfn_js_script`: the bundle a JS function's engine runs (see [`crate::js`]).

use extism::{CurrentPlugin, Function, PTR, UserData, Val};

use super::HostState;

pub(super) fn function(state: &UserData<HostState>) -> Function {
    Function::new("wasmfn_js_script", [], [PTR], state.clone(), js_script)
}

fn js_script(
    plugin: &mut CurrentPlugin,
    _inputs: &[Val],
    outputs: &mut [Val],
    state: UserData<HostState>,
) -> Result<(), extism::Error> {
    let script = state.get()?.lock().unwrap_or_else(|e| e.into_inner()).script.clone();
    let Some(script) = script else {
        return Err(extism::Error::msg(
            "this module has no JavaScript bundle (no wasmfn.js section)",
        ));
    };
    plugin.memory_set_val(&mut outputs[0], script.as_ref())?;
    Ok(())
}
