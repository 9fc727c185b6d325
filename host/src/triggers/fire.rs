//! Firing a function's trigger by hand: the input its schedule, webhook or database hook
//! would give it, through the same path as the real event (a webhook is signed and verified,
//! replay check included), now instead of at the next tick or event. What the dashboard's
//! buttons and `wasmfn invoke --trigger` do.

use std::{fmt, str::FromStr, time::SystemTime};

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tower::ServiceExt;
use wasmfn_schema::{DatabaseAction, Hook};

use super::{DatabaseEvents, DbEvent, WebhookError, WebhookVerifier};
use crate::{registry::FunctionRegistry, runtime::error::InvokeError, service::FunctionService};

/// A kind of trigger that can be fired by hand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TriggerKind {
    /// The function's (first) cron schedule, as if it ticked now.
    Schedule,
    /// The function's (first) webhook, signed with its secret.
    Webhook,
    /// The function's (first) database hook: a test event of its table and action.
    Database,
}

impl FromStr for TriggerKind {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "schedule" => Ok(Self::Schedule),
            "webhook" => Ok(Self::Webhook),
            "database" => Ok(Self::Database),
            _ => Err(format!("{text:?} is not a trigger to fire (schedule, webhook or database)")),
        }
    }
}

impl fmt::Display for TriggerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Schedule => "schedule",
            Self::Webhook => "webhook",
            Self::Database => "database",
        })
    }
}

/// Why firing a trigger failed before or while the function ran.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FireError {
    /// The function has no hook of this kind (404 `trigger_not_found`).
    #[error("{function} has no {kind} trigger")]
    NoTrigger {
        /// The function.
        function: String,
        /// What was asked for.
        kind: TriggerKind,
    },
    /// The webhook could not be signed or was refused.
    #[error(transparent)]
    Webhook(#[from] WebhookError),
    /// The call failed (or the function does not exist).
    #[error(transparent)]
    Invoke(#[from] InvokeError),
}

/// What a fired trigger needs: the functions, the webhook verifier, the database events.
pub(crate) struct Firing<'a> {
    pub(crate) registry: &'a std::sync::Arc<FunctionRegistry>,
    pub(crate) webhooks: &'a WebhookVerifier,
    pub(crate) database: &'a DatabaseEvents,
}

impl Firing<'_> {
    /// Fires `function`'s trigger of `kind`, with `payload` as the webhook's body or the
    /// database row (a small test value when `None`), and returns the function's output.
    pub(crate) async fn fire(
        &self,
        function: &str,
        kind: TriggerKind,
        payload: Option<Value>,
    ) -> Result<Bytes, FireError> {
        let entry = self
            .registry
            .get(function)
            .ok_or_else(|| InvokeError::NotFound { function: function.to_owned() })?;
        let hooks = entry.current().map(|f| f.spec().manifest.hooks.clone()).unwrap_or_default();
        let no_trigger = || FireError::NoTrigger { function: function.to_owned(), kind };
        let service = FunctionService::new(std::sync::Arc::clone(self.registry));
        match kind {
            TriggerKind::Schedule => {
                let cron = hooks
                    .iter()
                    .find_map(|hook| match hook {
                        Hook::Schedule(schedule) => Some(schedule.cron.as_str().to_owned()),
                        _ => None,
                    })
                    .ok_or_else(no_trigger)?;
                let call = super::schedule::invocation(function, &cron, SystemTime::now());
                Ok(service.oneshot(call).await?)
            }
            TriggerKind::Webhook => {
                let path = hooks
                    .iter()
                    .find_map(|hook| match hook {
                        Hook::Webhook(webhook) => Some(webhook.path.as_str().to_owned()),
                        _ => None,
                    })
                    .ok_or_else(no_trigger)?;
                // A fresh id makes each test body (hence its signature) unique: two fires in
                // the same second are not a replay.
                let payload = payload.unwrap_or_else(
                    || serde_json::json!({ "test": true, "id": crate::store::new_uuid() }),
                );
                let body = Bytes::from(payload.to_string());
                let headers = self.webhooks.signed_headers(self.registry, &path, &body)?;
                let call =
                    self.webhooks.invocation(self.registry, &path, "POST", &headers, &body).await?;
                Ok(service.oneshot(call).await?)
            }
            TriggerKind::Database => {
                let (table, action) = hooks
                    .iter()
                    .find_map(|hook| match hook {
                        Hook::Database(db) => Some((db.source.as_str().to_owned(), db.action)),
                        _ => None,
                    })
                    .ok_or_else(no_trigger)?;
                let row = payload.unwrap_or_else(|| serde_json::json!({ "id": 1, "test": true }));
                let event = match action {
                    DatabaseAction::Insert => DbEvent::insert(table, row),
                    DatabaseAction::Update => DbEvent::update(table, row.clone(), row),
                    _ => DbEvent::delete(table, row),
                };
                Ok(self.database.deliver_once(function, &event).await?)
            }
        }
    }
}
