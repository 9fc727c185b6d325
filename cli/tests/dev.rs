//! `wasmfn dev` end to end: a real server process, a real Rust guest rebuilt by cargo, real
//! source edits.

use wasmfn_test_support as support;

use std::{path::Path, time::Duration};

use support::request as http;
use support::{Server, repo_root};

/// The binary under test.
const WASMFN: &str = env!("CARGO_BIN_EXE_wasmfn");

/// Writes hello-rust's source into `function` with its greeting format replaced.
fn set_greeting(function: &Path, format: &str) {
    let source = std::fs::read_to_string(repo_root().join("examples/hello-rust/src/lib.rs"));
    let source = source.unwrap();
    let original = "\"{greeting}, {name}!\"";
    assert!(source.contains(original), "hello-rust's greeting changed: update this test");
    let source = source.replace(original, &format!("\"{format}\""));
    std::fs::write(function.join("src/lib.rs"), source).unwrap();
}

#[test]
fn dev_rebuilds_and_reloads_on_a_source_change_and_survives_a_broken_edit() {
    let functions = tempfile::tempdir().unwrap();
    let function = functions.path().join("hello-rust");
    let example = repo_root().join("examples/hello-rust");
    std::fs::create_dir_all(function.join("src")).unwrap();
    for file in ["manifest.yaml", "src/lib.rs"] {
        std::fs::copy(example.join(file), function.join(file)).unwrap();
    }
    // The copy lives elsewhere: its path to the PDK must be absolute. It gets a crate name of
    // its own: in the shared target dir, its edited build would otherwise replace
    // `hello_rust.wasm`, which cargo does not rewrite for the untouched example.
    let cargo_toml = std::fs::read_to_string(example.join("Cargo.toml"))
        .unwrap()
        .replace(
            "path = \"../../pdk/rust\"",
            &format!("path = {:?}", repo_root().join("pdk/rust").display().to_string()),
        )
        .replace("name = \"hello-rust\"", "name = \"hello-rust-dev-test\"");
    std::fs::write(function.join("Cargo.toml"), cargo_toml).unwrap();

    // The target dir all tests build guests in (std is rebuilt for wasm: minutes when cold).
    let target = repo_root().join("target/guests");
    let server = Server::start(
        WASMFN,
        &["dev", functions.path().to_str().unwrap()],
        &[("CARGO_TARGET_DIR", &target)],
    );
    let cold_build = Duration::from_secs(20 * 60);
    let first = server.wait_for("first build", cold_build, || server.message());
    assert_eq!(first, "Hello, Ada!");
    let log = server.log();
    assert!(log.contains("pending hello-rust (waits for its build)"), "{log}");
    let startup = log.split("serving").next().unwrap();
    assert!(!startup.contains("disabled"), "a function about to be built is not disabled: {log}");

    set_greeting(&function, "{greeting}, {name}!!");
    let rebuild = Duration::from_secs(5 * 60);
    server.wait_for("new output", rebuild, || server.message().filter(|m| m == "Hello, Ada!!"));

    // A broken edit: the build fails, the old version keeps answering, the error shows.
    set_greeting(&function, "{greeting}, {name}!!\" oops \"");
    let failed = server.wait_for("failed build", rebuild, || {
        let (_, info) = http(&server.addr, "GET", "/api/functions/hello-rust", "");
        (info["build"]["status"] == "failed").then_some(info)
    });
    assert!(failed["build"]["error"].as_str().unwrap().contains("hello-rust: the build failed"));
    assert_eq!(server.message().as_deref(), Some("Hello, Ada!!"));
    let log = server.log();
    assert!(log.contains("src/lib.rs") && log.contains("failed"), "{log}");

    // Fixed: the new version serves.
    set_greeting(&function, "{greeting}, {name}?");
    server.wait_for("recovery", rebuild, || server.message().filter(|m| m == "Hello, Ada?"));
    let (_, info) = http(&server.addr, "GET", "/api/functions/hello-rust", "");
    assert_eq!(info["build"]["status"], "succeeded");
    assert_eq!(info["status"], "ready");
}

#[test]
fn dev_rebundles_a_js_function_on_save_and_keeps_the_old_one_through_a_syntax_error() {
    let files = ["manifest.yaml", "package.json", "src/index.js"];
    let (functions, function) = support::example_copy("hello-js", &files);
    let source = std::fs::read_to_string(function.join("src/index.js")).unwrap();
    let plan = |server: &Server| {
        let input = r#"{"title":"dentist","from":"2026-01-30","days":3}"#;
        let (status, body) = http(&server.addr, "POST", "/api/functions/hello-js", input);
        (status == 200).then(|| body["title"].as_str().unwrap().to_owned())
    };

    let server = Server::start(WASMFN, &["dev", functions.path().to_str().unwrap()], &[]);
    // The first build may have to compile the engine (minutes when cold).
    let first = server.wait_for("first build", Duration::from_secs(20 * 60), || plan(&server));
    assert_eq!(first, "dentist");

    let edit = |text: &str| std::fs::write(function.join("src/index.js"), text).unwrap();
    edit(&source.replace(
        "return { id: nanoid(), title,",
        "return { id: nanoid(), title: title.toUpperCase(),",
    ));
    let patience = Duration::from_secs(60);
    server.wait_for("new output", patience, || plan(&server).filter(|t| t == "DENTIST"));

    edit("export default function ( {\n");
    let failed = server.wait_for("failed build", patience, || {
        let (_, info) = http(&server.addr, "GET", "/api/functions/hello-js", "");
        (info["build"]["status"] == "failed").then_some(info)
    });
    let error = failed["build"]["error"].as_str().unwrap();
    assert!(error.contains("hello-js: the build failed"), "{error}");
    assert_eq!(plan(&server).as_deref(), Some("DENTIST"), "the old version keeps serving");
    assert!(server.log().contains("src/index.js:2:0"), "{}", server.log());

    edit(&source);
    server.wait_for("recovery", patience, || plan(&server).filter(|t| t == "dentist"));
}
