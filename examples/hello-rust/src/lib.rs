//! hello-rust: greets whoever calls it. Run it with `./scripts/demo` from the repository root.

use serde::{Deserialize, Serialize};
use wasmfn_pdk::{Error, config, info};

#[derive(Deserialize)]
struct Input {
    name: String,
}

#[derive(Serialize)]
struct Output {
    message: String,
    length: usize,
}

#[wasmfn_pdk::function]
fn handle(input: Input) -> Result<Output, Error> {
    let name = input.name.trim();
    if name.is_empty() {
        return Err(Error::invalid_input("name must not be empty"));
    }
    let greeting = config::get("greeting").unwrap_or_else(|| "Hello".to_owned());
    info!("greeting {name}");
    Ok(Output { message: format!("{greeting}, {name}!"), length: name.chars().count() })
}
