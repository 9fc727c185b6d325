//! JavaScript and TypeScript functions for real: bundled by esbuild (npm packages included),
//! run by the QuickJS engine built from source, called through the real host and HTTP server.

use wasmfn_test_support as support;

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use support::{FunctionsDir, call};
use wasmfn::runtime::RuntimeOptions;
use wasmfn_build::{JsBuild, JsBuildError};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js").join(name)
}

fn add_js(dir: &FunctionsDir, name: &str, source: &Path, extra: &str) {
    dir.add_js(name, source, extra, false);
}

#[tokio::test(flavor = "multi_thread")]
async fn npm_packages_run_unmodified() {
    let dir = FunctionsDir::new();
    let examples = support::repo_root().join("examples");
    add_js(&dir, "hello-ts", &examples.join("hello-ts"), "config:\n  greeting: Hi\n");
    add_js(&dir, "hello-js", &examples.join("hello-js"), "");
    let functions = dir.functions();

    // zod validates, crypto.randomUUID comes from the host's randomness.
    let output =
        call(&functions, "hello-ts", json!({ "name": "Ada", "excited": true })).await.unwrap();
    assert_eq!(output["message"], "Hi, Ada!");
    assert_eq!(output["id"].as_str().unwrap().len(), 36);
    let error = call(&functions, "hello-ts", json!({ "name": 5 })).await.unwrap_err();
    assert_eq!((error.code(), error.status().as_u16()), ("invalid_input", 400));
    assert!(error.to_string().contains("name: Expected string, received number"), "{error}");

    // nanoid (crypto.getRandomValues) and date-fns.
    let input = json!({ "title": "dentist", "from": "2026-01-30", "days": 3 });
    let first = call(&functions, "hello-js", input.clone()).await.unwrap();
    let second = call(&functions, "hello-js", input).await.unwrap();
    assert_eq!(
        (first["title"].as_str(), first["due"].as_str()),
        (Some("dentist"), Some("2026-02-02"))
    );
    assert_eq!(first["id"].as_str().unwrap().len(), 21);
    assert_ne!(first["id"], second["id"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_web_globals_npm_code_expects_behave_like_the_web() {
    let dir = FunctionsDir::new();
    add_js(&dir, "globals", &fixture("globals"), "");
    let output = call(&dir.functions(), "globals", Value::Null).await.unwrap();
    assert_eq!(output["decoded"], "héllo €𝄞");
    assert_eq!(output["utf8"], 14);
    let url = &output["url"];
    // Changing searchParams re-serializes the query form-encoded, as browsers do.
    assert_eq!(url["href"], "https://user:pw@example.com:8443/a/b?x=1&y=two+words&z=3#frag");
    assert_eq!(
        (url["host"].as_str(), url["pathname"].as_str()),
        (Some("example.com:8443"), Some("/a/b"))
    );
    assert_eq!((url["x"].as_str(), url["y"].as_str()), (Some("1"), Some("two words")));
    assert_eq!(url["origin"], "https://example.com:8443");
    assert_eq!(output["invalidUrl"], false);
    assert_eq!(output["params"], "q=a+b&n=1");
    assert_eq!(
        (output["randomLength"].as_u64(), output["randomVaries"].as_bool()),
        (Some(16), Some(true))
    );
    assert_eq!(output["uuid"], true);
    assert_eq!(
        (output["base64"].as_str(), output["unbase64"].as_str()),
        (Some("aGVsbG8="), Some("hello"))
    );
    assert_eq!(output["clone"], json!({ "distinct": true, "cycle": true, "date": true, "map": 1 }));
    assert_eq!(output["order"], json!(["microtask", "timeout 0", "timeout 20"]));
    assert_eq!(output["now"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_kind_of_failure_is_a_clear_json_error_and_the_next_call_works() {
    let dir = FunctionsDir::new();
    add_js(&dir, "faults", &fixture("faults"), "timeout: 2s\nmemory: 32mib\n");
    add_js(&dir, "other", &fixture("faults"), "");
    let functions = dir.builder().with_body_limit(8 << 20).build().unwrap();
    let addr = support::serve(functions.router()).await;
    let http = reqwest::Client::new();
    let post = |function: &str, body: String| {
        let request = http.post(format!("http://{addr}/api/functions/{function}")).body(body);
        async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap())
        }
    };

    let cases: [(Value, u16, &str, &str); 7] = [
        (
            json!({ "op": "throw" }),
            500,
            "js_error",
            "TypeError: the input was wrong\n    at index_default (index.js:11:",
        ),
        (json!({ "op": "custom" }), 409, "out_of_stock", "no more blue ones"),
        (json!({ "op": "reject" }), 500, "js_error", "Error: rejected later"),
        (json!({ "op": "bigint" }), 500, "invalid_output", "BigInt"),
        (json!({ "op": "cycle" }), 500, "invalid_output", "circular"),
        (json!({ "op": "loop" }), 504, "timeout", "timed out after 2000ms"),
        (json!({ "op": "alloc" }), 500, "", "memory"),
    ];
    for (input, status, code, message) in cases {
        let (got, body) = post("faults", input.to_string()).await;
        let error = &body["error"];
        assert_eq!(got, status, "{input}: {body}");
        if !code.is_empty() {
            assert_eq!(error["code"], code, "{input}: {body}");
        }
        assert!(error["message"].as_str().unwrap().contains(message), "{input}: {body}");
        // The host, the function and other functions all keep working.
        let echo = json!({ "op": "echo", "value": [1, "two"] }).to_string();
        assert_eq!(post("faults", echo.clone()).await, (200, json!([1, "two"])), "after {input}");
        assert_eq!(post("other", echo).await.0, 200, "after {input}");
    }

    let (status, body) = post("faults", "{not json".to_owned()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_input")), "{body}");
    let text = "x".repeat(5 << 20);
    let (status, body) = post("faults", json!({ "op": "size", "text": text }).to_string()).await;
    assert_eq!((status, body), (200, json!({ "length": 5 << 20 })));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_never_sees_another_calls_timers_and_guests_cannot_claim_host_faults() {
    let dir = FunctionsDir::new();
    add_js(&dir, "faults", &fixture("faults"), "timeout: 20s\n");
    // One slot: every call below runs on the same warm instance.
    let functions =
        dir.builder().with_runtime(RuntimeOptions::default().with_pool_size(1)).build().unwrap();
    let api = support::Api::serve(functions.router()).await;
    let op = |op: &str| json!({ "op": op }).to_string();

    // A timeout and an interval left behind run neither inside later calls nor between them.
    assert_eq!(api.post("faults", op("leave-timers")).await, (200, json!({ "ticks": 0 })));
    let echo = json!({ "op": "echo", "value": 1 }).to_string();
    assert_eq!(api.post("faults", echo).await, (200, json!(1)));
    assert_eq!(api.post("faults", op("ticks")).await, (200, json!({ "ticks": 0 })));
    // With nothing left to run, a promise that never settles says so at once (no 504).
    let (status, code, _) = api.fail("faults", op("never")).await;
    assert_eq!((status, code.as_str()), (500, "promise_never_settled"));

    // Many timers at once run in time order, well within the call's timeout.
    let many = json!({ "op": "many-timers", "n": 20000 }).to_string();
    assert_eq!(api.post("faults", many).await, (200, json!({ "ran": 20000, "sorted": true })));

    // The instance (and its globals) survives guest errors of every kind.
    assert_eq!(api.post("faults", op("bump")).await, (200, json!({ "bumps": 1 })));
    for result in ["function", "symbol"] {
        let (status, code, message) = api.fail("faults", op(result)).await;
        assert_eq!((status, code.as_str()), (500, "invalid_output"), "{result}: {message}");
        assert!(message.contains(&format!("it is a {result}")), "{message}");
    }
    for claimed in ["trap", "memory_limit", "timeout", "overloaded"] {
        let forge = json!({ "op": "forge", "code": claimed }).to_string();
        let (status, code, message) = api.fail("faults", forge).await;
        assert_eq!((status, code.as_str()), (500, "guest_error"), "{claimed}: {message}");
        assert!(message.contains(&format!("claimed the host's code \"{claimed}\"")), "{message}");
    }
    assert_eq!(api.post("faults", op("bump")).await, (200, json!({ "bumps": 2 })));
}

#[tokio::test(flavor = "multi_thread")]
async fn input_no_guest_can_parse_is_refused_before_any_guest_runs() {
    let dir = FunctionsDir::new();
    add_js(&dir, "faults", &fixture("faults"), "");
    let functions = dir.functions();
    let api = support::Api::serve(functions.router()).await;
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let (status, code, message) = api.fail("faults", deep).await;
    assert_eq!((status, code.as_str()), (400, "invalid_input"), "{message}");
    assert!(message.contains("deeper than 128"), "{message}");
    let not_utf8 = b"{\"op\":\"echo\",\"value\":\"\xff\xfe\"}".to_vec();
    let (status, code, message) = api.fail("faults", not_utf8).await;
    assert_eq!((status, code.as_str()), (400, "invalid_input"), "{message}");
    assert!(message.contains("UTF-8"), "{message}");
    // At the documented limit, the guest gets it.
    let nested = format!("{}{}", "[".repeat(127), "]".repeat(127));
    let at_limit = format!(r#"{{"op":"echo","value":{nested}}}"#);
    assert_eq!(api.post("faults", at_limit).await.0, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_script_fails_its_build_or_its_calls_with_the_reason() {
    let error = JsBuild::new(fixture("syntax-error"))
        .with_output(tempfile::tempdir().unwrap().path().join("plugin.wasm"))
        .run()
        .unwrap_err();
    let JsBuildError::Bundle { errors, .. } = &error else { panic!("{error:?}") };
    assert!(errors.contains("index.js:2:"), "file:line:column: {errors}");

    let dir = FunctionsDir::new();
    for name in ["no-handler", "not-a-function", "throws-on-load", "never-settles"] {
        add_js(&dir, name, &fixture(name), "");
    }
    add_js(&dir, "faults", &fixture("faults"), "");
    let functions = dir.functions();
    let cases = [
        ("no-handler", "handler_missing", "no `default` or `handler` export"),
        ("not-a-function", "handler_missing", "is a int, not a function"),
        ("throws-on-load", "script_error", "broken at load"),
        ("never-settles", "promise_never_settled", "never settled"),
    ];
    for (name, code, message) in cases {
        for _ in 0..2 {
            let error = call(&functions, name, Value::Null).await.unwrap_err();
            assert_eq!(error.code(), code, "{name}: {error}");
            assert!(error.to_string().contains(message), "{name}: {error}");
        }
    }
    let echo = json!({ "op": "echo", "value": "alive" });
    assert_eq!(call(&functions, "faults", echo).await.unwrap(), "alive");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_runtime_exception_points_at_the_typescript_source_line() {
    let dir = FunctionsDir::new();
    add_js(&dir, "ts-throws", &fixture("ts-throws"), "");
    let functions = dir.functions();
    let error = call(&functions, "ts-throws", json!({ "n": -1 })).await.unwrap_err();
    let message = error.to_string();
    assert!(message.contains("RangeError: n must not be negative, got -1"), "{message}");
    assert!(message.contains("at handler (src/index.ts:8:"), "{message}");
    assert!(!message.contains("bundle.js") && !message.contains("prelude"), "{message}");
    assert_eq!(call(&functions, "ts-throws", json!({ "n": 2 })).await.unwrap(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_preinitialized_module_answers_like_the_plain_one() {
    let dir = FunctionsDir::new();
    let examples = support::repo_root().join("examples");
    dir.add_js("hello-ts", &examples.join("hello-ts"), "", true);
    dir.add_js("ts-throws", &fixture("ts-throws"), "", true);
    dir.add_js("throws-on-load", &fixture("throws-on-load"), "", true);
    let functions = dir.functions();

    // The bundle was evaluated at build time; calls still get the host's randomness.
    let first = call(&functions, "hello-ts", json!({ "name": "Ada" })).await.unwrap();
    let second = call(&functions, "hello-ts", json!({ "name": "Ada" })).await.unwrap();
    assert_eq!(first["message"], "Hello, Ada.");
    assert_ne!(first["id"], second["id"]);
    let error = call(&functions, "hello-ts", json!({ "name": "" })).await.unwrap_err();
    assert_eq!(error.code(), "invalid_input", "{error}");
    let error = call(&functions, "ts-throws", json!({ "n": -1 })).await.unwrap_err();
    assert!(error.to_string().contains("at handler (src/index.ts:8:"), "{error}");
    // A bundle that throws while loading is not snapshotted: its calls say why.
    let error = call(&functions, "throws-on-load", Value::Null).await.unwrap_err();
    assert_eq!(error.code(), "script_error", "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_js_function_reads_config_and_calls_the_app_api() {
    let dir = FunctionsDir::new();
    let extra = "config:\n  region: eu\napi:\n  scopes: [\"GET /api/ping\"]\n";
    add_js(&dir, "faults", &fixture("faults"), extra);
    let functions = dir.functions();
    functions
        .host_api()
        .connect(axum::Router::new().route("/api/ping", axum::routing::get(|| async { "pong" })));
    let output =
        call(&functions, "faults", json!({ "op": "config", "key": "region" })).await.unwrap();
    assert_eq!(output, json!({ "value": "eu" }));
    let request = |path: &str| json!({ "op": "api", "request": { "method": "GET", "path": path } });
    let output = call(&functions, "faults", request("/api/ping")).await.unwrap();
    assert_eq!(output, json!({ "status": 200, "body": "pong" }));
    let output = call(&functions, "faults", request("/api/secret")).await.unwrap();
    assert_eq!(output["status"], 403);
}

#[test]
fn the_typescript_api_types_check_the_examples_and_catch_mistakes() {
    let tsc = support::repo_root().join("node_modules/.bin/tsc");
    let check = |project: &Path| {
        let output = std::process::Command::new(&tsc)
            .arg("--noEmit")
            .arg("-p")
            .arg(project)
            .output()
            .unwrap();
        (output.status.success(), String::from_utf8_lossy(&output.stdout).into_owned())
    };
    for project in ["examples/hello-ts", "templates/ts", "templates/http-ts"] {
        let (ok, errors) = check(&support::repo_root().join(project));
        assert!(ok, "{project}: {errors}");
    }
    let (ok, errors) = check(&fixture("type-error"));
    assert!(!ok);
    assert!(errors.contains("src/index.ts(5,12)"), "{errors}");
    assert!(errors.contains("src/index.ts(6,9)"), "{errors}");
}
