//! hello-rust end to end: the real guest, built to wasm, called through Extism.

mod support;

use serde_json::json;
use wasmfn::{FunctionSpec, InvokeError, LoadError, WasmFunction};

#[test]
fn hello_rust_greets() {
    let function = WasmFunction::load(&support::example("hello-rust")).unwrap();
    let output = function.call_json(&json!({ "name": "world" })).unwrap();
    assert_eq!(output, json!({ "message": "Hello, world!", "length": 5 }));
    // The instance is reused: a second call works and sees its own input.
    let output = function.call_json(&json!({ "name": "Ada" })).unwrap();
    assert_eq!(output["message"], "Hello, Ada!");
}

#[test]
fn config_comes_from_the_manifest() {
    let mut spec = support::example("hello-rust");
    spec.manifest
        .config
        .insert("greeting".into(), "Bonjour".into());
    let function = WasmFunction::load(&spec).unwrap();
    assert_eq!(
        function.call_json(&json!({ "name": "Ada" })).unwrap()["message"],
        "Bonjour, Ada!"
    );
}

#[test]
fn guest_errors_arrive_typed() {
    let function = WasmFunction::load(&support::example("hello-rust")).unwrap();

    let err = function.call_json(&json!({ "name": "  " })).unwrap_err();
    let InvokeError::Guest { code, message, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("invalid_input", "name must not be empty")
    );

    let err = function.call_json(&json!({ "nom": "x" })).unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    assert!(err.to_string().contains("missing field `name`"), "{err}");

    // A failed call leaves the instance usable.
    assert_eq!(
        function.call_json(&json!({ "name": "x" })).unwrap()["length"],
        1
    );
}

#[test]
fn a_missing_artifact_is_a_load_error_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("manifest.yaml"),
        "name: unbuilt\nbuild:\n  command: cargo\n  output: out/unbuilt.wasm\n",
    )
    .unwrap();
    let err = WasmFunction::load(&FunctionSpec::from_dir(dir.path()).unwrap()).unwrap_err();
    assert!(matches!(err, LoadError::Artifact { .. }), "{err:?}");
    assert!(err.to_string().contains("out/unbuilt.wasm"), "{err}");
}

#[test]
fn a_file_that_is_not_wasm_is_a_load_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("manifest.yaml"), "name: junk\n").unwrap();
    std::fs::write(dir.path().join("plugin.wasm"), b"this is not wasm").unwrap();
    let err = WasmFunction::load(&FunctionSpec::from_dir(dir.path()).unwrap()).unwrap_err();
    assert!(matches!(err, LoadError::Compile { .. }), "{err:?}");
    assert!(err.to_string().starts_with("function junk: "), "{err}");
}

#[test]
fn a_wrong_export_name_is_a_load_error() {
    let mut spec = support::example("hello-rust");
    spec.manifest.export = "main".into();
    let err = WasmFunction::load(&spec).unwrap_err();
    assert!(matches!(err, LoadError::MissingExport { .. }), "{err:?}");
    assert!(
        err.to_string().contains("no export named \"main\""),
        "{err}"
    );
}
