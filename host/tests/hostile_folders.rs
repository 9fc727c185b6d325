//! Function folders written to harm the host (or by mistake): artifacts that lead out of the
//! folder, pipes, devices, huge or non-wasm files, two folders claiming one name or one webhook
//! path. Each disables only its own function, with an error that names it and never quotes
//! another file; the host starts, and every other function answers.

use wasmfn_test_support as support;

use std::{path::Path, time::Duration};

use serde_json::{Value, json};
use support::{Api, FunctionsDir};
use wasmfn::runtime::RuntimeOptions;

/// A file outside every function folder, standing for `/etc/passwd`.
const SECRET: &str = "root:x:0:0:the secret first line";

fn function_info(list: &Value, name: &str) -> Value {
    let functions = list["functions"].as_array().unwrap();
    functions.iter().find(|f| f["name"] == name).unwrap_or_else(|| panic!("{name}: {list}")).clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn artifacts_that_lead_out_of_the_folder_or_are_not_files_disable_only_their_function() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("passwd");
    std::fs::write(&secret, format!("{SECRET}\n")).unwrap();

    let dir = FunctionsDir::new();
    dir.add_testbed("echo", "export: echo\n");
    let link = |folder: &Path, target: &Path| {
        std::fs::remove_file(folder.join("plugin.wasm")).unwrap();
        std::os::unix::fs::symlink(target, folder.join("plugin.wasm")).unwrap();
    };
    link(&dir.add("leak", "", b""), &secret);
    link(&dir.add("zero", "", b""), Path::new("/dev/zero"));
    dir.add("text", "", SECRET.as_bytes());
    let fifo = dir.add("fifo", "", b"");
    std::fs::remove_file(fifo.join("plugin.wasm")).unwrap();
    nix::unistd::mkfifo(&fifo.join("plugin.wasm"), nix::sys::stat::Mode::S_IRWXU).unwrap();
    // Larger than the limit below (the testbed is ~220 KB).
    let mut huge = b"\0asm".to_vec();
    huge.resize(2 << 20, 0);
    dir.add("huge", "", &huge);
    dir.add_manifest_only(
        "absolute",
        &format!("name: absolute\nbuild:\n  command: make\n  output: {}\n", secret.display()),
    );

    // Building reads every artifact: a pipe or a device must not hold it up.
    let runtime = RuntimeOptions::default().with_max_artifact_size(1 << 20);
    let builder = dir.builder().with_runtime(runtime);
    let functions = tokio::time::timeout(Duration::from_secs(60), async move {
        tokio::task::spawn_blocking(move || builder.build().unwrap()).await.unwrap()
    })
    .await
    .expect("the host starts whatever the folders hold");
    let api = Api::serve(functions.router()).await;

    let (_, list) = api.get("/api/functions").await;
    let cases = [
        ("leak", "build.output: \"plugin.wasm\" resolves to a file outside the function folder"),
        ("zero", "build.output: \"plugin.wasm\" resolves to a file outside the function folder"),
        ("text", "plugin.wasm is not a loadable wasm module: it does not start with"),
        ("fifo", "plugin.wasm is not a regular file"),
        ("huge", "plugin.wasm is 2.0 MiB, over the 1.0 MiB limit"),
        ("absolute", "manifest.yaml:4:11: build.output: "),
    ];
    for (name, error) in cases {
        let info = function_info(&list, name);
        assert_eq!(info["status"], "disabled", "{name}: {info}");
        let last_error = info["last_error"].as_str().unwrap();
        assert!(last_error.contains(error), "{name}: {last_error}");
        let (status, code, message) = api.fail(name, "{}").await;
        assert_eq!((status, code.as_str()), (503, "disabled"), "{name}: {message}");
        assert!(!message.contains("root:x"), "{name}: {message}");
    }
    assert!(!list.to_string().contains("root:x"), "{list}");
    // Anonymous clients see paths relative to the functions' folder, never the host's.
    let root = std::fs::canonicalize(dir.path()).unwrap().display().to_string();
    assert!(!list.to_string().contains(&root), "{list}");
    assert_eq!(function_info(&list, "leak")["dir"], "leak");
    let (_, _, message) = api.fail("huge", "{}").await;
    assert!(message.contains("huge/plugin.wasm") && !message.contains(&root), "{message}");
    assert_eq!(api.post("echo", r#"{"alive":true}"#).await, (200, json!({ "alive": true })));
}

#[tokio::test(flavor = "multi_thread")]
async fn two_folders_cannot_declare_one_name_or_one_webhook_path() {
    let dir = FunctionsDir::new();
    let hook = |path: &str| {
        format!("hooks:\n  - type: webhook\n    path: \"{path}\"\n    secret_env: SECRET\n")
    };
    // `hello` keeps its name over a copy sorted before it, broken or not.
    dir.add("a-copy-of-hello", "", b"not wasm at all");
    std::fs::write(dir.path().join("a-copy-of-hello/manifest.yaml"), "name: hello\n").unwrap();
    dir.add_testbed("hello", "export: echo\n");
    // Neither folder is named like the function: the first keeps it.
    for folder in ["shared-1", "shared-2"] {
        dir.add_testbed(folder, "export: echo\n");
        let manifest = dir.path().join(folder).join("manifest.yaml");
        std::fs::write(manifest, "name: shared\nexport: echo\n").unwrap();
    }
    // One webhook path, written two ways.
    dir.add_testbed("same-1", &format!("export: echo\n{}", hook("same")));
    dir.add_testbed("same-2", &format!("export: echo\n{}", hook("/same/")));
    let functions = dir.functions();
    let api = Api::serve(functions.router()).await;

    let (_, list) = api.get("/api/functions").await;
    let manifest = |folder: &str| format!("{folder}/manifest.yaml");
    let cases = [
        ("a-copy-of-hello", "name \"hello\" is also declared by", manifest("hello")),
        ("shared-2", "name \"shared\" is also declared by", manifest("shared-1")),
        ("same-2", "webhook path \"same\" is also declared by", manifest("same-1")),
    ];
    for (folder, claim, other) in cases {
        let info = function_info(&list, folder);
        assert_eq!(info["status"], "disabled", "{folder}: {info}");
        let error = info["last_error"].as_str().unwrap();
        assert!(error.contains(&manifest(folder)) && error.contains(claim), "{error}");
        assert!(error.contains(&other), "names the manifest that keeps it: {error}");
    }
    assert_eq!(api.post("hello", "1").await, (200, json!(1)));
    assert_eq!(api.post("shared", "2").await, (200, json!(2)));
    assert_eq!(function_info(&list, "same-1")["status"], "ready");

    // Loaded later (dev mode, an embedder): refused the same way; the first keeps serving.
    let late = dir.add_testbed("late", "export: echo\n");
    std::fs::write(late.join("manifest.yaml"), "name: hello\nexport: echo\n").unwrap();
    let error = functions.registry().load_from_dir(&late).unwrap_err();
    let error = error.to_string();
    assert!(error.contains("name \"hello\" is also declared by"), "{error}");
    assert!(error.contains(&manifest("hello")), "{error}");
    assert_eq!(api.post("hello", "3").await, (200, json!(3)));
}
