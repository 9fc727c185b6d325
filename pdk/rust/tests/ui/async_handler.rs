#[wasmfn_pdk::function]
async fn handle(input: String) -> wasmfn_pdk::Result<String> {
    Ok(input)
}

fn main() {}
