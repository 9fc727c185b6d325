//! `schema/manifest.schema.json` is generated from the Rust types; these tests keep the
//! committed file current and check that it agrees with the Rust parser on real manifests.

use std::{fs, path::Path, path::PathBuf};

use wasmfn_schema::manifest::json_schema::manifest_schema_json;

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn schema_validator() -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(&manifest_schema_json()).unwrap();
    jsonschema::validator_for(&schema).expect("the generated schema is a valid JSON Schema")
}

fn yaml_as_json(path: &Path) -> serde_json::Value {
    serde_yaml_ng::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn committed_schema_is_current() {
    let file = crate_dir().join("manifest.schema.json");
    let generated = manifest_schema_json();
    if std::env::var_os("BLESS").is_some() {
        fs::write(&file, &generated).unwrap();
    }
    let committed = fs::read_to_string(&file).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is stale: regenerate it with `BLESS=1 cargo test -p wasmfn-schema --test json_schema` \
         (or `cargo run -p wasmfn-cli -- schema > schema/manifest.schema.json`)",
        file.display()
    );
}

/// Every manifest shipped in examples/ and templates/ (and every `ok-*` case) passes the schema,
/// and carries the `$schema` comment that editors pick up.
#[test]
fn shipped_manifests_validate() {
    let validator = schema_validator();
    let root = crate_dir().parent().unwrap();
    let mut manifests: Vec<PathBuf> = Vec::new();
    for dir in ["examples", "templates"] {
        for entry in fs::read_dir(root.join(dir)).unwrap() {
            let manifest = entry.unwrap().path().join("manifest.yaml");
            if manifest.exists() {
                let text = fs::read_to_string(&manifest).unwrap();
                assert!(
                    text.starts_with("# yaml-language-server: $schema="),
                    "{} must start with the $schema comment",
                    manifest.display()
                );
                manifests.push(manifest);
            }
        }
    }
    assert!(!manifests.is_empty(), "no manifests found under examples/ and templates/");
    for entry in fs::read_dir(crate_dir().join("tests/manifests")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy();
        if name.starts_with("ok-") && name.ends_with(".yaml") {
            manifests.push(path);
        }
    }
    for manifest in manifests {
        let errors: Vec<_> =
            validator.iter_errors(&yaml_as_json(&manifest)).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{}: {errors:?}", manifest.display());
    }
}

/// The schema rejects what the Rust parser rejects, for the cases a schema can express.
#[test]
fn schema_rejects_what_the_parser_rejects() {
    let validator = schema_validator();
    for case in [
        "unknown-field",
        "unknown-nested-field",
        "bad-name",
        "bad-timeout",
        "negative-memory",
        "empty-build-command",
        "build-without-output",
        "missing-name",
        "bad-hook-action",
        "unknown-hook-type",
        "bad-runtime",
        "list-instead-of-map",
    ] {
        let path = crate_dir().join(format!("tests/manifests/{case}.yaml"));
        assert!(!validator.is_valid(&yaml_as_json(&path)), "the schema accepts {case}");
    }
}

/// The field tables of docs/manifest.md are generated from the schema, so the reference never
/// drifts from the types.
#[test]
fn manifest_reference_is_current() {
    const START: &str = "<!-- generated: fields -->\n";
    const END: &str = "<!-- end generated -->";
    let file = crate_dir().parent().unwrap().join("docs/manifest.md");
    let doc = fs::read_to_string(&file).unwrap();
    let (head, rest) = doc.split_once(START).expect("docs/manifest.md has the generated marker");
    let (_, tail) = rest.split_once(END).expect("docs/manifest.md has the end marker");
    let schema: serde_json::Value = serde_json::from_str(&manifest_schema_json()).unwrap();
    let updated = format!("{head}{START}{}{END}{tail}", reference_tables(&schema));
    if std::env::var_os("BLESS").is_some() {
        fs::write(&file, &updated).unwrap();
        return;
    }
    assert!(
        doc == updated,
        "docs/manifest.md is stale: regenerate it with `BLESS=1 cargo test -p wasmfn-schema`"
    );
}

fn reference_tables(schema: &serde_json::Value) -> String {
    let defs = &schema["$defs"];
    let mut out = String::new();
    let mut table = |title: &str, object: &serde_json::Value| {
        let required: Vec<&str> = object["required"]
            .as_array()
            .map(|r| r.iter().filter_map(|v| v.as_str()).collect())
            .unwrap_or_default();
        out.push_str(&format!(
            "\n### {title}\n\n| field | type | default | meaning |\n| --- | --- | --- | --- |\n"
        ));
        for (name, field) in object["properties"].as_object().unwrap() {
            let default = if required.contains(&name.as_str()) {
                "required".to_owned()
            } else {
                match &field["default"] {
                    serde_json::Value::Null => "none".to_owned(),
                    d => format!(
                        "`{}`",
                        d.as_str().map(str::to_owned).unwrap_or_else(|| d.to_string())
                    ),
                }
            };
            let description = field["description"]
                .as_str()
                .or_else(|| field_type_def(defs, field).and_then(|d| d["description"].as_str()))
                .unwrap_or("")
                .replace('\n', " ");
            out.push_str(&format!(
                "| `{name}` | {} | {default} | {description} |\n",
                type_name(field)
            ));
        }
    };
    table("Top level", schema);
    table("`build`", &defs["Build"]);
    table("`api`", &defs["HostApiAccess"]);
    table("`process`", &defs["ProcessConfig"]);
    for variant in defs["Hook"]["oneOf"].as_array().unwrap() {
        let kind = variant["properties"]["type"]["const"].as_str().unwrap();
        table(&format!("Hook `type: {kind}`"), variant);
    }
    out.push('\n');
    out
}

fn field_type_def<'a>(
    defs: &'a serde_json::Value,
    field: &serde_json::Value,
) -> Option<&'a serde_json::Value> {
    let reference = field["$ref"].as_str().or_else(|| field["anyOf"][0]["$ref"].as_str())?;
    Some(&defs[reference.rsplit('/').next()?])
}

fn type_name(field: &serde_json::Value) -> String {
    if let Some(reference) = field["$ref"].as_str().or_else(|| field["anyOf"][0]["$ref"].as_str()) {
        return match reference.rsplit('/').next().unwrap() {
            "NonEmptyString" => "string".to_owned(),
            "FunctionName" => "name".to_owned(),
            "Timeout" => "duration".to_owned(),
            "MemoryLimit" => "size".to_owned(),
            "DatabaseAction" => "`insert` \\| `update` \\| `delete`".to_owned(),
            "Runtime" => "`wasm` \\| `process`".to_owned(),
            "Build" | "HostApiAccess" | "ProcessConfig" => "object (below)".to_owned(),
            "ProcessLanguage" => "`node` \\| `deno` \\| `python` \\| `go` \\| `binary`".to_owned(),
            "CronSchedule" => "cron expression".to_owned(),
            other => other.to_owned(),
        };
    }
    if let Some(constant) = field["const"].as_str() {
        return format!("`{constant}`");
    }
    match (&field["type"], &field["items"]["$ref"]) {
        (serde_json::Value::String(t), _) if t == "array" => {
            let item = field["items"]["$ref"].as_str().unwrap_or("");
            if item.ends_with("/Hook") {
                "list of hooks (below)".to_owned()
            } else if item.ends_with("/ApiScope") {
                "list of scopes (`METHOD /path`)".to_owned()
            } else {
                "list of strings".to_owned()
            }
        }
        (serde_json::Value::String(t), _) if t == "object" => "map of strings".to_owned(),
        (serde_json::Value::String(t), _) => t.clone(),
        (serde_json::Value::Array(ts), _) => ts
            .iter()
            .filter_map(|t| t.as_str())
            .filter(|t| *t != "null")
            .collect::<Vec<_>>()
            .join(" | "),
        _ => "see schema".to_owned(),
    }
}
