struct Greeter;

impl Greeter {
    #[wasmfn_pdk::function]
    fn handle(&self) -> wasmfn_pdk::Result<String> {
        Ok("hi".to_owned())
    }
}

fn main() {}
