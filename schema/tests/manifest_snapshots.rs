//! Each `manifests/<case>.yaml` is parsed and the outcome (the manifest re-serialized, or the
//! error) compared with `manifests/<case>.expected`. `BLESS=1 cargo test` rewrites them.

use std::{fs, path::Path};

use wasmfn_schema::Manifest;

#[test]
fn manifests_match_their_expected_outcome() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/manifests");
    let bless = std::env::var_os("BLESS").is_some();
    let mut cases: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 10, "expected the manifest cases in {}", dir.display());

    let mut failures = Vec::new();
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let text = fs::read_to_string(&case).unwrap();
        let actual = match Manifest::from_yaml(&text, format!("manifests/{name}")) {
            Ok(manifest) => format!("ok\n{}", serde_yaml_ng::to_string(&manifest).unwrap()),
            Err(err) => format!("error\n{err}\n"),
        };
        let expected_file = case.with_extension("expected");
        if bless {
            fs::write(&expected_file, &actual).unwrap();
            continue;
        }
        let expected = fs::read_to_string(&expected_file).unwrap_or_default();
        if actual != expected {
            failures.push(format!("{name}:\n--- expected\n{expected}--- actual\n{actual}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n(run `BLESS=1 cargo test -p wasmfn-schema` to accept)",
        failures.join("\n")
    );
}
