//! The `#[wasmfn_pdk::function]` macro's compile errors, each with the message a user sees
//! (`tests/ui/*.stderr`; refresh with `TRYBUILD=overwrite cargo test -p wasmfn-pdk`).

#[test]
fn misuse_of_the_function_macro_fails_with_a_clear_message() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
