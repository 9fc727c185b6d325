//! Database events: the app's data layer reports row changes, and every function whose
//! manifest has `type: database` with that `source` (table) and `action` runs.
//!
//! Three delivery modes, chosen per call:
//! - `emit_in(&mut tx, event)` (with PostgreSQL; feature `postgres`): the event and one job
//!   per matching function are written in the app's own transaction (an outbox), so a
//!   rolled-back change emits nothing and a committed one is delivered at least once, by any
//!   replica, even after a crash (see [`Jobs`](super::Jobs) for retries and dead letters).
//! - [`DatabaseEvents::emit`]: returns at once; each matching function runs in the background
//!   in this process. A failure that may pass (timeout, overload, a crash: 5xx) is retried
//!   with exponential backoff; a failure that will not (the function refused the event: 4xx)
//!   is not. Every failure is logged; nothing reaches the caller; a crash loses the event.
//! - [`DatabaseEvents::emit_and_wait`] (before a commit, e.g. to validate): runs the matching
//!   functions concurrently, once each, and returns every result.
//!
//! The function's input:
//! `{ "type": "database", "table", "action", "old", "new", "emitted_at", "id", "try" }`
//! (`old` is `null` for inserts, `new` for deletes; `id` is the event's, the same for every
//! try: an idempotency key; `try` counts from 1).

use std::{sync::Arc, time::Duration};

use serde::Serialize;
use serde_json::Value;
use tokio::sync::broadcast;
use tower::ServiceExt;
use wasmfn_schema::{DatabaseAction, Hook};

#[cfg(feature = "postgres")]
use crate::store::NewJob;
use crate::{
    invocation::{Invocation, Trigger},
    registry::FunctionRegistry,
    runtime::error::InvokeError,
    service::FunctionService,
    store::Store,
};

/// A row change in the app's database.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DbEvent {
    /// The table (or collection), like `users`.
    pub table: String,
    /// What happened to the row.
    pub action: DatabaseAction,
    /// The row before the change (updates and deletes).
    pub old: Option<Value>,
    /// The row after the change (inserts and updates).
    pub new: Option<Value>,
}

impl DbEvent {
    /// A row inserted into `table`.
    pub fn insert(table: impl Into<String>, new: Value) -> Self {
        Self { table: table.into(), action: DatabaseAction::Insert, old: None, new: Some(new) }
    }

    /// A row of `table` changed from `old` to `new`.
    pub fn update(table: impl Into<String>, old: Value, new: Value) -> Self {
        Self { table: table.into(), action: DatabaseAction::Update, old: Some(old), new: Some(new) }
    }

    /// A row deleted from `table`.
    pub fn delete(table: impl Into<String>, old: Value) -> Self {
        Self { table: table.into(), action: DatabaseAction::Delete, old: Some(old), new: None }
    }

    /// The function's input, without `id` and `try`.
    fn input(&self) -> Value {
        serde_json::json!({
            "type": "database",
            "table": self.table,
            "action": self.action,
            "old": self.old,
            "new": self.new,
            "emitted_at": humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string(),
        })
    }

    /// The input of try `attempt` of the event `id`.
    fn input_for(&self, id: &str, attempt: u32) -> Value {
        let mut input = self.input();
        input["id"] = id.into();
        input["try"] = attempt.into();
        input
    }
}

/// How background deliveries retry: `attempts` tries in all, waiting `backoff` before the
/// first retry and twice as long before each next one.
///
/// ```
/// use std::time::Duration;
/// use wasmfn::triggers::RetryPolicy;
///
/// let retry = RetryPolicy::default().with_attempts(5).with_backoff(Duration::from_secs(1));
/// assert_eq!(retry.attempts(), 5);
/// ```
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct RetryPolicy {
    attempts: u32,
    backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { attempts: 3, backoff: Duration::from_millis(200) }
    }
}

impl RetryPolicy {
    /// Tries in all, the first included (default 3; at least 1).
    pub fn with_attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts.max(1);
        self
    }

    /// The wait before the first retry; each later wait doubles (default 200 ms).
    pub fn with_backoff(mut self, backoff: Duration) -> Self {
        self.backoff = backoff;
        self
    }

    /// Tries in all.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The wait before the first retry.
    pub fn backoff(&self) -> Duration {
        self.backoff
    }
}

/// One function's handling of one event.
#[derive(Clone, Debug)]
pub struct HookDelivery {
    /// The function.
    pub function: String,
    /// The event.
    pub event: DbEvent,
    /// Which try this was (1 for the first).
    pub attempt: u32,
    /// The function's output, or its error.
    pub result: Result<Value, Arc<InvokeError>>,
}

/// Dispatches database events to the functions that hook them. Cheap to clone.
#[derive(Clone, Debug)]
pub struct DatabaseEvents {
    registry: Arc<FunctionRegistry>,
    retry: RetryPolicy,
    deliveries: broadcast::Sender<HookDelivery>,
    /// Where `emit_in` writes (only a PostgreSQL store can).
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    store: Store,
}

impl DatabaseEvents {
    /// Events for `registry`'s functions, retried with `retry` in the background.
    pub fn new(registry: Arc<FunctionRegistry>, retry: RetryPolicy) -> Self {
        Self::with_store(registry, retry, Store::default())
    }

    pub(crate) fn with_store(
        registry: Arc<FunctionRegistry>,
        retry: RetryPolicy,
        store: Store,
    ) -> Self {
        Self { registry, retry, deliveries: broadcast::channel(256).0, store }
    }

    /// Where deliveries are announced, for the relay to announce its own.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) fn deliveries(&self) -> &broadcast::Sender<HookDelivery> {
        &self.deliveries
    }

    /// Writes `event` in `conn`, the app's open transaction (`&mut *tx`), with one job per
    /// function hooking it; relays deliver them once the transaction commits, at least once
    /// each. Returns the event's id. Needs a PostgreSQL store (`with_postgres`).
    ///
    /// ```no_run
    /// # async fn run(functions: wasmfn::Functions, pool: sqlx::PgPool) -> Result<(), Box<dyn std::error::Error>> {
    /// use wasmfn::triggers::DbEvent;
    ///
    /// let mut tx = pool.begin().await?;
    /// let row = serde_json::json!({ "id": 1, "title": "hello" });
    /// sqlx::query("INSERT INTO notes (id, title) VALUES (1, 'hello')").execute(&mut *tx).await?;
    /// functions.database().emit_in(&mut tx, DbEvent::insert("notes", row)).await?;
    /// tx.commit().await?; // now, and only now, the hooks run
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "postgres")]
    pub async fn emit_in(
        &self,
        conn: &mut sqlx::PgConnection,
        event: DbEvent,
    ) -> Result<i64, crate::store::StoreError> {
        let Store::Postgres(pg) = &self.store else {
            return Err(crate::store::StoreError::NoDatabase);
        };
        let input = event.input();
        let jobs: Vec<NewJob> = self
            .subscribers(&event.table, event.action)
            .into_iter()
            .map(|function| NewJob {
                function,
                trigger: Trigger::Database,
                input: input.clone(),
                max_tries: self.retry.attempts(),
            })
            .collect();
        let action = serde_json::to_value(event.action).unwrap_or_default();
        let action = action.as_str().unwrap_or_default();
        pg.insert_event(conn, &event.table, action, (&event.old, &event.new), &jobs).await
    }

    /// The functions hooking `table` / `action`, by name.
    pub fn subscribers(&self, table: &str, action: DatabaseAction) -> Vec<String> {
        let mut functions: Vec<String> = super::loaded_hooks(&self.registry)
            .into_iter()
            .filter(|(_, hook)| {
                matches!(hook, Hook::Database(db) if db.source.as_str() == table && db.action == action)
            })
            .map(|(function, _)| function)
            .collect();
        // A function hooking the same change twice still runs once.
        functions.dedup();
        functions
    }

    /// Runs the matching functions in the background (with retries) and returns how many
    /// there are. Must be called inside a tokio runtime.
    pub fn emit(&self, event: DbEvent) -> usize {
        let functions = self.subscribers(&event.table, event.action);
        for function in &functions {
            let (this, event, function) = (self.clone(), event.clone(), function.clone());
            tokio::spawn(async move { this.deliver(function, event).await });
        }
        functions.len()
    }

    /// Runs the matching functions concurrently, once each, and returns their results.
    /// The results come sorted by function name.
    pub async fn emit_and_wait(&self, event: DbEvent) -> Vec<HookDelivery> {
        let mut calls = tokio::task::JoinSet::new();
        for function in self.subscribers(&event.table, event.action) {
            let (this, event) = (self.clone(), event.clone());
            let id = crate::store::new_uuid();
            calls.spawn(async move { this.call(function, event, &id, 1).await });
        }
        let mut deliveries = calls.join_all().await;
        deliveries.sort_by(|a, b| a.function.cmp(&b.function));
        deliveries
    }

    /// Every delivery from now on (each try of a background delivery, and each awaited one).
    pub fn subscribe(&self) -> broadcast::Receiver<HookDelivery> {
        self.deliveries.subscribe()
    }

    /// Delivers `event` to `function` alone, once, as a new event: for firing a hook by hand.
    pub(crate) async fn deliver_once(
        &self,
        function: &str,
        event: &DbEvent,
    ) -> Result<bytes::Bytes, InvokeError> {
        let input = event.input_for(&crate::store::new_uuid(), 1);
        let invocation = Invocation::json(function, &input).with_trigger(Trigger::Database);
        FunctionService::new(Arc::clone(&self.registry)).oneshot(invocation).await
    }

    async fn deliver(&self, function: String, event: DbEvent) {
        let mut wait = self.retry.backoff();
        let id = crate::store::new_uuid();
        for attempt in 1..=self.retry.attempts() {
            let delivery = self.call(function.clone(), event.clone(), &id, attempt).await;
            let Err(error) = &delivery.result else {
                return crate::metrics::delivered(&function, Trigger::Database, "ok");
            };
            let transient = error.status().is_server_error();
            let last = attempt == self.retry.attempts() || !transient;
            let result = if last { "dead" } else { "retry" };
            crate::metrics::delivered(&function, Trigger::Database, result);
            tracing::warn!(
                function = %function, table = %event.table, action = ?event.action, attempt,
                "database hook failed{}: {error}",
                if last { "" } else { ", retrying" }
            );
            if last {
                return;
            }
            tokio::time::sleep(wait).await;
            wait *= 2;
        }
    }

    async fn call(&self, function: String, event: DbEvent, id: &str, attempt: u32) -> HookDelivery {
        let invocation = Invocation::json(&function, &event.input_for(id, attempt))
            .with_trigger(Trigger::Database);
        let result = FunctionService::new(Arc::clone(&self.registry))
            .oneshot(invocation)
            .await
            .and_then(|output| {
                serde_json::from_slice(&output).map_err(|e| InvokeError::InvalidOutput {
                    function: function.clone(),
                    message: e.to_string(),
                })
            })
            .map_err(Arc::new);
        let delivery = HookDelivery { function, event, attempt, result };
        let _ = self.deliveries.send(delivery.clone());
        delivery
    }
}
