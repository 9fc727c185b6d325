//! `wasmfn_log`: a guest's log record into the host's `tracing`, inside the call's span.

use extism::{CurrentPlugin, Function, PTR, UserData, Val, convert::Json};
use wasmfn_schema::wire::LogRecord;

use super::HostState;

pub(super) fn function(state: &UserData<HostState>) -> Function {
    Function::new("wasmfn_log", [PTR], [], state.clone(), log)
}

fn log(
    plugin: &mut CurrentPlugin,
    inputs: &[Val],
    _outputs: &mut [Val],
    state: UserData<HostState>,
) -> Result<(), extism::Error> {
    let Json(record): Json<LogRecord> = plugin.memory_get_val(&inputs[0])?;
    let function = state.get()?.lock().unwrap_or_else(|e| e.into_inner()).function.clone();
    // Recorded only when the guest gave some (an absent `Option` field is left out).
    let fields = (!record.fields.is_empty()).then_some(serde_json::Value::Object(record.fields));
    let message = record.message;
    macro_rules! emit {
        ($level:expr) => {
            tracing::event!(target: "wasmfn::guest", $level, function = %function, fields = fields.as_ref().map(tracing::field::display), "{message}")
        };
    }
    match record.level.as_str() {
        "error" => emit!(tracing::Level::ERROR),
        "warn" => emit!(tracing::Level::WARN),
        "debug" => emit!(tracing::Level::DEBUG),
        "trace" => emit!(tracing::Level::TRACE),
        _ => emit!(tracing::Level::INFO),
    }
    Ok(())
}
