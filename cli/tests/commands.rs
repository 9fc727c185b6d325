//! The `wasmfn` binary, run as users run it.

use wasmfn_test_support as support;

use support::{Server, Stderr, repo_root};
use support::{cli::stdout, request as http};

/// The binary under test.
const WASMFN: &str = env!("CARGO_BIN_EXE_wasmfn");

fn wasmfn(args: &[&str]) -> std::process::Output {
    support::cli::run(WASMFN, args)
}

#[test]
fn builds_and_invokes_hello_rust() {
    let examples = repo_root().join("examples");
    let examples = examples.to_str().unwrap();

    let build = wasmfn(&["build", "--dir", examples, "hello-rust"]);
    assert!(build.status.success(), "{}{}", stdout(&build), String::from_utf8_lossy(&build.stderr));
    assert!(stdout(&build).contains("built hello-rust"), "{}", stdout(&build));

    let call = wasmfn(&["invoke", "--dir", examples, "hello-rust", r#"{"name":"world"}"#]);
    assert!(call.status.success(), "{}", String::from_utf8_lossy(&call.stderr));
    let output: serde_json::Value = serde_json::from_slice(&call.stdout).unwrap();
    assert_eq!(output, serde_json::json!({ "message": "Hello, world!", "length": 5 }));

    let failed = wasmfn(&["invoke", "--dir", examples, "hello-rust", r#"{"name":""}"#]);
    assert_eq!(failed.status.code(), Some(1));
    let body: serde_json::Value = serde_json::from_slice(&failed.stdout).unwrap();
    assert_eq!(body["error"]["code"], "invalid_input");

    let not_json = wasmfn(&["invoke", "--dir", examples, "hello-rust", "{name"]);
    assert_eq!(not_json.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&not_json.stderr).contains("the input is not JSON"));

    let unknown = wasmfn(&["invoke", "--dir", examples, "nope"]);
    assert_eq!(unknown.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        stderr.contains("no function named \"nope\"") && stderr.contains("hello-rust"),
        "{stderr}"
    );
}

#[test]
fn check_reports_each_bad_manifest_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    for (name, manifest) in [
        ("good", "name: good\n"),
        ("typo", "name: typo\ntimeuot: 5s\n"),
        ("parsecs", "name: parsecs\ntimeout: 10 parsecs\n"),
    ] {
        std::fs::create_dir(dir.path().join(name)).unwrap();
        std::fs::write(dir.path().join(name).join("manifest.yaml"), manifest).unwrap();
    }
    let check = wasmfn(&["check", dir.path().to_str().unwrap()]);
    let out = stdout(&check);
    assert_eq!(check.status.code(), Some(1), "{out}");
    assert!(out.contains("ok good"), "{out}");
    assert!(out.contains("typo/manifest.yaml:2:1: timeuot: unknown field"), "{out}");
    assert!(
        out.contains("parsecs/manifest.yaml:2:10: timeout: \"10 parsecs\" is not a duration"),
        "{out}"
    );
    assert!(out.contains("3 manifests, 2 invalid"), "{out}");

    let examples = wasmfn(&["check", repo_root().join("examples").to_str().unwrap()]);
    assert!(examples.status.success(), "{}", stdout(&examples));
}

#[test]
fn check_reports_paths_out_of_the_folder_and_names_or_webhooks_declared_twice() {
    let dir = tempfile::tempdir().unwrap();
    let webhook = "hooks:\n  - type: webhook\n    path: same\n    secret_env: S\n";
    for (folder, manifest) in [
        ("hello", "name: hello\n".to_owned()),
        ("hello-copy", "name: hello\n".to_owned()),
        ("absolute", "name: absolute\nbuild:\n  command: make\n  output: /etc/passwd\n".into()),
        ("hook-1", format!("name: hook-1\n{webhook}")),
        ("hook-2", format!("name: hook-2\n{}", webhook.replace("same", "/same/"))),
        ("linked", "name: linked\n".into()),
    ] {
        std::fs::create_dir(dir.path().join(folder)).unwrap();
        std::fs::write(dir.path().join(folder).join("manifest.yaml"), manifest).unwrap();
    }
    std::os::unix::fs::symlink("/etc/passwd", dir.path().join("linked/plugin.wasm")).unwrap();
    let check = wasmfn(&["check", dir.path().to_str().unwrap()]);
    let out = stdout(&check);
    assert_eq!(check.status.code(), Some(1), "{out}");
    for expected in [
        "hello-copy/manifest.yaml: name \"hello\" is also declared by ",
        "absolute/manifest.yaml:4:11: build.output: \"/etc/passwd\" leaves the function folder",
        "hook-2/manifest.yaml: webhook path \"same\" is also declared by ",
        "linked/manifest.yaml: build.output: \"plugin.wasm\" resolves to a file outside",
        "6 manifests, 4 invalid",
    ] {
        assert!(out.contains(expected), "{expected}: {out}");
    }
    assert!(!out.contains("root:"), "{out}");
}

#[test]
fn a_failing_build_command_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let function = dir.path().join("broken");
    std::fs::create_dir(&function).unwrap();
    std::fs::write(
        function.join("manifest.yaml"),
        "name: broken\nbuild:\n  command: false\n  output: out.wasm\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("missing")).unwrap();
    std::fs::write(
        dir.path().join("missing/manifest.yaml"),
        "name: missing\nbuild:\n  command: no-such-compiler-here\n  output: out.wasm\n",
    )
    .unwrap();

    let build = wasmfn(&["build", "--dir", dir.path().to_str().unwrap(), "broken"]);
    assert_eq!(build.status.code(), Some(1));
    let out = stdout(&build);
    assert!(out.contains("error broken: the build failed (exit status: 1)"), "{out}");

    let build = wasmfn(&["build", "--dir", dir.path().to_str().unwrap(), "missing"]);
    assert_eq!(build.status.code(), Some(1));
    let out = stdout(&build);
    assert!(out.contains("cannot run the build command \"no-such-compiler-here\""), "{out}");
}

#[test]
fn schema_prints_the_committed_schema() {
    let schema = wasmfn(&["schema"]);
    assert!(schema.status.success());
    let committed =
        std::fs::read_to_string(repo_root().join("schema/manifest.schema.json")).unwrap();
    assert_eq!(stdout(&schema), committed);
}

/// A functions folder with hello-rust alone (built): the other examples are not built here.
fn hello_rust_alone() -> tempfile::TempDir {
    let examples = repo_root().join("examples");
    let build = wasmfn(&["build", "--dir", examples.to_str().unwrap(), "hello-rust"]);
    assert!(build.status.success());
    let functions = tempfile::tempdir().unwrap();
    let function = functions.path().join("hello-rust");
    std::fs::create_dir(&function).unwrap();
    for file in ["manifest.yaml", "plugin.wasm"] {
        std::fs::copy(examples.join("hello-rust").join(file), function.join(file)).unwrap();
    }
    functions
}

#[test]
fn serve_keeps_answering_when_nobody_reads_its_logs() {
    let functions = hello_rust_alone();
    for stderr in [Stderr::Unread, Stderr::Closed] {
        let server =
            Server::start_with(WASMFN, &["serve", functions.path().to_str().unwrap()], &[], stderr);
        // Each call logs a line: far more than a pipe holds.
        for _ in 0..3000 {
            let (status, _) =
                http(&server.addr, "POST", "/api/functions/hello-rust", r#"{"name":"Ada"}"#);
            assert_eq!(status, 200);
        }
    }
}

#[test]
fn serve_answers_over_http_and_invoke_calls_it() {
    let functions = hello_rust_alone();
    let server = Server::start(WASMFN, &["serve", functions.path().to_str().unwrap()], &[]);
    let (status, body) =
        http(&server.addr, "POST", "/api/functions/hello-rust", r#"{"name":"Ada"}"#);
    assert_eq!((status, body["message"].as_str()), (200, Some("Hello, Ada!")));
    let (status, body) = http(&server.addr, "POST", "/api/functions/nope", "{}");
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("function_not_found")));
    let (status, body) = http(&server.addr, "GET", "/api/health", "");
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
    // Metrics are on by default: the call above is counted.
    let (status, metrics) = support::http::request_text(&server.addr, "GET", "/metrics");
    assert_eq!(status, 200);
    let counted =
        r#"wasmfn_function_calls_total{function="hello-rust",trigger="http",outcome="ok"} 1"#;
    assert!(metrics.lines().any(|line| line == counted), "{metrics}");

    let url = format!("http://{}", server.addr);
    let call = wasmfn(&["invoke", "--url", &url, "hello-rust", r#"{"name":"Bo"}"#]);
    assert!(call.status.success(), "{}", String::from_utf8_lossy(&call.stderr));
    let output: serde_json::Value = serde_json::from_slice(&call.stdout).unwrap();
    assert_eq!(output["message"], "Hello, Bo!");
    let failed = wasmfn(&["invoke", "--url", &url, "hello-rust", r#"{"name":""}"#]);
    assert_eq!(failed.status.code(), Some(1));
    let body: serde_json::Value = serde_json::from_slice(&failed.stdout).unwrap();
    assert_eq!(body["error"]["code"], "invalid_input");
    let unreachable = wasmfn(&["invoke", "--url", "http://127.0.0.1:1", "hello-rust"]);
    assert_eq!(unreachable.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unreachable.stderr).contains("cannot reach"));
}

#[test]
fn new_creates_a_function_that_checks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_str().unwrap();
    let created = wasmfn(&["new", "send-email", "--dir", path]);
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let manifest = std::fs::read_to_string(dir.path().join("send-email/manifest.yaml")).unwrap();
    assert!(manifest.contains("name: send-email"), "{manifest}");
    let cargo_toml = std::fs::read_to_string(dir.path().join("send-email/Cargo.toml")).unwrap();
    assert!(cargo_toml.contains("name = \"send-email\""), "{cargo_toml}");
    assert!(cargo_toml.contains(&repo_root().join("pdk/rust").display().to_string()));
    let check = wasmfn(&["check", path]);
    assert!(check.status.success(), "{}", stdout(&check));

    let again = wasmfn(&["new", "send-email", "--dir", path]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let bad = wasmfn(&["new", "Send_Email", "--dir", path]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("cannot name a function"));
    let usage = wasmfn(&["new"]);
    assert_eq!(usage.status.code(), Some(2), "usage errors exit with 2");
}

#[test]
fn new_ts_and_js_functions_build_with_build_js_and_answer() {
    // Inside the checkout, so esbuild and the `wasmfn` package resolve from its node_modules.
    let dir = tempfile::tempdir_in(repo_root().join("target")).unwrap();
    let path = dir.path().to_str().unwrap();
    for (name, template) in [("greet-ts", "ts"), ("greet-js", "js")] {
        let created = wasmfn(&["new", name, "--template", template, "--dir", path]);
        assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
        assert!(stdout(&created).contains("npm install"), "{}", stdout(&created));
        let package = std::fs::read_to_string(dir.path().join(name).join("package.json")).unwrap();
        assert!(package.contains(&format!("\"name\": \"{name}\"")), "{package}");
        let pdk = format!("file:{}", repo_root().join("pdk/js").display());
        assert!(package.contains(&pdk), "{package}");

        let folder = dir.path().join(name);
        let built = wasmfn(&["build-js", folder.to_str().unwrap()]);
        assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
        let answer = wasmfn(&["invoke", "--dir", path, name, r#"{"name":"Ada"}"#]);
        assert!(answer.status.success(), "{}", String::from_utf8_lossy(&answer.stderr));
        let output: serde_json::Value = serde_json::from_str(&stdout(&answer)).unwrap();
        assert_eq!(output["message"], "Hello, Ada!");
    }
    let check = wasmfn(&["check", path]);
    assert!(check.status.success(), "{}", stdout(&check));

    // A syntax error fails the build with esbuild's file:line:column.
    let source = dir.path().join("greet-js/src/index.js");
    std::fs::write(&source, "export default function ( {\n").unwrap();
    let broken = wasmfn(&["build-js", dir.path().join("greet-js").to_str().unwrap()]);
    assert_eq!(broken.status.code(), Some(1));
    let errors = String::from_utf8_lossy(&broken.stderr);
    assert!(errors.contains("src/index.js:2:0"), "{errors}");
}

#[test]
fn new_http_ts_answers_its_routes_under_serve() {
    let dir = tempfile::tempdir_in(repo_root().join("target")).unwrap();
    let path = dir.path().to_str().unwrap();
    let created = wasmfn(&["new", "greet-page", "--template", "http-ts", "--dir", path]);
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let built = wasmfn(&["build-js", dir.path().join("greet-page").to_str().unwrap()]);
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    let server = Server::start(WASMFN, &["serve", path], &[]);
    let page = support::http::request_text(&server.addr, "GET", "/greet-page/Ada");
    assert_eq!(page.0, 200, "{page:?}");
    assert_eq!(page.1, "<!doctype html><h1>Hello, Ada!</h1>");
    let (status, body) = http(&server.addr, "POST", "/api/functions/greet-page", "{}");
    assert_eq!(status, 501, "{body}");
}

#[test]
fn new_node_creates_a_process_function_that_answers_without_a_build() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_str().unwrap();
    let created = wasmfn(&["new", "greet", "--template", "node", "--dir", path]);
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let checked = wasmfn(&["check", path]);
    assert!(checked.status.success(), "{}", stdout(&checked));
    let call = wasmfn(&["invoke", "--dir", path, "greet", r#"{"name":"Ada"}"#]);
    assert!(call.status.success(), "{}", String::from_utf8_lossy(&call.stderr));
    let output: serde_json::Value = serde_json::from_slice(&call.stdout).unwrap();
    assert_eq!(output["message"], "Hello, Ada!");
    let refused = wasmfn(&["invoke", "--dir", path, "greet", "{}"]);
    assert_eq!(refused.status.code(), Some(1));
    let body: serde_json::Value = serde_json::from_slice(&refused.stdout).unwrap();
    assert_eq!(body["error"]["code"], "invalid_input");
}

fn json_out(output: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("{}{}", stdout(output), String::from_utf8_lossy(&output.stderr)))
}

#[test]
fn invoke_fires_each_trigger_in_process() {
    let functions = support::FunctionsDir::new();
    functions.add_testbed("hooked", support::EVERY_HOOK);
    let dir = functions.path().to_str().unwrap();
    let fire = |trigger: &str, input: &str, secret: Option<&str>| {
        let mut command = std::process::Command::new(WASMFN);
        command.args(["invoke", "--dir", dir, "hooked", input, "--trigger", trigger]);
        match secret {
            Some(secret) => command.env("HOOK_SECRET", secret),
            None => command.env_remove("HOOK_SECRET"),
        };
        command.output().unwrap()
    };
    let tick = fire("schedule", "null", None);
    assert!(tick.status.success());
    assert_eq!(json_out(&tick)["type"], "schedule");
    let event = fire("database", r#"{"id":3}"#, None);
    assert_eq!(json_out(&event)["new"]["id"], 3);
    let hook = fire("webhook", r#"{"ref":"main"}"#, Some("s3cret"));
    assert_eq!(json_out(&hook)["json"]["ref"], "main");
    let unsigned = fire("webhook", "null", None);
    assert_eq!(unsigned.status.code(), Some(1));
    assert_eq!(json_out(&unsigned)["error"]["code"], "webhook_secret_missing");
    let usage = wasmfn(&["invoke", "--dir", dir, "hooked", "--trigger", "cron"]);
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn invoke_fires_triggers_on_a_server_and_logs_follows_the_calls() {
    let functions = support::FunctionsDir::new();
    functions.add_testbed("hooked", support::EVERY_HOOK);
    let dir = functions.path().to_str().unwrap();
    let secret = std::path::Path::new("s3cret");
    let server = Server::start(WASMFN, &["serve", dir, "--dashboard"], &[("HOOK_SECRET", secret)]);
    let url = format!("http://{}", server.addr);
    server.wait_for("the dashboard's address", std::time::Duration::from_secs(10), || {
        server.log().contains("/_wasmfn/").then_some(())
    });

    // `wasmfn logs` prints each call as it ends.
    let mut logs = support::cli::KillOnDrop(
        std::process::Command::new(WASMFN)
            .args(["logs", "--url", &url, "hooked"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let printed = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let lines = std::io::BufReader::new(logs.0.stdout.take().unwrap());
    let sink = std::sync::Arc::clone(&printed);
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(lines).map_while(Result::ok) {
            sink.lock().unwrap().push_str(&format!("{line}\n"));
        }
    });
    // Until `logs` is connected, calls would go unseen: fire until one is printed.
    let fire = |trigger: &str| {
        let mut command = std::process::Command::new(WASMFN);
        command.args(["invoke", "--url", &url, "--dir", dir, "hooked", "--trigger", trigger]);
        command.env("HOOK_SECRET", "s3cret").output().unwrap()
    };
    server.wait_for("a call in wasmfn logs", std::time::Duration::from_secs(30), || {
        let fired = fire("schedule");
        assert!(fired.status.success(), "{}", String::from_utf8_lossy(&fired.stderr));
        printed.lock().unwrap().contains(" schedule ok ").then_some(())
    });
    let hook = fire("webhook");
    assert!(hook.status.success(), "{}", stdout(&hook));
    assert_eq!(json_out(&hook)["path"], "github");
    let event = fire("database");
    assert_eq!(json_out(&event)["table"], "users");
    server.wait_for("the webhook and database calls", std::time::Duration::from_secs(10), || {
        let printed = printed.lock().unwrap();
        (printed.contains(" webhook ok ") && printed.contains(" database ok ")).then_some(())
    });

    // Without the dashboard or the history, a clear refusal.
    let plain = Server::start(WASMFN, &["serve", dir], &[]);
    let url = format!("http://{}", plain.addr);
    let refused = wasmfn(&["invoke", "--url", &url, "hooked", "--trigger", "schedule"]);
    assert_eq!(refused.status.code(), Some(1));
    let follow = wasmfn(&["logs", "--url", &url]);
    assert_eq!(follow.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&follow.stderr).contains("history_off"));
}
