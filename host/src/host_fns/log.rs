//! `wasmfn_log`: a guest's log record into the host's `tracing`, inside the call's span.

use extism::{CurrentPlugin, Function, PTR, UserData, Val, convert::Json};
use wasmfn_schema::wire::LogRecord;

use super::HostContext;

pub(super) fn function(context: &HostContext) -> Function {
    Function::new("wasmfn_log", [PTR], [], UserData::new(context.clone()), log)
}

fn log(
    plugin: &mut CurrentPlugin,
    inputs: &[Val],
    _outputs: &mut [Val],
    context: UserData<HostContext>,
) -> Result<(), extism::Error> {
    let Json(record): Json<LogRecord> = plugin.memory_get_val(&inputs[0])?;
    let function = context.get()?.lock().unwrap_or_else(|e| e.into_inner()).function.clone();
    let fields = if record.fields.is_empty() {
        String::new()
    } else {
        serde_json::Value::Object(record.fields).to_string()
    };
    let message = record.message;
    macro_rules! emit {
        ($level:expr) => {
            tracing::event!(target: "wasmfn::guest", $level, function = %function, fields = %fields, "{message}")
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
