//! Hooks: the events, other than a direct call, that run a function.

use serde::{Deserialize, Serialize};

use super::{CronSchedule, NonEmptyString};

/// An event that runs the function.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "lowercase")]
#[non_exhaustive]
pub enum Hook {
    /// A row of the host app's database changed.
    Database(DatabaseHook),
    /// An HTTP request arrived at `/api/webhooks/<path>`, signed with a shared secret.
    Webhook(WebhookHook),
    /// A cron schedule fired.
    Schedule(ScheduleHook),
}

/// Runs the function when the host app reports a change to a table.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DatabaseHook {
    /// The table (or collection) whose rows are watched, like `users`.
    pub source: NonEmptyString,
    /// Which change runs the function.
    pub action: DatabaseAction,
}

/// A kind of row change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum DatabaseAction {
    /// A row was inserted.
    Insert,
    /// A row was updated.
    Update,
    /// A row was deleted.
    Delete,
}

/// Runs the function for signed requests to `/api/webhooks/<path>`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct WebhookHook {
    /// The path under `/api/webhooks/`, like `github` or `stripe/events`.
    pub path: NonEmptyString,
    /// The name of the environment variable that holds the signing secret. The secret itself
    /// never goes in the manifest.
    pub secret_env: NonEmptyString,
}

/// Runs the function on a schedule.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ScheduleHook {
    /// A cron expression in UTC, like `*/5 * * * *` (seconds may be given as a sixth, leading
    /// field).
    pub cron: CronSchedule,
    /// Whether a run may start while the previous one is still going.
    #[serde(default)]
    pub overlap: bool,
    /// What happens to ticks missed while no replica ran (with a shared database; in one
    /// process nothing remembers past ticks).
    #[serde(default)]
    pub catch_up: CatchUp,
}

/// What a schedule does about ticks that passed while every replica was down.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum CatchUp {
    /// Missed ticks are skipped: the next run is the next tick.
    #[default]
    None,
    /// The most recent missed tick runs once at startup (with its own `scheduled_at`).
    Last,
}
