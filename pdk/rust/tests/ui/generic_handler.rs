#[wasmfn_pdk::function]
fn handle<T: serde::de::DeserializeOwned>(input: T) -> wasmfn_pdk::Result<()> {
    let _ = input;
    Ok(())
}

fn main() {}
