//! What wasmfn counts, through the [`metrics`](https://docs.rs/metrics) facade: recorded into whatever recorder the app
//! installed (nothing is recorded without one), and with the feature `prometheus`, served at
//! `GET /metrics` in Prometheus' text format (`install_prometheus`,
//! `FunctionsBuilder::with_prometheus`).
//!
//! | metric | type | labels |
//! | --- | --- | --- |
//! | `wasmfn_function_calls_total` | counter | `function`, `trigger`, `outcome` (`ok`, a wasmfn error code, or `guest_error` for a function's own codes) |
//! | `wasmfn_function_call_duration_seconds` | histogram | `function`, `trigger` |
//! | `wasmfn_function_queue_wait_seconds` | histogram | `function`: the wait for a free instance |
//! | `wasmfn_function_calls_in_flight` | gauge | `function` |
//! | `wasmfn_function_loads_total` | counter | `function`, `result` (`ok`, `error`): loads and reloads |
//! | `wasmfn_pool_slots` | gauge | `function`, `state` (`busy`, `idle`): a wasm function's instance slots |
//! | `wasmfn_instances_created_total` | counter | `function`: wasm instances created (a pool slot's first, or after a discard) |
//! | `wasmfn_instances_discarded_total` | counter | `function`: wasm instances dropped after a trap, timeout or out-of-memory |
//! | `wasmfn_builds_total` | counter | `function`, `result` (`ok`, `error`): dev mode's builds |
//! | `wasmfn_build_duration_seconds` | histogram | `function` |
//! | `wasmfn_trigger_deliveries_total` | counter | `function`, `trigger` (`database`, `http` for queued calls), `result` (`ok`, `retry`, `dead`): background deliveries' tries |
//!
//! Label values are bounded: function names are the loaded folders', triggers and outcomes
//! fixed lists (a function's own error codes, which it picks freely, all count as
//! `guest_error`).

use std::time::Duration;

use wasmfn_schema::wire::codes;

use crate::invocation::Trigger;

/// `wasmfn_function_calls_total`.
pub const CALLS: &str = "wasmfn_function_calls_total";
/// `wasmfn_function_call_duration_seconds`.
pub const CALL_DURATION: &str = "wasmfn_function_call_duration_seconds";
/// `wasmfn_function_queue_wait_seconds`.
pub const QUEUE_WAIT: &str = "wasmfn_function_queue_wait_seconds";
/// `wasmfn_function_calls_in_flight`.
pub const IN_FLIGHT: &str = "wasmfn_function_calls_in_flight";
/// `wasmfn_function_loads_total`.
pub const LOADS: &str = "wasmfn_function_loads_total";

/// `wasmfn_pool_slots`.
pub const POOL_SLOTS: &str = "wasmfn_pool_slots";
/// `wasmfn_instances_created_total`.
pub const INSTANCES_CREATED: &str = "wasmfn_instances_created_total";
/// `wasmfn_instances_discarded_total`.
pub const INSTANCES_DISCARDED: &str = "wasmfn_instances_discarded_total";
/// `wasmfn_builds_total`.
pub const BUILDS: &str = "wasmfn_builds_total";
/// `wasmfn_build_duration_seconds`.
pub const BUILD_DURATION: &str = "wasmfn_build_duration_seconds";
/// `wasmfn_trigger_deliveries_total`.
pub const DELIVERIES: &str = "wasmfn_trigger_deliveries_total";

/// The buckets of the duration histograms, in seconds: 0.5 ms to 30 s.
pub const DURATION_BUCKETS: [f64; 14] =
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 30.0];

/// The error codes counted as themselves; any other is a function's own (`guest_error`).
const COUNTED_CODES: [&str; 18] = [
    codes::INVALID_INPUT,
    codes::GUEST_ERROR,
    codes::TRAP,
    codes::TIMEOUT,
    codes::MEMORY_LIMIT,
    codes::NOT_FOUND,
    codes::FUNCTION_NOT_FOUND,
    codes::DISABLED,
    codes::OVERLOADED,
    codes::HOST_API_UNAVAILABLE,
    codes::HOST_API_FAILED,
    codes::INVALID_OUTPUT,
    codes::SPAWN_FAILED,
    codes::PROCESS_FAILED,
    codes::OUTPUT_TOO_LARGE,
    codes::HANDLER_MISSING,
    codes::INVALID_RESPONSE,
    codes::SCOPE_DENIED,
];

const TRIGGERS: [Trigger; 6] = [
    Trigger::Direct,
    Trigger::Http,
    Trigger::Webhook,
    Trigger::Schedule,
    Trigger::Database,
    Trigger::Route,
];

fn index(trigger: Trigger) -> usize {
    TRIGGERS.iter().position(|t| *t == trigger).unwrap_or(0)
}

fn outcome(code: Option<&str>) -> &'static str {
    match code {
        None => "ok",
        Some(code) => COUNTED_CODES.iter().find(|c| **c == code).copied().unwrap_or("guest_error"),
    }
}

/// A call ended (`code` is `None` on success), of a function that is not loaded (no
/// [`FunctionMetrics`] to record it with).
pub(crate) fn call(function: &str, trigger: Trigger, code: Option<&str>, duration: Duration) {
    let (function, trigger) = (function.to_owned(), trigger.to_string());
    metrics::counter!(CALLS, "function" => function.clone(), "trigger" => trigger.clone(), "outcome" => outcome(code))
        .increment(1);
    metrics::histogram!(CALL_DURATION, "function" => function, "trigger" => trigger)
        .record(duration.as_secs_f64());
}

/// One loaded function's metrics, registered when it loads: a call then records into handles
/// (atomic updates) instead of looking its series up by name and labels. Registered with the
/// recorder installed at load time: install it before building `Functions`.
pub(crate) struct FunctionMetrics {
    function: String,
    ok: [metrics::Counter; 6],
    durations: [metrics::Histogram; 6],
    queue_wait: metrics::Histogram,
    in_flight: metrics::Gauge,
    /// A wasm function's slots: busy, idle.
    pub(crate) slots: [metrics::Gauge; 2],
    pub(crate) instances_created: metrics::Counter,
    pub(crate) instances_discarded: metrics::Counter,
}

impl FunctionMetrics {
    pub(crate) fn new(function: &str) -> Self {
        let labels = |trigger: Trigger| (function.to_owned(), trigger.to_string());
        Self {
            function: function.to_owned(),
            ok: TRIGGERS.map(|t| {
                let (function, trigger) = labels(t);
                metrics::counter!(CALLS, "function" => function, "trigger" => trigger, "outcome" => "ok")
            }),
            durations: TRIGGERS.map(|t| {
                let (function, trigger) = labels(t);
                metrics::histogram!(CALL_DURATION, "function" => function, "trigger" => trigger)
            }),
            queue_wait: metrics::histogram!(QUEUE_WAIT, "function" => function.to_owned()),
            in_flight: metrics::gauge!(IN_FLIGHT, "function" => function.to_owned()),
            slots: ["busy", "idle"].map(|state| {
                metrics::gauge!(POOL_SLOTS, "function" => function.to_owned(), "state" => state)
            }),
            instances_created: metrics::counter!(INSTANCES_CREATED, "function" => function.to_owned()),
            instances_discarded: metrics::counter!(INSTANCES_DISCARDED, "function" => function.to_owned()),
        }
    }

    /// A call ended: `code` is `None` on success.
    pub(crate) fn call(&self, trigger: Trigger, code: Option<&str>, duration: Duration) {
        let i = index(trigger);
        match code {
            None => self.ok[i].increment(1),
            Some(_) => {
                let (function, trigger) = (self.function.clone(), trigger.to_string());
                metrics::counter!(CALLS, "function" => function, "trigger" => trigger, "outcome" => outcome(code))
                    .increment(1);
            }
        }
        self.durations[i].record(duration.as_secs_f64());
    }

    /// A call got an instance after waiting `waited`; it is in flight until [`InFlight`]
    /// drops.
    pub(crate) fn started(&self, waited: Duration) -> InFlight {
        self.queue_wait.record(waited.as_secs_f64());
        self.in_flight.increment(1.0);
        InFlight(self.in_flight.clone())
    }
}

impl std::fmt::Debug for FunctionMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FunctionMetrics").field("function", &self.function).finish_non_exhaustive()
    }
}

/// A call holding an instance: counted in `wasmfn_function_calls_in_flight` while it lives.
pub(crate) struct InFlight(metrics::Gauge);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.decrement(1.0);
    }
}

/// A load or reload of `function` ended.
pub(crate) fn loaded(function: &str, ok: bool) {
    let result = if ok { "ok" } else { "error" };
    metrics::counter!(LOADS, "function" => function.to_owned(), "result" => result).increment(1);
}

/// A dev-mode build of `function` ended.
#[cfg(feature = "dev")]
pub(crate) fn built(function: &str, ok: bool, duration: Duration) {
    let result = if ok { "ok" } else { "error" };
    metrics::counter!(BUILDS, "function" => function.to_owned(), "result" => result).increment(1);
    metrics::histogram!(BUILD_DURATION, "function" => function.to_owned())
        .record(duration.as_secs_f64());
}

/// A try of a background delivery (a database hook, a queued call) ended with `result`:
/// `ok`, `retry` or `dead`.
pub(crate) fn delivered(function: &str, trigger: Trigger, result: &'static str) {
    let (function, trigger) = (function.to_owned(), trigger.to_string());
    metrics::counter!(DELIVERIES, "function" => function, "trigger" => trigger, "result" => result)
        .increment(1);
}

/// Installs a Prometheus recorder as the process's `metrics` recorder, with wasmfn's histogram
/// buckets, and returns the handle that renders it (give it to
/// [`FunctionsBuilder::with_prometheus`](crate::FunctionsBuilder::with_prometheus)). Fails when
/// the process already has a recorder: then build a `PrometheusHandle` your way and pass that.
///
/// ```no_run
/// let handle = wasmfn::metrics::install_prometheus()?;
/// let functions = wasmfn::Functions::builder().with_dir("functions").with_prometheus(handle).build()?;
/// // GET /metrics now answers, from functions.app(), routes() and layer().
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(feature = "prometheus")]
pub fn install_prometheus()
-> Result<metrics_exporter_prometheus::PrometheusHandle, metrics_exporter_prometheus::BuildError> {
    use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
    PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), &DURATION_BUCKETS)?
        .install_recorder()
}
