//! `wasmfn_random`: random bytes from the OS, for a guest's `crypto.getRandomValues`.

use extism::{CurrentPlugin, Function, PTR, UserData, Val, convert::Json};
use wasmfn_schema::wire::abi;

/// More than one call may ask for (`getRandomValues` takes at most 64 KiB).
const MAX_BYTES: u64 = 65536;

pub(super) fn function() -> Function {
    Function::new(abi::RANDOM, [PTR], [PTR], UserData::new(()), random)
}

fn random(
    plugin: &mut CurrentPlugin,
    inputs: &[Val],
    outputs: &mut [Val],
    _: UserData<()>,
) -> Result<(), extism::Error> {
    let Json(len): Json<u64> = plugin.memory_get_val(&inputs[0])?;
    let len = len.min(MAX_BYTES);
    let mut bytes = vec![0u8; len as usize];
    getrandom::fill(&mut bytes)
        .map_err(|e| extism::Error::msg(format!("no OS randomness: {e}")))?;
    plugin.memory_set_val(&mut outputs[0], bytes.as_slice())?;
    Ok(())
}
