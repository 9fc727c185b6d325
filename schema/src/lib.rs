//! Types shared by every part of wasmfn: the function manifest (`manifest.yaml`) with its
//! validation and JSON Schema, the wire types that cross the host/guest boundary, and the
//! layout of a JS function's module ([`bundle`]).
//!
//! The manifest types are the single source of truth: the host and CLI parse manifests with
//! them, `schema/manifest.schema.json` is generated from them (for editors), and the manifest
//! reference in `docs/` describes them.
//!
//! Features: `manifest` (manifest types and YAML parsing) and `json-schema` (schemars impls),
//! both on by default; guests use only the [`wire`] types with `default-features = false`.
//!
//! ```
//! # #[cfg(feature = "manifest")] {
//! let err = wasmfn_schema::Manifest::from_yaml("name: hi\ntimeout: 10 parsecs\n", "hi/manifest.yaml")
//!     .unwrap_err();
//! assert!(err.to_string().starts_with("invalid manifest hi/manifest.yaml:2:10: timeout: "));
//! # }
//! ```

pub mod bundle;
#[cfg(feature = "manifest")]
pub mod manifest;
pub mod wire;

#[cfg(feature = "manifest")]
pub use manifest::{
    ApiScope, BodySize, Build, CatchUp, CronSchedule, DEFAULT_ARTIFACT, DatabaseAction,
    DatabaseHook, FunctionName, Hook, HostApiAccess, HttpLimits, Location, MANIFEST_FILE, Manifest,
    ManifestError, MemoryLimit, NonEmptyString, ProcessConfig, ProcessLanguage, Route, Runtime,
    ScheduleHook, Timeout, WebhookHook,
};
