//! Logging into the host's `tracing`: each record lands in the span of the current call, so it
//! carries the function's name, and may carry structured fields.

/// Logs at info level: `info!("sent {n} emails")`, or with fields:
/// `info!(user_id = 42, plan = "pro"; "upgraded")`.
///
/// ```
/// let n = 3;
/// wasmfn_pdk::info!("sent {n} emails");
/// wasmfn_pdk::info!(user_id = 42, plan = "pro"; "upgraded {}", "ada");
/// ```
#[macro_export]
macro_rules! info {
    ($($rest:tt)+) => { $crate::__log!("info", $($rest)+) };
}

/// Logs at debug level; same forms as [`info!`](crate::info!).
#[macro_export]
macro_rules! debug {
    ($($rest:tt)+) => { $crate::__log!("debug", $($rest)+) };
}

/// Logs at warn level; same forms as [`info!`](crate::info!).
#[macro_export]
macro_rules! warn {
    ($($rest:tt)+) => { $crate::__log!("warn", $($rest)+) };
}

/// Logs at error level; same forms as [`info!`](crate::info!).
#[macro_export]
macro_rules! error {
    ($($rest:tt)+) => { $crate::__log!("error", $($rest)+) };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __log {
    ($level:literal, $($key:ident = $value:expr),+ ; $($arg:tt)+) => {{
        let mut fields = $crate::__private::Map::new();
        $( fields.insert(stringify!($key).to_owned(), $crate::__private::to_value(&$value)); )+
        $crate::__private::log($level, format!($($arg)+), fields)
    }};
    ($level:literal, $($arg:tt)+) => {
        $crate::__private::log($level, format!($($arg)+), $crate::__private::Map::new())
    };
}

use serde_json::{Map, Value};

#[doc(hidden)]
pub fn to_value<T: serde::Serialize + ?Sized>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or_else(|e| Value::String(format!("<unserializable: {e}>")))
}

#[doc(hidden)]
pub fn log(level: &str, message: String, fields: Map<String, Value>) {
    let record = wasmfn_schema::wire::LogRecord { level: level.to_owned(), message, fields };
    crate::abi::log(record);
}
