//! Logging into the host's `tracing`, inside the span of the current call (so every record
//! carries the function's name).

/// Logs at info level: `wasmfn_pdk::info!("sent {} emails", n)`.
#[macro_export]
macro_rules! info {
    ($($arg:tt)+) => { $crate::__private::log($crate::__private::Level::Info, &format!($($arg)+)) };
}

/// Logs at debug level.
#[macro_export]
macro_rules! debug {
    ($($arg:tt)+) => { $crate::__private::log($crate::__private::Level::Debug, &format!($($arg)+)) };
}

/// Logs at warn level.
#[macro_export]
macro_rules! warn {
    ($($arg:tt)+) => { $crate::__private::log($crate::__private::Level::Warn, &format!($($arg)+)) };
}

/// Logs at error level.
#[macro_export]
macro_rules! error {
    ($($arg:tt)+) => { $crate::__private::log($crate::__private::Level::Error, &format!($($arg)+)) };
}

/// A log level.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub enum Level {
    Debug,
    Info,
    Warn,
    Error,
}

#[doc(hidden)]
pub fn log(level: Level, message: &str) {
    #[cfg(target_arch = "wasm32")]
    {
        let level = match level {
            Level::Debug => extism_pdk::LogLevel::Debug,
            Level::Info => extism_pdk::LogLevel::Info,
            Level::Warn => extism_pdk::LogLevel::Warn,
            Level::Error => extism_pdk::LogLevel::Error,
        };
        extism_pdk::log!(level, "{}", message);
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = (level, message);
}
