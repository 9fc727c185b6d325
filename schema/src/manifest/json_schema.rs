//! The JSON Schema of `manifest.yaml`, generated from the Rust types, for editors
//! (yaml-language-server) and for validating manifests outside Rust.
//!
//! ```
//! let schema = wasmfn_schema::manifest::json_schema::manifest_schema();
//! assert_eq!(schema["title"], "Manifest");
//! ```

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use super::{
    ApiScope, BodySize, CronSchedule, FunctionName, Manifest, MemoryLimit, Route, Timeout,
};

/// The manifest's JSON Schema as a JSON value.
pub fn manifest_schema() -> serde_json::Value {
    let mut schema = schemars::schema_for!(Manifest);
    schema.insert("$id".to_owned(), "https://wasmfn.dev/schema/manifest.schema.json".into());
    schema.into()
}

/// The manifest's JSON Schema, pretty-printed, as committed at `schema/manifest.schema.json`.
pub fn manifest_schema_json() -> String {
    let mut text = serde_json::to_string_pretty(&manifest_schema()).expect("a schema is JSON");
    text.push('\n');
    text
}

impl JsonSchema for FunctionName {
    fn schema_name() -> Cow<'static, str> {
        "FunctionName".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$",
            "description": "Lowercase letters, digits and '-', starting and ending with a letter or digit; at most 63 characters.",
            "examples": ["hello", "send-email"]
        })
    }
}

impl JsonSchema for Timeout {
    fn schema_name() -> Cow<'static, str> {
        "Timeout".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": r"^\s*([0-9]+\s*(nanos|nsec|ns|usec|us|µs|millis|msec|ms|seconds|second|secs|sec|s|minutes|minute|mins|min|m|hours|hour|hrs|hr|h|days|day|d|weeks|week|w)\s*)+$",
            "description": "A duration with units (ms, s, m, h), greater than zero and at most 1h.",
            "examples": ["500ms", "30s", "2m"]
        })
    }
}

impl JsonSchema for CronSchedule {
    fn schema_name() -> Cow<'static, str> {
        "CronSchedule".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": r"^\s*(@[a-z]+|\S+(\s+\S+){4,6})\s*$",
            "description": "A cron expression in UTC: minute hour day-of-month month day-of-week, optionally with seconds first; or @hourly, @daily, @weekly, @monthly, @yearly.",
            "examples": ["*/5 * * * *", "0 0 3 * * *", "@daily"]
        })
    }
}

impl JsonSchema for ApiScope {
    fn schema_name() -> Cow<'static, str> {
        "ApiScope".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": r"^\s*((GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)\s+)?/\S*\s*$",
            "description": "An HTTP method and a path pattern of the host app's API (no method: every method). In the path, * matches within one segment, ** across segments.",
            "examples": ["POST /api/audit", "GET /api/notes/*", "/api/public/**"]
        })
    }
}

impl JsonSchema for MemoryLimit {
    fn schema_name() -> Cow<'static, str> {
        "MemoryLimit".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A size like 64mb, 256MiB or 1gb (64 KiB to 4 GiB), or a number of bytes.",
            "oneOf": [
                { "type": "string", "pattern": r"^\s*[0-9]+(\.[0-9]+)?\s*([kKmMgG]i?[bB]?|[bB])?\s*$" },
                { "type": "integer", "minimum": MemoryLimit::PAGE, "maximum": MemoryLimit::MAX }
            ],
            "examples": ["64mb", "256mib", "1gb"]
        })
    }
}

impl JsonSchema for Route {
    fn schema_name() -> Cow<'static, str> {
        "Route".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": r"^\s*(ANY|[A-Z_-]{1,20})\s+/\S*\s*$",
            "description": "A method (GET, POST, ..., or ANY) and a path: {name} matches one segment, a last {*name} or ** the rest. Not under /api/functions, /api/calls, /api/jobs, /api/health, /api/webhooks or /_wasmfn.",
            "examples": ["GET /hello/{name}", "POST /hooks/stripe", "ANY /app/**"]
        })
    }
}

impl JsonSchema for BodySize {
    fn schema_name() -> Cow<'static, str> {
        "BodySize".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A size like 64kb or 10MiB (at most 1 GiB), or a number of bytes.",
            "oneOf": [
                { "type": "string", "pattern": r"^\s*[0-9]+(\.[0-9]+)?\s*([kKmMgG]i?[bB]?|[bB])?\s*$" },
                { "type": "integer", "minimum": 0, "maximum": BodySize::MAX }
            ],
            "examples": ["64kb", "10mib"]
        })
    }
}
