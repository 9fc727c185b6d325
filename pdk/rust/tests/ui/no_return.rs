#[wasmfn_pdk::function]
fn handle(input: String) {
    let _ = input;
}

fn main() {}
