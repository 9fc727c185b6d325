#[wasmfn_pdk::function]
fn handle(first: String, second: String) -> wasmfn_pdk::Result<String> {
    Ok(first + &second)
}

fn main() {}
