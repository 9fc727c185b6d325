//! `wasmfn new`: a function folder from a template in `templates/`.

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
};

use anstream::println;
use anyhow::{Context, bail};
use wasmfn_schema::FunctionName;

use crate::style::{OK, status};

/// The templates a new function can start from.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub(crate) enum Template {
    /// A Rust function on the wasmfn PDK.
    Rust,
    /// A TypeScript function (esbuild, type-checked with tsc).
    Ts,
    /// A TypeScript HTTP function: `routes` answered with web `Request`/`Response`.
    HttpTs,
    /// A JavaScript function (esbuild).
    Js,
    /// A process function: JavaScript run by node, one process per call (`runtime: process`).
    Node,
}

/// A template's files (path, contents), with `my-function` where the name goes.
fn files(template: Template) -> &'static [(&'static str, &'static str)] {
    match template {
        Template::Rust => &[
            ("Cargo.toml", include_str!("../../../templates/rust/Cargo.toml")),
            ("manifest.yaml", include_str!("../../../templates/rust/manifest.yaml")),
            ("src/lib.rs", include_str!("../../../templates/rust/src/lib.rs")),
        ],
        Template::Ts => &[
            ("manifest.yaml", include_str!("../../../templates/ts/manifest.yaml")),
            ("package.json", include_str!("../../../templates/ts/package.json")),
            ("tsconfig.json", include_str!("../../../templates/ts/tsconfig.json")),
            ("src/index.ts", include_str!("../../../templates/ts/src/index.ts")),
        ],
        Template::HttpTs => &[
            ("manifest.yaml", include_str!("../../../templates/http-ts/manifest.yaml")),
            ("package.json", include_str!("../../../templates/http-ts/package.json")),
            ("tsconfig.json", include_str!("../../../templates/http-ts/tsconfig.json")),
            ("src/index.ts", include_str!("../../../templates/http-ts/src/index.ts")),
        ],
        Template::Js => &[
            ("manifest.yaml", include_str!("../../../templates/js/manifest.yaml")),
            ("package.json", include_str!("../../../templates/js/package.json")),
            ("src/index.js", include_str!("../../../templates/js/src/index.js")),
        ],
        Template::Node => &[
            ("manifest.yaml", include_str!("../../../templates/node/manifest.yaml")),
            ("main.js", include_str!("../../../templates/node/main.js")),
        ],
    }
}

/// The wasmfn checkout this binary was built from: its PDK and schema are what a new
/// function refers to.
fn checkout() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("cli/ is in the checkout").to_owned()
}

pub(crate) fn run(dir: &Path, name: &str, template: Template) -> anyhow::Result<ExitCode> {
    let name: FunctionName =
        name.parse().map_err(|e| anyhow::anyhow!("{name:?} cannot name a function: {e}"))?;
    let folder = dir.join(name.as_str());
    if folder.exists() {
        bail!("{} already exists", folder.display());
    }
    let checkout = checkout();
    let pdk = checkout.join("pdk/rust");
    let js_pdk = checkout.join("pdk/js");
    let schema = checkout.join("schema/manifest.schema.json");
    for (path, contents) in files(template) {
        let contents = contents
            .replace("my-function", name.as_str())
            .replace("my_function", &name.as_str().replace('-', "_"))
            // The template's relative paths only hold inside the wasmfn repository.
            .replace(
                "path = \"../../pdk/rust\"",
                &format!("path = {:?}", pdk.display().to_string()),
            )
            .replace("file:../../pdk/js", &format!("file:{}", js_pdk.display()))
            .replace("../../schema/manifest.schema.json", &schema.display().to_string());
        let file = folder.join(path);
        std::fs::create_dir_all(file.parent().expect("files are in the folder"))?;
        std::fs::write(&file, contents)
            .with_context(|| format!("cannot write {}", file.display()))?;
    }
    println!("{} {} from the {template:?} template", status(OK, "created"), folder.display());
    if matches!(template, Template::Ts | Template::HttpTs | Template::Js) {
        println!("          then: (cd {} && npm install)", folder.display());
    }
    println!("          run it: wasmfn dev {}", dir.display());
    Ok(ExitCode::SUCCESS)
}
