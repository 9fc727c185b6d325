//! `wasmfn invoke`: call a function in-process.

use std::{path::Path, process::ExitCode};

use anyhow::Context;
use wasmfn::WasmFunction;
use wasmfn_schema::wire::ErrorBody;

pub(crate) fn run(dir: &Path, name: &str, input: &str) -> anyhow::Result<ExitCode> {
    let input: serde_json::Value =
        serde_json::from_str(input).with_context(|| format!("the input is not JSON: {input}"))?;
    let spec = super::find_function(dir, name)?;
    let function = WasmFunction::load(&spec)?;
    match function.call_json(&input) {
        Ok(output) => {
            println!("{}", serde_json::to_string_pretty(&output)?);
            Ok(ExitCode::SUCCESS)
        }
        Err(err) => {
            let body = ErrorBody::new(err.code(), err.to_string());
            println!("{}", serde_json::to_string_pretty(&body)?);
            Ok(ExitCode::FAILURE)
        }
    }
}
