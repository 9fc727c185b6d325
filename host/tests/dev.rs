//! Dev mode with real files, the real watcher, real build commands (small shell scripts that
//! copy the testbed guest into place) and the real guest: builds on change, hot reloads, and
//! the old version serving through every kind of failure.

use wasmfn_test_support as support;

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use serde_json::{Value, json};
use support::FunctionsDir;
use tokio::sync::broadcast;
use wasmfn::{
    Functions, Mode,
    dev::{BuildRunner, DevEvent, DevOptions},
};

/// Long enough for a slow CI machine; a passing test never waits this long.
const PATIENCE: Duration = Duration::from_secs(30);

/// A build command that logs each run to `builds.log`, fails while `src/broken` exists,
/// writes a corrupt artifact while `src/corrupt` exists, and otherwise copies the testbed into
/// place.
fn build_script() -> String {
    let testbed = support::testbed_wasm();
    format!(
        "build:\n  command: sh\n  args:\n    - -c\n    - |\n      echo run >> builds.log\n      \
         if [ -e src/broken ]; then echo 'src/lib.rs:3: expected one of `;`' >&2; exit 3; fi\n      \
         if [ -e src/corrupt ]; then echo 'not wasm' > \"$WASMFN_OUTPUT\"; exit 0; fi\n      \
         cp {} \"$WASMFN_OUTPUT\"\n  watch: [\"src/**\"]\n  output: plugin.wasm\nexport: echo\n",
        testbed.display()
    )
}

/// A function folder with a source file and the build above (not built yet).
fn add_built_function(dir: &FunctionsDir, name: &str) -> PathBuf {
    let folder = dir.add_manifest_only(name, &format!("name: {name}\n{}", build_script()));
    std::fs::create_dir(folder.join("src")).unwrap();
    std::fs::write(folder.join("src/lib.rs"), "v1").unwrap();
    folder
}

fn start(dir: &FunctionsDir) -> (Functions, broadcast::Receiver<DevEvent>) {
    start_with(dir, DevOptions::default())
}

fn start_with(
    dir: &FunctionsDir,
    options: DevOptions,
) -> (Functions, broadcast::Receiver<DevEvent>) {
    let functions = dir.builder().with_mode(Mode::Dev).with_dev_options(options).build().unwrap();
    let events = functions.dev().unwrap().subscribe();
    (functions, events)
}

/// Waits for the first event `wanted` accepts, panicking with what came instead.
async fn wait_for(
    events: &mut broadcast::Receiver<DevEvent>,
    what: &str,
    wanted: impl Fn(&DevEvent) -> bool,
) -> DevEvent {
    let mut seen = Vec::new();
    let found = tokio::time::timeout(PATIENCE, async {
        loop {
            let event = events.recv().await.unwrap();
            if wanted(&event) {
                return event;
            }
            seen.push(event);
        }
    })
    .await;
    found.unwrap_or_else(|_| panic!("no {what} within {PATIENCE:?}; saw {seen:#?}"))
}

async fn loaded(events: &mut broadcast::Receiver<DevEvent>, name: &str) -> u64 {
    let event = wait_for(
        events,
        "load",
        |e| matches!(e, DevEvent::Loaded { function, .. } if function == name),
    )
    .await;
    let DevEvent::Loaded { version, .. } = event else { unreachable!() };
    version
}

async fn load_failed(events: &mut broadcast::Receiver<DevEvent>) -> String {
    let event = wait_for(events, "failed load", |e| matches!(e, DevEvent::LoadFailed { .. })).await;
    let DevEvent::LoadFailed { error, .. } = event else { unreachable!() };
    error.to_string()
}

async fn build_finished(events: &mut broadcast::Receiver<DevEvent>) -> Option<String> {
    let event =
        wait_for(events, "finished build", |e| matches!(e, DevEvent::BuildFinished { .. })).await;
    let DevEvent::BuildFinished { report, .. } = event else { unreachable!() };
    report.error
}

async fn call(functions: &Functions, name: &str, input: Value) -> Value {
    support::call(functions, name, input).await.unwrap_or_else(|e| panic!("calling {name}: {e}"))
}

fn builds(folder: &Path) -> usize {
    std::fs::read_to_string(folder.join("builds.log")).unwrap_or_default().lines().count()
}

/// No event arrives for a while: whatever was going to happen has happened.
async fn assert_quiet(events: &mut broadcast::Receiver<DevEvent>, quiet: Duration) {
    if let Ok(event) = tokio::time::timeout(quiet, events.recv()).await {
        panic!("expected no more events, got {event:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_artifact_is_built_on_start_and_a_source_change_rebuilds_and_reloads() {
    let dir = FunctionsDir::new();
    let folder = add_built_function(&dir, "hello");
    let (functions, mut events) = start(&dir);
    assert_eq!(loaded(&mut events, "hello").await, 1);
    assert_eq!(call(&functions, "hello", json!({"v": 1})).await, json!({"v": 1}));

    std::fs::write(folder.join("src/lib.rs"), "v2").unwrap();
    assert_eq!(loaded(&mut events, "hello").await, 2);
    assert_eq!(call(&functions, "hello", json!({"v": 2})).await, json!({"v": 2}));
    assert_eq!(builds(&folder), 2);
    let info = &functions.registry().list()[0];
    assert_eq!(info.build.as_ref().unwrap().status, "succeeded");
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_files_touched_at_once_build_once() {
    let dir = FunctionsDir::new();
    let folder = add_built_function(&dir, "hello");
    let (_functions, mut events) = start(&dir);
    loaded(&mut events, "hello").await;

    for i in 0..50 {
        std::fs::write(folder.join(format!("src/file{i}.rs")), "x").unwrap();
    }
    assert_eq!(build_finished(&mut events).await, None);
    loaded(&mut events, "hello").await;
    assert_quiet(&mut events, Duration::from_secs(1)).await;
    assert_eq!(builds(&folder), 2, "one build on start, one for the burst");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_build_keeps_the_old_version_and_shows_the_error_until_fixed() {
    let dir = FunctionsDir::new();
    let folder = add_built_function(&dir, "hello");
    let (functions, mut events) = start(&dir);
    loaded(&mut events, "hello").await;

    std::fs::write(folder.join("src/broken"), "").unwrap();
    let error = build_finished(&mut events).await.expect("the build fails");
    assert!(error.contains("hello: the build failed (exit status: 3)"), "{error}");
    assert_eq!(call(&functions, "hello", json!("old")).await, json!("old"));
    let info = &functions.registry().list()[0];
    assert_eq!(info.build.as_ref().unwrap().status, "failed");
    assert_eq!(info.version, 1);

    std::fs::remove_file(folder.join("src/broken")).unwrap();
    assert_eq!(build_finished(&mut events).await, None);
    assert_eq!(loaded(&mut events, "hello").await, 2);
    let info = &functions.registry().list()[0];
    assert_eq!(info.build.as_ref().unwrap().status, "succeeded");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_build_that_writes_a_corrupt_artifact_keeps_the_old_version_serving() {
    let dir = FunctionsDir::new();
    let folder = add_built_function(&dir, "hello");
    let (functions, mut events) = start(&dir);
    loaded(&mut events, "hello").await;

    std::fs::write(folder.join("src/corrupt"), "").unwrap();
    assert_eq!(build_finished(&mut events).await, None, "the build itself succeeds");
    let error = load_failed(&mut events).await;
    assert!(error.contains("plugin.wasm is not a loadable wasm module"), "{error}");
    assert_eq!(call(&functions, "hello", json!("old")).await, json!("old"));
    assert_eq!(functions.registry().get("hello").unwrap().version(), 1);

    std::fs::remove_file(folder.join("src/corrupt")).unwrap();
    assert_eq!(loaded(&mut events, "hello").await, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_build_command_that_does_not_exist_fails_the_build_not_the_host() {
    let dir = FunctionsDir::new();
    let manifest = "build:\n  command: no-such-compiler\n  watch: [\"*.rs\"]\n  output: plugin.wasm\nexport: echo\n";
    // An artifact from an earlier build, older than the sources: stale, so dev builds it.
    let folder = dir.add_testbed("hello", manifest);
    std::fs::write(folder.join("lib.rs"), "newer than the artifact").unwrap();
    let an_hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(folder.join("plugin.wasm"))
        .unwrap()
        .set_modified(an_hour_ago)
        .unwrap();
    let (functions, mut events) = start(&dir);
    let error = build_finished(&mut events).await.expect("the build fails");
    assert!(error.contains("cannot run the build command \"no-such-compiler\""), "{error}");
    assert_eq!(call(&functions, "hello", json!(1)).await, json!(1));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hanging_build_is_stopped_with_everything_it_started() {
    let dir = FunctionsDir::new();
    let manifest = "name: slow\nbuild:\n  command: sh\n  args: [-c, 'sleep 600 & echo $! > sleeper.pid; wait']\n  output: plugin.wasm\n";
    let folder = dir.add_manifest_only("slow", manifest);
    let builder = BuildRunner::new().with_timeout(Duration::from_secs(1));
    let (_functions, mut events) = start_with(&dir, DevOptions::default().with_builder(builder));
    let error = build_finished(&mut events).await.expect("the build times out");
    assert!(error.contains("slow: the build took longer than 1s and was stopped"), "{error}");
    let pid = std::fs::read_to_string(folder.join("sleeper.pid")).unwrap();
    let status = Path::new("/proc").join(pid.trim()).join("status");
    // Gone, or a zombie waiting to be reaped by init: not running either way. SIGKILL takes
    // effect when the process is next scheduled, so allow it a moment on a busy machine.
    let running = || {
        let state = std::fs::read_to_string(&status).unwrap_or_default();
        state.contains("State:\tS") || state.contains("State:\tR")
    };
    let deadline = std::time::Instant::now() + PATIENCE;
    while running() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!running(), "the build's child survived the timeout");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_corrupt_artifact_keeps_the_old_version_serving() {
    let dir = FunctionsDir::new();
    let folder = dir.add_testbed("hello", "export: echo\n");
    let (functions, mut events) = start(&dir);

    std::fs::write(folder.join("plugin.wasm"), b"\0asm but not really").unwrap();
    let error = load_failed(&mut events).await;
    assert!(error.contains("plugin.wasm"), "{error}");
    assert_eq!(call(&functions, "hello", json!("still")).await, json!("still"));
    let entry = functions.registry().get("hello").unwrap();
    assert_eq!(entry.version(), 1);
    assert!(entry.last_error().unwrap().to_string().contains("plugin.wasm"));

    std::fs::copy(support::testbed_wasm(), folder.join("plugin.wasm")).unwrap();
    assert_eq!(loaded(&mut events, "hello").await, 2);
    let error = functions.registry().get("hello").unwrap().last_error().map(|e| e.to_string());
    assert_eq!(error, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_artifact_keeps_the_loaded_version_serving() {
    let dir = FunctionsDir::new();
    let folder = dir.add_testbed("hello", "export: echo\n");
    let (functions, mut events) = start(&dir);

    std::fs::remove_file(folder.join("plugin.wasm")).unwrap();
    let error = load_failed(&mut events).await;
    assert!(error.contains("plugin.wasm"), "{error}");
    assert_eq!(call(&functions, "hello", json!("still")).await, json!("still"));

    std::fs::copy(support::testbed_wasm(), folder.join("plugin.wasm")).unwrap();
    assert_eq!(loaded(&mut events, "hello").await, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_artifact_is_rebuilt() {
    let dir = FunctionsDir::new();
    let folder = add_built_function(&dir, "hello");
    let (_functions, mut events) = start(&dir);
    loaded(&mut events, "hello").await;

    std::fs::remove_file(folder.join("plugin.wasm")).unwrap();
    load_failed(&mut events).await;
    assert_eq!(loaded(&mut events, "hello").await, 2);
    assert_eq!(builds(&folder), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_manifest_keeps_the_old_version_until_fixed() {
    let dir = FunctionsDir::new();
    let folder = dir.add_testbed("hello", "export: echo\ntimeout: 5s\n");
    let (functions, mut events) = start(&dir);

    let manifest = folder.join("manifest.yaml");
    std::fs::write(&manifest, "name: hello\nexport: echo\ntimeout: [5s\n").unwrap();
    let error = load_failed(&mut events).await;
    assert!(error.contains("manifest.yaml:"), "{error}");
    assert_eq!(call(&functions, "hello", json!("still")).await, json!("still"));
    assert!(functions.registry().get("hello").unwrap().last_error().is_some());
    assert_eq!(functions.registry().list().len(), 1, "no second entry for the same folder");

    std::fs::write(&manifest, "name: hello\nexport: echo\ntimeout: 2s\n").unwrap();
    assert_eq!(loaded(&mut events, "hello").await, 2);
    let entry = functions.registry().get("hello").unwrap();
    assert_eq!(entry.current().unwrap().spec().manifest.timeout.get(), Duration::from_secs(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn folders_that_appear_are_loaded_and_folders_that_go_are_unloaded() {
    let dir = FunctionsDir::new();
    dir.add_testbed("first", "export: echo\n");
    let (functions, mut events) = start(&dir);

    let second = dir.add_testbed("second", "export: echo\n");
    loaded(&mut events, "second").await;
    assert_eq!(call(&functions, "second", json!(2)).await, json!(2));

    std::fs::remove_dir_all(&second).unwrap();
    wait_for(
        &mut events,
        "removal",
        |e| matches!(e, DevEvent::Removed { function } if function == "second"),
    )
    .await;
    assert!(functions.registry().get("second").is_none());
    assert_eq!(call(&functions, "first", json!(1)).await, json!(1));

    // The same folder, back again.
    dir.add_testbed("second", "export: echo\n");
    loaded(&mut events, "second").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_mode_never_builds_or_watches() {
    let dir = FunctionsDir::new();
    let folder = add_built_function(&dir, "hello");
    let functions = dir.builder().build().unwrap();
    assert!(functions.dev().is_none());
    std::fs::write(folder.join("src/lib.rs"), "v2").unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(builds(&folder), 0);
    assert!(functions.registry().get("hello").unwrap().current().is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_keep_succeeding_while_the_function_is_reloaded_again_and_again() {
    let dir = FunctionsDir::new();
    let folder = dir.add_testbed("hello", "export: echo\n");
    let (functions, mut events) = start(&dir);
    let addr = support::serve(functions.router()).await;
    let load = support::HttpLoad::start(addr, "hello", 4);

    let reloads = 25;
    for _ in 0..reloads {
        support::replace_file(&support::testbed_wasm(), &folder.join("plugin.wasm"));
        loaded(&mut events, "hello").await;
    }
    let report = load.stop().await;
    assert_eq!(report.failed, 0, "{report:?}");
    assert!(report.succeeded > reloads, "{report:?}");
    assert_eq!(functions.registry().get("hello").unwrap().version(), reloads + 1);
}
