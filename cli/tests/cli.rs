//! The `wasmfn` binary, run as users run it.

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

fn wasmfn(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wasmfn")).args(args).output().expect("wasmfn runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
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
    assert!(out.contains("ok    good"), "{out}");
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
    assert!(stdout(&build).contains("error broken: build failed"), "{}", stdout(&build));

    let build = wasmfn(&["build", "--dir", dir.path().to_str().unwrap(), "missing"]);
    assert_eq!(build.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&build.stderr);
    assert!(stderr.contains("cannot run \"no-such-compiler-here\""), "{stderr}");
}

#[test]
fn schema_prints_the_committed_schema() {
    let schema = wasmfn(&["schema"]);
    assert!(schema.status.success());
    let committed =
        std::fs::read_to_string(repo_root().join("schema/manifest.schema.json")).unwrap();
    assert_eq!(stdout(&schema), committed);
}
