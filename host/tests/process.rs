//! Process functions for real: node scripts, a Rust binary compiled here, and the
//! hello-node-ts example, run as subprocesses through the real host and HTTP server. Each
//! fault answers with its status and code, leaves no process behind, and the next call of
//! another function works.

use wasmfn_test_support as support;

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use serde_json::{Value, json};
use support::{Api, FunctionsDir};
use tower::ServiceExt;
use wasmfn::{
    Mode,
    dev::BuildRunner,
    runtime::{LoadedFunction, RuntimeOptions},
};

/// The `ok` function still answers: the host and the other functions are fine.
async fn assert_alive(api: &Api) {
    assert_eq!(api.post("ok", r#"{"n":1}"#).await, (200, json!({ "got": { "n": 1 } })));
}

/// A node function: `main.js` with `script`, its manifest `name` plus `extra` lines.
fn add_script(dir: &FunctionsDir, name: &str, script: &str, extra: &str) -> PathBuf {
    let manifest = format!("name: {name}\nruntime: process\nprocess:\n  entry: main.js\n{extra}");
    let folder = dir.add_manifest_only(name, &manifest);
    std::fs::write(folder.join("main.js"), script).unwrap();
    folder
}

/// Scripts write their pid (and their children's) into `pids` in their folder.
const RECORD_PID: &str = r#"
const fs = require("node:fs");
function recordPid(pid) { fs.appendFileSync("pids", pid + "\n"); }
recordPid(process.pid);
"#;

const OK: &str = r#"
const input = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify({ got: input }));
"#;

fn with_ok(dir: &FunctionsDir) {
    add_script(dir, "ok", OK, "");
}

/// Whether a process is still running (a zombie waiting for its parent is not).
fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|stat| stat.rsplit(')').next().is_some_and(|rest| !rest.starts_with(" Z")))
}

/// Every process the function in `folder` recorded has ended (SIGKILL lands within moments).
async fn assert_nothing_left(folder: &Path) {
    let pids: Vec<u32> = std::fs::read_to_string(folder.join("pids"))
        .unwrap_or_default()
        .lines()
        .map(|line| line.parse().unwrap())
        .collect();
    assert!(!pids.is_empty(), "{} recorded no pid", folder.display());
    for _ in 0..100 {
        if !pids.iter().any(|&pid| running(pid)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("still running: {:?}", pids.iter().filter(|&&p| running(p)).collect::<Vec<_>>());
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let name = entry.file_name();
        if name == "node_modules" || name == "dist" {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &to.join(&name));
        } else {
            std::fs::copy(entry.path(), to.join(&name)).unwrap();
        }
    }
}

/// A copy of examples/hello-node-ts in a functions directory, with the repository's
/// node_modules (tsx, esbuild) linked in.
fn hello_node_ts(dir: &FunctionsDir) -> PathBuf {
    let folder = dir.path().join("hello-node-ts");
    copy_dir(&support::repo_root().join("examples/hello-node-ts"), &folder);
    std::os::unix::fs::symlink(
        support::repo_root().join("node_modules"),
        folder.join("node_modules"),
    )
    .unwrap();
    folder
}

#[tokio::test(flavor = "multi_thread")]
async fn hello_node_ts_runs_its_source_in_dev_and_its_bundle_in_serve() {
    // Dev: the TypeScript source through tsx, no build; a save is served by the next call.
    let dev_dir = FunctionsDir::new();
    let folder = hello_node_ts(&dev_dir);
    let dev = dev_dir.builder().with_mode(Mode::Dev).build().unwrap();
    let api = Api::serve(dev.router()).await;
    let (status, output) = api.post("hello-node-ts", r#"{"name":"Ada"}"#).await;
    assert_eq!(status, 200, "{output}");
    assert_eq!(output, json!({ "message": "Hello, Ada!", "ran": "index.ts", "mode": "dev" }));
    let source = folder.join("src/index.ts");
    let edited = std::fs::read_to_string(&source).unwrap().replace("}!`", "}!!`");
    std::fs::write(&source, edited).unwrap();
    let (status, output) = api.post("hello-node-ts", r#"{"name":"Ada"}"#).await;
    assert_eq!((status, &output["message"]), (200, &json!("Hello, Ada!!")), "{output}");
    let entry = dev.registry().get("hello-node-ts").unwrap();
    assert!(entry.last_build().is_none(), "dev mode built a function that runs its source");
    assert!(!folder.join("dist").exists());

    // Serve without the build: the host starts, the function is disabled and says why.
    let serve_dir = FunctionsDir::new();
    let folder = hello_node_ts(&serve_dir);
    let (status, _, message) = {
        let functions = serve_dir.functions();
        Api::serve(functions.router()).await.fail("hello-node-ts", "{}").await
    };
    assert_eq!(status, 503);
    assert!(message.contains("not built") && message.contains("dist/index.js"), "{message}");

    // Serve after the manifest's build: the bundle, pinned as it was at load.
    let spec = wasmfn::FunctionSpec::from_dir(&folder).unwrap();
    BuildRunner::new().run(&spec).await.unwrap();
    let functions = serve_dir.functions();
    let api = Api::serve(functions.router()).await;
    let (_, output) = api.post("hello-node-ts", r#"{"name":"Ada"}"#).await;
    assert_eq!(output, json!({ "message": "Hello, Ada!", "ran": "index.js", "mode": "serve" }));
    let (status, code, message) = api.fail("hello-node-ts", r#"{"name":5}"#).await;
    assert_eq!((status, code.as_str()), (400, "invalid_input"), "{message}");
    std::fs::write(folder.join("dist/index.js"), "process.stdout.write('{\"replaced\":true}')")
        .unwrap();
    let (_, output) = api.post("hello-node-ts", r#"{"name":"Ada"}"#).await;
    assert_eq!(output["message"], "Hello, Ada!", "serve mode ran a file changed after load");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_binary_compiled_from_rust_runs_directly_and_sees_only_allowed_variables() {
    let dir = FunctionsDir::new();
    let folder = dir.add_manifest_only(
        "native",
        "name: native\nruntime: process\nprocess:\n  entry: main.rs\n  language: binary\n\
         \x20 env: [PATH, WASMFN_TEST_UNSET]\n\
         build:\n  command: rustc\n  args: [-O, -o, bin/native, main.rs]\n  output: bin/native\n\
         config:\n  unit: bytes\n",
    );
    std::fs::write(folder.join("main.rs"), NATIVE).unwrap();
    std::fs::create_dir_all(folder.join("bin")).unwrap();
    // Compiled by its manifest's build, as `wasmfn build` would.
    let spec = wasmfn::FunctionSpec::from_dir(&folder).unwrap();
    BuildRunner::new().run(&spec).await.unwrap();
    // The tests' own environment has more than PATH (cargo's CARGO_*, HOME, ...).
    assert!(std::env::var_os("CARGO_MANIFEST_DIR").is_some());
    let functions = dir.functions();
    let api = Api::serve(functions.router()).await;
    let (status, code, _) = api.fail("native", r#"{"text":"#).await;
    assert_eq!((status, code.as_str()), (400, "invalid_input"), "the host checks the input");
    let (status, output) = api.post("native", r#"{"text":"hello"}"#).await;
    assert_eq!(status, 200, "{output}");
    assert_eq!(output["bytes"], 16);
    let mut env: Vec<String> = serde_json::from_value(output["env"].clone()).unwrap();
    env.sort();
    // WASMFN_CALL marks what the call starts, to find what leaves its process group;
    // WASMFN_HANDLER says how to read stdin (`json` here).
    let expected = [
        "PATH",
        "WASMFN_CALL",
        "WASMFN_CONFIG",
        "WASMFN_FUNCTION",
        "WASMFN_HANDLER",
        "WASMFN_MODE",
    ];
    assert_eq!(env, expected);
    assert_eq!(output["config"], r#"{"unit":"bytes"}"#);
}

/// Reads stdin, answers with its length, the names of its environment variables and
/// `WASMFN_CONFIG`; std only.
const NATIVE: &str = r##"
use std::io::{Read, Write};
fn main() {
    let mut input = Vec::new();
    std::io::stdin().read_to_end(&mut input).unwrap();
    let names: Vec<String> = std::env::vars().map(|(k, _)| format!("{k:?}")).collect();
    let config = std::env::var("WASMFN_CONFIG").unwrap_or_default();
    let out = format!(r#"{{"bytes":{},"env":[{}],"config":{:?}}}"#, input.len(), names.join(","), config);
    std::io::stdout().write_all(out.as_bytes()).unwrap();
}
"##;

#[tokio::test(flavor = "multi_thread")]
async fn programs_that_cannot_start_disable_the_function_with_a_clear_error() {
    let dir = FunctionsDir::new();
    with_ok(&dir);
    dir.add_manifest_only("go-fn", "name: go-fn\nruntime: process\nprocess:\n  entry: main.go\n");
    std::fs::write(dir.path().join("go-fn/main.go"), "package main\nfunc main() {}\n").unwrap();
    dir.add_manifest_only(
        "missing",
        "name: missing\nruntime: process\nprocess:\n  entry: bin/nothing\n",
    );
    let folder = dir.add_manifest_only(
        "not-executable",
        "name: not-executable\nruntime: process\nprocess:\n  entry: run.sh\n",
    );
    std::fs::write(folder.join("run.sh"), "#!/bin/sh\necho '{}'\n").unwrap();
    let functions = dir.functions();
    let api = Api::serve(functions.router()).await;

    // Go is not installed here (nor on CI); where it is, there is nothing to check.
    if which("go").is_none() {
        let (status, code, message) = api.fail("go-fn", "{}").await;
        assert_eq!((status, code.as_str()), (503, "disabled"));
        assert!(message.contains("go is not installed"), "{message}");
        assert_alive(&api).await;
    }
    let (status, code, message) = api.fail("missing", "{}").await;
    assert_eq!((status, code.as_str()), (503, "disabled"));
    assert!(message.contains("bin/nothing does not exist"), "{message}");
    assert_alive(&api).await;
    let (status, code, message) = api.fail("not-executable", "{}").await;
    assert_eq!((status, code.as_str()), (503, "disabled"));
    assert!(message.contains("run.sh is not executable"), "{message}");
    assert_alive(&api).await;
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
}

#[tokio::test(flavor = "multi_thread")]
async fn failing_processes_answer_with_typed_errors_and_leave_nothing_running() {
    let dir = FunctionsDir::new();
    with_ok(&dir);
    let script = |body: &str| format!("{RECORD_PID}\n{body}");
    let cases = [
        (
            "exits",
            script("console.error('something broke'); process.exit(3);"),
            "",
            (500, "process_failed"),
            // What a process prints to stderr may be anything: it stays in the host's log.
            vec!["exit status 3", "its stderr is in the host's log"],
        ),
        (
            "says-not-found",
            script(
                "process.stdout.write(JSON.stringify({ error: { code: 'not_found', message: 'no such user', status: 404 } })); process.exit(1);",
            ),
            "",
            (404, "not_found"),
            vec!["no such user"],
        ),
        (
            "prints-text",
            script("process.stdout.write('this is not JSON');"),
            "",
            (500, "invalid_output"),
            vec!["invalid JSON"],
        ),
        (
            "floods",
            // 100 MB, as fast as the pipe takes it.
            script(
                "const chunk = Buffer.alloc(1 << 20, 'x'); let left = 100; \
                 (function more() { while (left > 0) { left--; if (!process.stdout.write(chunk)) \
                 return process.stdout.once('drain', more); } })();",
            ),
            "",
            (500, "output_too_large"),
            vec!["more than 16.0 MiB"],
        ),
        (
            "writes-too-much",
            // Past its manifest's own, smaller cap.
            script("process.stdout.write('x'.repeat(100 * 1024));"),
            "  max_output: 64kib\n",
            (500, "output_too_large"),
            vec!["more than 64.0 KiB"],
        ),
        (
            "hangs",
            // A child of its own, then nothing but waiting.
            script(
                "const child = require('node:child_process').spawn('sleep', ['1000'], { stdio: 'ignore' }); \
                 recordPid(child.pid); setInterval(() => {}, 1000);",
            ),
            "timeout: 1s\n",
            (504, "timeout"),
            vec!["timed out after 1000ms"],
        ),
        (
            "ignores-stdin",
            script("setInterval(() => {}, 1000);"),
            "timeout: 1s\n",
            (504, "timeout"),
            vec![],
        ),
        (
            "allocates",
            script("const kept = []; for (;;) kept.push(new Array(1 << 20).fill(1.5));"),
            "memory: 64mib\n",
            (500, "process_failed"),
            vec!["killed by"],
        ),
    ];
    for (name, script, extra, _, _) in &cases {
        add_script(&dir, name, script, extra);
    }
    let functions = dir.builder().with_body_limit(8 << 20).build().unwrap();
    let api = Api::serve(functions.router()).await;
    // Large enough that a process that never reads it fills the pipe.
    let big_input = serde_json::to_vec(&json!({ "data": "x".repeat(5 << 20) })).unwrap();
    for (name, _, _, expected, fragments) in cases {
        let input = if name == "ignores-stdin" { big_input.clone() } else { b"{}".to_vec() };
        let (status, code, message) = api.fail(name, input).await;
        assert_eq!((status, code.as_str()), expected, "{name}: {message}");
        for fragment in fragments {
            assert!(message.contains(fragment), "{name}: {message:?} lacks {fragment:?}");
        }
        assert!(!message.contains("something broke"), "{name}: {message}");
        assert_nothing_left(&dir.path().join(name)).await;
        assert_alive(&api).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn what_leaves_the_process_group_is_killed_and_never_holds_the_call_open() {
    let dir = FunctionsDir::new();
    with_ok(&dir);
    // A child in a session of its own that keeps stdout open after the function answered.
    let holds_stdout = format!(
        "{RECORD_PID}\nconst child = require('node:child_process').spawn('setsid', ['sleep', '1000'], \
         {{ stdio: ['ignore', 'inherit', 'ignore'] }}); recordPid(child.pid); \
         process.stdout.write(JSON.stringify({{ done: true }}), () => process.exit(0));"
    );
    // A daemon: forked twice, orphaned, in a session of its own, holding nothing of the call.
    let daemon = format!(
        "{RECORD_PID}\nrequire('node:child_process').execSync(\"sh -c 'setsid sleep 1000 \
         </dev/null >/dev/null 2>&1 & echo $! >> pids'\"); process.stdout.write('{{}}');"
    );
    let holds = add_script(&dir, "holds-stdout", &holds_stdout, "timeout: 20s\n");
    let daemonizes = add_script(&dir, "daemonizes", &daemon, "timeout: 20s\n");
    let api = Api::serve(dir.functions().router()).await;

    assert_eq!(api.post("holds-stdout", "{}").await, (200, json!({ "done": true })));
    assert_eq!(std::fs::read_to_string(holds.join("pids")).unwrap().lines().count(), 2);
    assert_nothing_left(&holds).await;
    assert_eq!(api.post("daemonizes", "{}").await, (200, json!({})));
    assert_eq!(std::fs::read_to_string(daemonizes.join("pids")).unwrap().lines().count(), 2);
    assert_nothing_left(&daemonizes).await;
    assert_alive(&api).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_reader_gets_all_its_input() {
    let dir = FunctionsDir::new();
    let slow = r#"
let bytes = 0;
process.stdin.on("data", (chunk) => {
  bytes += chunk.length;
  process.stdin.pause();
  setTimeout(() => process.stdin.resume(), 20);
});
process.stdin.on("end", () => process.stdout.write(JSON.stringify({ bytes })));
"#;
    add_script(&dir, "slow", slow, "timeout: 20s\n");
    let functions = dir.builder().with_body_limit(8 << 20).build().unwrap();
    let api = Api::serve(functions.router()).await;
    let input = serde_json::to_vec(&json!({ "data": "x".repeat(2 << 20) })).unwrap();
    let (status, output) = api.post("slow", input.clone()).await;
    assert_eq!((status, output), (200, json!({ "bytes": input.len() })));
}

#[tokio::test(flavor = "multi_thread")]
async fn calls_beyond_the_pool_wait_then_fail_as_overloaded() {
    let dir = FunctionsDir::new();
    let sleeper = "require('node:fs').writeFileSync('started', ''); \
                   setTimeout(() => process.stdout.write('{}'), 1500);";
    let folder = add_script(&dir, "sleeper", sleeper, "");
    let functions = dir
        .builder()
        .with_runtime(
            RuntimeOptions::default()
                .with_pool_size(1)
                .with_queue_timeout(Duration::from_millis(300)),
        )
        .build()
        .unwrap();
    let api = std::sync::Arc::new(Api::serve(functions.router()).await);
    let first = tokio::spawn({
        let api = api.clone();
        async move { api.post("sleeper", "{}").await }
    });
    let started = folder.join("started");
    support::wait_until("the first call running", Duration::from_secs(30), || started.exists())
        .await;
    let (status, code, _) = api.fail("sleeper", "{}").await;
    assert_eq!((status, code.as_str()), (503, "overloaded"));
    assert_eq!(first.await.unwrap(), (200, json!({})));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_caller_that_gives_up_takes_the_process_and_its_children_with_it() {
    let dir = FunctionsDir::new();
    let script = format!(
        "{RECORD_PID}\nconst child = require('node:child_process').spawn('sleep', ['1000'], \
         {{ stdio: 'ignore' }}); recordPid(child.pid); setInterval(() => {{}}, 1000);"
    );
    let folder = add_script(&dir, "stuck", &script, "");
    let functions = dir.functions();
    let call = functions.service().oneshot(wasmfn::Invocation::new("stuck", "{}"));
    let gave_up = tokio::time::timeout(Duration::from_millis(1500), call).await;
    assert!(gave_up.is_err(), "the call should still be running: {gave_up:?}");
    assert_eq!(std::fs::read_to_string(folder.join("pids")).unwrap().lines().count(), 2);
    assert_nothing_left(&folder).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_mode_refuses_a_source_changed_under_it_instead_of_reloading() {
    let dir = FunctionsDir::new();
    with_ok(&dir);
    let folder = add_script(&dir, "in-place", "process.stdout.write('{\"v\":1}')", "");
    let functions = dir.functions();
    let api = Api::serve(functions.router()).await;
    assert_eq!(api.post("in-place", "{}").await, (200, json!({ "v": 1 })));
    std::fs::write(folder.join("main.js"), "process.stdout.write('{\"v\":22}')").unwrap();
    let (status, code, message) = api.fail("in-place", "{}").await;
    assert_eq!((status, code.as_str()), (503, "disabled"));
    assert!(message.contains("changed since it was loaded"), "{message}");
    assert_alive(&api).await;
    // Loading it again (a restart, or dev mode) serves the new version.
    functions.registry().load_from_dir(&folder).unwrap();
    assert_eq!(api.post("in-place", "{}").await, (200, json!({ "v": 22 })));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_event_runs_a_process_function_like_any_other() {
    let dir = FunctionsDir::new();
    let hook = "hooks:\n  - type: database\n    source: users\n    action: insert\n";
    add_script(&dir, "on-signup", OK, hook);
    let functions = dir.functions();
    let event = wasmfn::triggers::DbEvent::insert("users", json!({ "id": 1, "name": "Ada" }));
    let deliveries = functions.database().emit_and_wait(event).await;
    assert_eq!(deliveries.len(), 1);
    let output = deliveries[0].result.as_ref().unwrap();
    assert_eq!(output["got"]["new"], json!({ "id": 1, "name": "Ada" }));
    assert_eq!(output["got"]["table"], "users");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_program_deleted_under_dev_mode_fails_to_start_with_503() {
    use std::os::unix::fs::PermissionsExt;
    let dir = FunctionsDir::new();
    with_ok(&dir);
    let folder = dir
        .add_manifest_only("script", "name: script\nruntime: process\nprocess:\n  entry: run.sh\n");
    let script = folder.join("run.sh");
    std::fs::write(&script, "#!/bin/sh\ncat\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let functions = dir.builder().with_mode(Mode::Dev).build().unwrap();
    let api = Api::serve(functions.router()).await;
    assert_eq!(api.post("script", r#"{"a":1}"#).await, (200, json!({ "a": 1 })));
    std::fs::remove_file(&script).unwrap();
    let (status, code, message) = api.fail("script", "{}").await;
    assert_eq!((status, code.as_str()), (503, "spawn_failed"));
    assert!(message.contains("cannot start") && message.contains("run.sh"), "{message}");
    assert_alive(&api).await;
}

/// Deno from npm (the repository's `node_modules/.bin/deno`): TypeScript without a build.
const DENO_TS: &str = r#"
const input: { n: number } = JSON.parse(await new Response(Deno.stdin.readable).text());
const output = { doubled: input.n * 2, mode: Deno.env.get("WASMFN_MODE") };
await Deno.stdout.write(new TextEncoder().encode(JSON.stringify(output)));
"#;

#[tokio::test(flavor = "multi_thread")]
async fn typescript_runs_on_deno_installed_by_npm_in_both_modes() {
    let dir = FunctionsDir::new();
    let folder = dir.add_manifest_only(
        "deno-ts",
        "name: deno-ts\nruntime: process\nprocess:\n  entry: main.ts\n  args: [--allow-env=WASMFN_MODE]\n",
    );
    std::fs::write(folder.join("main.ts"), DENO_TS).unwrap();
    // Found in node_modules/.bin above the function, as npm installs it.
    std::os::unix::fs::symlink(
        support::repo_root().join("node_modules"),
        folder.join("node_modules"),
    )
    .unwrap();
    for mode in [Mode::Dev, Mode::Serve] {
        let spec = wasmfn::FunctionSpec::from_dir(&folder).unwrap();
        let options = RuntimeOptions::default().with_mode(mode);
        let function = LoadedFunction::load(spec, &options).unwrap();
        let output = function.call(bytes::Bytes::from_static(br#"{"n":21}"#)).await.unwrap();
        let output: Value = serde_json::from_slice(&output).unwrap();
        assert_eq!(output, json!({ "doubled": 42, "mode": mode.as_str() }));
    }

    // Its memory limit goes through V8's heap limit (see docs/process-runtime.md).
    let hog = dir.add_manifest_only(
        "deno-hog",
        "name: deno-hog\nruntime: process\nprocess:\n  entry: main.ts\nmemory: 64mib\n",
    );
    std::fs::write(
        hog.join("main.ts"),
        "const kept = []; for (;;) kept.push(new Array(1 << 20).fill(1.5));",
    )
    .unwrap();
    std::os::unix::fs::symlink(support::repo_root().join("node_modules"), hog.join("node_modules"))
        .unwrap();
    let spec = wasmfn::FunctionSpec::from_dir(&hog).unwrap();
    let function = LoadedFunction::load(spec, &Default::default()).unwrap();
    let error = function.call(bytes::Bytes::from_static(b"{}")).await.unwrap_err();
    assert_eq!(error.code(), "process_failed", "{error}");
    assert!(error.to_string().contains("Reached heap limit"), "{error}");
}

const PYTHON: &str = r#"
import json, os, sys
data = json.load(sys.stdin)
if data.get("hog"):
    kept = bytearray(512 * 1024 * 1024)
print("python got", data, file=sys.stderr)
json.dump({"upper": data["text"].upper(), "mode": os.environ["WASMFN_MODE"]}, sys.stdout)
"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_python_function_runs_in_both_modes_and_meets_its_memory_limit() {
    let dir = FunctionsDir::new();
    let folder = dir.add_manifest_only(
        "shout",
        "name: shout\nruntime: process\nprocess:\n  entry: main.py\n  args: [-X, utf8]\nmemory: 64mib\n",
    );
    std::fs::write(folder.join("main.py"), PYTHON).unwrap();
    for mode in [Mode::Dev, Mode::Serve] {
        let spec = wasmfn::FunctionSpec::from_dir(&folder).unwrap();
        let options = RuntimeOptions::default().with_mode(mode);
        let function = LoadedFunction::load(spec, &options).unwrap();
        let output = function.call(bytes::Bytes::from(r#"{"text":"hé"}"#)).await.unwrap();
        let output: Value = serde_json::from_slice(&output).unwrap();
        assert_eq!(output, json!({ "upper": "HÉ", "mode": mode.as_str() }));
        let hog = bytes::Bytes::from_static(br#"{"text":"x","hog":true}"#);
        let error = function.call(hog).await.unwrap_err();
        assert_eq!(error.code(), "process_failed", "{error}");
        assert!(error.to_string().contains("MemoryError"), "{error}");
    }
}
