use serde::{Deserialize, Serialize};
use wasmfn_pdk::Error;

#[derive(Deserialize)]
struct Input {
    name: String,
}

#[derive(Serialize)]
struct Output {
    message: String,
}

#[wasmfn_pdk::function]
fn handle(input: Input) -> Result<Output, Error> {
    Ok(Output { message: format!("Hello, {}!", input.name) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greets() {
        let output = handle(Input { name: "Ada".into() }).unwrap();
        assert_eq!(output.message, "Hello, Ada!");
    }
}
