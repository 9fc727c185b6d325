//! `env.__rquickjs_host_now_us`: the wall clock of the JS engine built for
//! `wasm32-unknown-unknown` (rquickjs's one import there), for `Date.now()`.

use std::time::{SystemTime, UNIX_EPOCH};

use extism::{CurrentPlugin, Function, UserData, Val, ValType};
use wasmfn_schema::wire::abi;

pub(super) fn function() -> Function {
    Function::new(abi::CLOCK, [], [ValType::F64], UserData::new(()), now).with_namespace("env")
}

fn now(
    _: &mut CurrentPlugin,
    _: &[Val],
    outputs: &mut [Val],
    _: UserData<()>,
) -> Result<(), extism::Error> {
    let micros = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_micros());
    outputs[0] = Val::F64((micros as f64).to_bits());
    Ok(())
}
