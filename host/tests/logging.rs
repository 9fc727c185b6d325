//! Guest logs reach the host's `tracing` with the function's name and their fields, inside the
//! invocation span; each call records its outcome.

use wasmfn_test_support as support;

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use serde_json::json;
use support::FunctionsDir;
use tower::ServiceExt;
use wasmfn::Invocation;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn guest_logs_carry_the_function_and_fields() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::DEBUG)
        .init();

    let dir = FunctionsDir::new();
    dir.add_testbed("logger", "");
    let functions = dir.functions();
    let call = |input| functions.service().oneshot(Invocation::json("logger", &input));
    call(json!({ "op": "log", "message": "hello from the guest" })).await.unwrap();
    call(json!({ "op": "fail", "code": "nope", "message": "refused" })).await.unwrap_err();
    // 5 MiB of logs from one call: 1 MiB of it is logged, then one warning.
    let line = format!("flood {}", "x".repeat(1018));
    call(json!({ "op": "log", "message": line, "times": 5 * 1024 })).await.unwrap();
    call(json!({ "op": "log", "message": "the next call logs again" })).await.unwrap();

    let hello = support::example("hello-rust");
    functions.registry().load(hello).unwrap();
    let input = json!({ "name": "Ada" });
    functions.service().oneshot(Invocation::json("hello-rust", &input)).await.unwrap();

    // A process function's stderr lines, in the same span.
    let folder = dir.add_manifest_only(
        "process-logger",
        "name: process-logger\nruntime: process\nprocess:\n  entry: main.js\n",
    );
    std::fs::write(
        folder.join("main.js"),
        "console.error('hello from a process'); console.log('{}'); \
         console.error(JSON.stringify({ level: 'warn', message: 'structured', fields: { user: 'ada' } }))",
    )
    .unwrap();
    functions.registry().load_from_dir(&folder).unwrap();
    functions.service().oneshot(Invocation::json("process-logger", &json!({}))).await.unwrap();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let line = |needle: &str| {
        logs.lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no {needle:?} in:\n{logs}"))
    };
    let guest = line("hello from the guest");
    assert!(guest.contains("wasmfn::guest") && guest.contains("function=logger"), "{guest}");
    assert!(guest.contains("invocation{function=logger"), "inside the call's span: {guest}");
    let failed = line("invocation failed");
    assert!(failed.contains("outcome=\"nope\"") || failed.contains("outcome=nope"), "{failed}");
    let process = line("hello from a process");
    assert!(process.contains("wasmfn::guest"), "{process}");
    assert!(process.contains("invocation{function=process-logger"), "{process}");
    let structured = line("structured");
    assert!(
        structured.contains("WARN") && structured.contains(r#"{"user":"ada"}"#),
        "{structured}"
    );
    let flood = logs.lines().filter(|l| l.contains("flood xxx")).count();
    assert!((1000..=1024).contains(&flood), "{flood} of 5120 lines logged");
    assert_eq!(logs.matches("the call logged more than 1 MiB").count(), 1);
    line("the next call logs again");
    let ada = line("greeting Ada");
    assert!(ada.contains("function=hello-rust"), "{ada}");
}

#[tokio::test]
async fn anonymous_requests_cannot_flood_the_log() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    // This thread only (the test's runtime is current-thread): the other test owns the global.
    let _logs = tracing::subscriber::set_default(subscriber);

    let dir = FunctionsDir::new();
    let hook =
        "hooks:\n  - type: webhook\n    path: unset\n    secret_env: WASMFN_TEST_UNSET_SECRET\n";
    dir.add_testbed("echo", &format!("export: echo\n{hook}"));
    let api = support::Api::serve(dir.functions().router()).await;
    for n in 0..20 {
        assert_eq!(api.post(&format!("nope-{n}"), "{}").await.0, 404);
        assert_eq!(api.post("echo", "{not json").await.0, 400);
        let webhook = |path: &str| {
            let url = format!("http://{}/api/webhooks/{path}", api.addr);
            let request = api.client.post(url).header("x-wasmfn-signature", "t=1,v1=00");
            async move { request.send().await.unwrap().status().as_u16() }
        };
        assert_eq!(webhook("unset").await, 503);
        assert_eq!(webhook("unknown").await, 404);
    }
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let loud: Vec<&str> =
        logs.lines().filter(|l| l.contains("WARN") || l.contains("ERROR")).collect();
    assert_eq!(loud.len(), 1, "one line for the missing secret, nothing else:\n{logs}");
    assert!(loud[0].contains("WASMFN_TEST_UNSET_SECRET is not set"), "{logs}");
}
