//! The runtime through the tower service, with the real testbed guest: limits, isolation of
//! failures between concurrent calls, and instance recycling.

use wasmfn_test_support as support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{FunctionsDir, call, spawn_call};
use tower::ServiceExt;
use wasmfn::{Invocation, InvokeError, runtime::RuntimeOptions};

fn spin(iterations: u64) -> Value {
    json!({ "op": "spin", "iterations": iterations })
}

/// A spin that logs `announce` as it starts, for the test to wait on.
fn announced_spin(iterations: u64, announce: &str) -> Value {
    json!({ "op": "spin", "iterations": iterations, "announce": announce })
}

/// The functions of `dir`, each with at most `size` instances at once.
fn pooled(dir: &FunctionsDir, size: usize) -> wasmfn::Functions {
    dir.builder().with_runtime(RuntimeOptions::default().with_pool_size(size)).build().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_interrupts_only_its_own_call_of_the_same_function() {
    let dir = FunctionsDir::new();
    dir.add_testbed("shared", "timeout: 4s\n");
    let functions = pooled(&dir, 4);

    // A loops forever from t=0 and is stopped at t=4s. B starts at t=2s and spins for about 3s
    // (calibrated while A runs, so under the same CPU contention): it is in flight, on another
    // instance of the same function, when A's deadline strikes, and must finish normally.
    let started = Instant::now();
    let a = spawn_call(&functions, "shared", json!({ "op": "loop" }));
    let iterations =
        support::spin_iterations_for(&functions, "shared", Duration::from_secs(3)).await;
    tokio::time::sleep(Duration::from_secs(2).saturating_sub(started.elapsed())).await;
    let b = call(&functions, "shared", spin(iterations)).await;
    let a = a.await.unwrap();

    assert!(matches!(a, Err(InvokeError::Timeout { .. })), "A: {a:?}");
    let b = b.unwrap_or_else(|e| panic!("B failed ({:?} after the start): {e}", started.elapsed()));
    assert_eq!(b["spun"], iterations);
    assert!(started.elapsed() > Duration::from_secs(4), "B must outlive A's deadline");
    // The timed-out instance was replaced: the next call works.
    assert_eq!(call(&functions, "shared", json!({ "op": "echo", "value": 1 })).await.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_in_one_function_leaves_another_running() {
    let dir = FunctionsDir::new();
    dir.add_testbed("looper", "timeout: 500ms\n");
    dir.add_testbed("worker", "timeout: 10s\n");
    let functions = dir.functions();
    let iterations =
        support::spin_iterations_for(&functions, "worker", Duration::from_millis(1500)).await;

    let mut logs = support::signals::guest_logs();
    let worker = spawn_call(&functions, "worker", announced_spin(iterations, "worker started"));
    support::signals::logged(&mut logs, "worker started").await;
    let looper = call(&functions, "looper", json!({ "op": "loop" })).await;
    assert!(matches!(looper, Err(InvokeError::Timeout { .. })), "{looper:?}");
    assert!(!worker.is_finished(), "the worker must still be running when the looper times out");
    assert_eq!(worker.await.unwrap().unwrap()["spun"], iterations);
}

#[tokio::test]
async fn a_panic_is_a_trap_with_its_message_and_the_next_call_works() {
    let dir = FunctionsDir::new();
    dir.add_testbed("fragile", "");
    let functions = dir.functions();
    let err =
        call(&functions, "fragile", json!({ "op": "panic", "message": "boom" })).await.unwrap_err();
    let InvokeError::Trap { message, .. } = &err else { panic!("{err:?}") };
    assert!(message.contains("boom") && message.contains("src/lib.rs"), "{message}");
    assert_eq!(err.status(), 500);
    assert_eq!(
        call(&functions, "fragile", json!({ "op": "echo", "value": "ok" })).await.unwrap(),
        "ok"
    );
}

#[tokio::test]
async fn allocating_past_the_memory_limit_is_a_memory_error_and_the_next_call_works() {
    let dir = FunctionsDir::new();
    dir.add_testbed("hungry", "memory: 16mib\n");
    let functions = dir.functions();
    assert_eq!(
        call(&functions, "hungry", json!({ "op": "alloc", "mib": 4 })).await.unwrap()["allocated_mib"],
        4
    );
    let err = call(&functions, "hungry", json!({ "op": "alloc", "mib": 64 })).await.unwrap_err();
    assert!(matches!(err, InvokeError::MemoryLimit { .. }), "{err:?}");
    assert_eq!(
        call(&functions, "hungry", json!({ "op": "alloc", "mib": 4 })).await.unwrap()["allocated_mib"],
        4
    );
}

#[tokio::test]
async fn guest_errors_keep_their_code_and_status() {
    let dir = FunctionsDir::new();
    dir.add_testbed("picky", "");
    let functions = dir.functions();
    let err = call(
        &functions,
        "picky",
        json!({ "op": "fail", "code": "out_of_stock", "message": "no more" }),
    )
    .await
    .unwrap_err();
    assert_eq!((err.code(), err.status().as_u16()), ("out_of_stock", 500));
    let err = call(&functions, "picky", json!({ "op": "nope" })).await.unwrap_err();
    assert_eq!((err.code(), err.status().as_u16()), ("invalid_input", 400));
    assert!(err.to_string().contains("unknown variant `nope`"), "{err}");
}

#[tokio::test]
async fn config_comes_from_the_manifest() {
    let dir = FunctionsDir::new();
    dir.add_testbed("configured", "config:\n  region: eu-west\n");
    let functions = dir.functions();
    let output =
        call(&functions, "configured", json!({ "op": "config", "key": "region" })).await.unwrap();
    assert_eq!(output, json!({ "value": "eu-west" }));
    let output =
        call(&functions, "configured", json!({ "op": "config", "key": "absent" })).await.unwrap();
    assert_eq!(output, json!({ "value": null }));
}

#[tokio::test]
async fn any_extism_plugin_runs_unchanged() {
    let dir = FunctionsDir::new();
    dir.add_testbed("upper", "export: raw_upper\n");
    let functions = dir.functions();
    assert_eq!(call(&functions, "upper", json!("shout")).await.unwrap(), "SHOUT");
    // A plain-text error from a non-wasmfn plugin is still a typed error.
    let err = functions.service().oneshot(Invocation::new("upper", "")).await.unwrap_err();
    assert_eq!(
        (err.code(), err.to_string().contains("empty input")),
        ("guest_error", true),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_pool_queues_calls_then_reports_overload() {
    let dir = FunctionsDir::new();
    dir.add_testbed("single", "timeout: 10s\n");
    let functions = dir
        .builder()
        .with_runtime(
            RuntimeOptions::default()
                .with_pool_size(1)
                .with_queue_timeout(Duration::from_millis(300)),
        )
        .build()
        .unwrap();
    let iterations =
        support::spin_iterations_for(&functions, "single", Duration::from_millis(1200)).await;

    let mut logs = support::signals::guest_logs();
    let busy = spawn_call(&functions, "single", announced_spin(iterations, "busy started"));
    support::signals::logged(&mut logs, "busy started").await;
    let err = call(&functions, "single", json!({ "op": "echo", "value": 1 })).await.unwrap_err();
    assert!(matches!(err, InvokeError::Overloaded { .. }), "{err:?}");
    assert_eq!(err.status(), 503);
    busy.await.unwrap().unwrap();

    // Within the queue timeout, calls wait their turn instead.
    let calls: Vec<_> = (0..6)
        .map(|i| spawn_call(&functions, "single", json!({ "op": "echo", "value": i })))
        .collect();
    for (i, c) in calls.into_iter().enumerate() {
        assert_eq!(c.await.unwrap().unwrap(), i);
    }
}

#[tokio::test]
async fn concurrent_calls_each_get_their_own_answer() {
    let dir = FunctionsDir::new();
    dir.add_testbed("echo", "export: echo\n");
    let functions = pooled(&dir, 3);
    let calls: Vec<_> =
        (0..50).map(|i| spawn_call(&functions, "echo", json!({ "n": i }))).collect();
    for (i, c) in calls.into_iter().enumerate() {
        assert_eq!(c.await.unwrap().unwrap(), json!({ "n": i }));
    }
}

#[tokio::test]
async fn without_spinning_calls_park_and_are_woken() {
    let dir = FunctionsDir::new();
    dir.add_testbed("echo", "export: echo\n");
    let options = RuntimeOptions::default().with_pool_size(2).with_spinning(false);
    let functions = dir.builder().with_runtime(options).build().unwrap();
    for i in 0..5 {
        assert_eq!(call(&functions, "echo", json!({ "n": i })).await.unwrap(), json!({ "n": i }));
    }
    let calls: Vec<_> =
        (0..20).map(|i| spawn_call(&functions, "echo", json!({ "n": i }))).collect();
    for (i, c) in calls.into_iter().enumerate() {
        assert_eq!(c.await.unwrap().unwrap(), json!({ "n": i }));
    }
}

#[tokio::test]
async fn registry_loads_unloads_and_reloads() {
    let dir = FunctionsDir::new();
    let path = dir.add_testbed("first", "config:\n  v: one\n");
    dir.add_manifest_only("broken", "name: broken\ntimeout: forever\n");
    let functions = dir.functions();
    let registry = functions.registry();

    let config = |v: &str| json!({ "op": "config", "key": v });
    assert_eq!(call(&functions, "first", config("v")).await.unwrap()["value"], "one");
    let err = call(&functions, "broken", json!(null)).await.unwrap_err();
    assert!(matches!(err, InvokeError::Disabled { .. }), "{err:?}");
    assert!(err.to_string().contains("manifest.yaml:2:10: timeout"), "{err}");

    std::fs::write(path.join("manifest.yaml"), "name: first\nconfig:\n  v: two\n").unwrap();
    registry.reload("first").unwrap().unwrap();
    assert_eq!(call(&functions, "first", config("v")).await.unwrap()["value"], "two");

    // A failed reload keeps the old version serving and records the error.
    std::fs::write(path.join("plugin.wasm"), b"not wasm").unwrap();
    let error = registry.reload("first").unwrap().unwrap_err().to_string();
    assert!(error.contains("not a loadable wasm module"), "{error}");
    assert_eq!(call(&functions, "first", config("v")).await.unwrap()["value"], "two");
    let info = registry.list().into_iter().find(|f| f.name == "first").unwrap();
    assert!(info.last_error.is_some());

    assert!(registry.unload("first"));
    let err = call(&functions, "first", config("v")).await.unwrap_err();
    assert!(matches!(err, InvokeError::NotFound { .. }), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_whose_caller_left_while_it_waited_is_never_run() {
    let dir = FunctionsDir::new();
    dir.add_testbed("single", "timeout: 10s\n");
    let functions = pooled(&dir, 1);
    let iterations =
        support::spin_iterations_for(&functions, "single", Duration::from_millis(300)).await;

    let mut logs = support::signals::guest_logs();
    // (Its own words: the tests of this file run at once and share the guests' log.)
    let busy = spawn_call(&functions, "single", announced_spin(iterations, "occupied"));
    support::signals::logged(&mut logs, "occupied").await;
    // Polled once (so queued behind the busy call), then dropped: its caller is gone.
    let left = functions.service().oneshot(Invocation::json("single", &announced_spin(1, "left")));
    tokio::time::timeout(Duration::ZERO, left).await.unwrap_err();
    busy.await.unwrap().unwrap();

    // The one slot takes calls in order: had the dropped call run, it would have logged first.
    call(&functions, "single", announced_spin(1, "after")).await.unwrap();
    loop {
        let message = logs.recv().await.unwrap();
        assert!(!message.contains("left"), "the abandoned call ran");
        if message.contains("after") {
            break;
        }
    }
}

/// The threads of this process named `name` (Linux shows a thread's name in /proc).
fn threads_named(name: &str) -> usize {
    let tasks = std::fs::read_dir("/proc/self/task").unwrap();
    tasks
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|comm| comm.trim_end() == name)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slots_run_on_threads_named_after_their_function_that_end_with_its_version() {
    let dir = FunctionsDir::new();
    dir.add_testbed("retiring", "");
    let functions = pooled(&dir, 3);
    let calls: Vec<_> = (0..12)
        .map(|i| spawn_call(&functions, "retiring", json!({ "op": "echo", "value": i })))
        .collect();
    for (i, c) in calls.into_iter().enumerate() {
        assert_eq!(c.await.unwrap().unwrap(), i);
    }
    let running = threads_named("fn:retiring");
    // (Threads a slot's thread starts, such as its Engine's cache worker, carry its name too.)
    assert!(running >= 1, "no thread named after the function");

    assert!(functions.registry().unload("retiring"));
    let deadline = Instant::now() + Duration::from_secs(30);
    while threads_named("fn:retiring") > 0 {
        assert!(Instant::now() < deadline, "the unloaded version's threads are still running");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
