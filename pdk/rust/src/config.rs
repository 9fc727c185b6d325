//! The function's configuration: the `config` map of its manifest.
//!
//! ```
//! let region = wasmfn_pdk::config::get("region").unwrap_or_else(|| "eu".to_owned());
//! # assert_eq!(region, "eu");
//! ```

use crate::Error;

/// The value of `key` in the manifest's `config` map, if set.
pub fn get(key: &str) -> Option<String> {
    #[cfg(target_arch = "wasm32")]
    {
        extism_pdk::config::get(key).ok().flatten()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = key;
        None
    }
}

/// The value of `key`, or a `config_missing` error naming it.
///
/// ```
/// let err = wasmfn_pdk::config::require("api_base").unwrap_err();
/// assert_eq!(err.code(), "config_missing");
/// ```
pub fn require(key: &str) -> Result<String, Error> {
    get(key).ok_or_else(|| {
        Error::new("config_missing", format!("config key {key:?} is not set in the manifest"))
    })
}
