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

/// A raw HTTP/1.1 exchange, so the test needs no client library.
fn http(addr: &str, method: &str, path: &str, body: &str) -> (u16, serde_json::Value) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let (_, body) = response.split_once("\r\n\r\n").unwrap();
    (status, serde_json::from_str(body).unwrap_or(serde_json::Value::Null))
}

/// Kills the child when the test ends, even by a panic.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn serve_answers_over_http() {
    use std::io::BufRead;

    let examples = repo_root().join("examples");
    let build = wasmfn(&["build", "--dir", examples.to_str().unwrap(), "hello-rust"]);
    assert!(build.status.success());

    let mut server = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_wasmfn"))
            .args(["serve", examples.to_str().unwrap(), "--addr", "127.0.0.1:0"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    // Read stderr until the address shows, then keep draining it so the server never writes
    // into a closed pipe.
    let mut lines = std::io::BufReader::new(server.0.stderr.take().unwrap()).lines();
    let addr = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|line| line.split("http://").nth(1).map(|a| a.trim().to_owned()))
        .expect("serve prints its address");
    std::thread::spawn(move || lines.for_each(drop));

    let (status, body) = http(&addr, "POST", "/api/functions/hello-rust", r#"{"name":"Ada"}"#);
    assert_eq!((status, body["message"].as_str()), (200, Some("Hello, Ada!")));
    let (status, body) = http(&addr, "POST", "/api/functions/nope", "{}");
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("function_not_found")));
    let (status, body) = http(&addr, "GET", "/api/health", "");
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
}
