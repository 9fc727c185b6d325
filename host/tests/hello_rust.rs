//! hello-rust end to end: the real example, built to wasm by the project's build function,
//! called through the host.

use wasmfn_test_support as support;

use std::sync::Arc;

use serde_json::{Value, json};
use tower::ServiceExt;
use wasmfn::{
    FunctionService, FunctionSpec, Invocation, InvokeError, registry::FunctionRegistry,
    runtime::RuntimeOptions,
};

fn service(spec: FunctionSpec) -> FunctionService {
    let registry = Arc::new(FunctionRegistry::new(RuntimeOptions::default()));
    registry.load(spec).unwrap();
    FunctionService::new(registry)
}

async fn call(service: &FunctionService, input: Value) -> Result<Value, InvokeError> {
    let output = service.clone().oneshot(Invocation::json("hello-rust", &input)).await?;
    Ok(serde_json::from_slice(&output).unwrap())
}

#[tokio::test]
async fn hello_rust_greets() {
    let service = service(support::example("hello-rust"));
    let output = call(&service, json!({ "name": "world" })).await.unwrap();
    assert_eq!(output, json!({ "message": "Hello, world!", "length": 5 }));
    let output = call(&service, json!({ "name": "Ada" })).await.unwrap();
    assert_eq!(output["message"], "Hello, Ada!");
}

#[tokio::test]
async fn config_comes_from_the_manifest() {
    let mut spec = support::example("hello-rust");
    spec.manifest.config.insert("greeting".into(), "Bonjour".into());
    let service = service(spec);
    assert_eq!(call(&service, json!({ "name": "Ada" })).await.unwrap()["message"], "Bonjour, Ada!");
}

#[tokio::test]
async fn guest_errors_arrive_typed() {
    let service = service(support::example("hello-rust"));

    let err = call(&service, json!({ "name": "  " })).await.unwrap_err();
    let InvokeError::Guest { code, message, .. } = &err else { panic!("{err:?}") };
    assert_eq!((code.as_str(), message.as_str()), ("invalid_input", "name must not be empty"));

    let err = call(&service, json!({ "nom": "x" })).await.unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    assert!(err.to_string().contains("missing field `name`"), "{err}");

    // A failed call leaves the function usable.
    assert_eq!(call(&service, json!({ "name": "x" })).await.unwrap()["length"], 1);
}

#[test]
fn load_errors_name_the_function_and_the_file() {
    let registry = FunctionRegistry::new(RuntimeOptions::default());
    let dir = tempfile::tempdir().unwrap();

    std::fs::write(
        dir.path().join("manifest.yaml"),
        "name: unbuilt\nbuild:\n  command: cargo\n  output: out/unbuilt.wasm\n",
    )
    .unwrap();
    let err = registry.load_from_dir(dir.path()).unwrap_err().to_string();
    assert!(
        err.starts_with("function unbuilt: cannot read artifact")
            && err.contains("out/unbuilt.wasm"),
        "{err}"
    );

    std::fs::write(dir.path().join("manifest.yaml"), "name: junk\n").unwrap();
    std::fs::write(dir.path().join("plugin.wasm"), b"this is not wasm").unwrap();
    let err = registry.load_from_dir(dir.path()).unwrap_err().to_string();
    assert!(
        err.starts_with("function junk: ") && err.contains("not a loadable wasm module"),
        "{err}"
    );

    let mut spec = support::example("hello-rust");
    spec.manifest.export = "main".into();
    let err = registry.load(spec).unwrap_err().to_string();
    assert!(err.contains("no export named \"main\""), "{err}");
}
