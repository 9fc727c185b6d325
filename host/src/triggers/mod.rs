//! Events other than a direct call that run functions, each turned into an [`Invocation`]
//! and sent through the same [`FunctionService`], so limits, tracing and errors are the
//! same whatever triggered a call.
//!
//! | trigger | manifest | how it arrives |
//! | --- | --- | --- |
//! | schedule | `type: schedule, cron: "*/5 * * * *"` | a [`Scheduler`] task per schedule |
//! | webhook | `type: webhook, path: github, secret_env: …` | `POST /api/webhooks/{path}`, HMAC-signed ([`WebhookVerifier`], [`signature_header`]) |
//! | database | `type: database, source: users, action: insert` | the app calls [`DatabaseEvents::emit`] (or `emit_in` its PostgreSQL transaction) |
//! | by hand | a schedule, webhook or database hook | [`Functions::fire`](crate::Functions::fire), the dashboard, `wasmfn invoke --trigger` |
//! | queued call | any function | `Prefer: respond-async` on `POST /api/functions/{name}`, or [`Jobs::enqueue`] |
//!
//! With a PostgreSQL [`store`](crate::store), replicas share the triggers: each schedule tick
//! runs once, events and queued calls are delivered at least once by a relay on every
//! replica, and a webhook signature is used once across all of them.
//!
//! [`Invocation`]: crate::Invocation
//! [`FunctionService`]: crate::FunctionService

mod database;
mod fire;
mod jobs;
#[cfg(feature = "postgres")]
mod relay;
mod schedule;
mod webhook;

pub(crate) use self::fire::Firing;
#[cfg(feature = "postgres")]
pub(crate) use self::relay::Relay;
#[cfg(feature = "postgres")]
pub use self::relay::RelayOptions;
pub use self::{
    database::{DatabaseEvents, DbEvent, HookDelivery, RetryPolicy},
    fire::{FireError, TriggerKind},
    jobs::{JobError, Jobs},
    schedule::{ScheduledRun, Scheduler},
    webhook::{SIGNATURE_HEADER, SecretSource, WebhookError, WebhookVerifier, signature_header},
};
use crate::registry::FunctionRegistry;

/// Every hook of every loaded function, with the function's name, sorted by name.
pub(crate) fn loaded_hooks(registry: &FunctionRegistry) -> Vec<(String, wasmfn_schema::Hook)> {
    let mut hooks = Vec::new();
    for entry in registry.entries() {
        if let Some(function) = entry.current() {
            for hook in &function.spec().manifest.hooks {
                hooks.push((entry.name().to_owned(), hook.clone()));
            }
        }
    }
    hooks
}
