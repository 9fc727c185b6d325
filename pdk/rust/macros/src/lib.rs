//! The `#[function]` attribute of `wasmfn-pdk`. Use it as `#[wasmfn_pdk::function]`; its
//! documentation lives there.

use proc_macro::TokenStream;
use quote::{format_ident, quote};
use syn::{FnArg, ItemFn, LitStr, ReturnType, parse_macro_input, spanned::Spanned};

/// Exports a Rust function as a wasmfn function. See `wasmfn_pdk::function`.
#[proc_macro_attribute]
pub fn function(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut export: Option<LitStr> = None;
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("export") {
            export = Some(meta.value()?.parse()?);
            Ok(())
        } else {
            Err(meta.error("unknown argument; expected `export = \"name\"`"))
        }
    });
    parse_macro_input!(attr with parser);
    let func = parse_macro_input!(item as ItemFn);
    match expand(func, export) {
        Ok(tokens) => tokens.into(),
        Err(err) => err.to_compile_error().into(),
    }
}

fn expand(func: ItemFn, export: Option<LitStr>) -> syn::Result<proc_macro2::TokenStream> {
    let sig = &func.sig;
    if let Some(asyncness) = &sig.asyncness {
        return Err(syn::Error::new(
            asyncness.span(),
            "a wasmfn function cannot be `async`: wasm calls run to completion synchronously",
        ));
    }
    if !sig.generics.params.is_empty() {
        return Err(syn::Error::new(
            sig.generics.span(),
            "a wasmfn function cannot be generic: its input and output types must be concrete",
        ));
    }
    if sig.inputs.len() > 1 {
        return Err(syn::Error::new(
            sig.inputs.span(),
            "a wasmfn function takes at most one argument: its input, deserialized from JSON",
        ));
    }
    if let Some(FnArg::Receiver(receiver)) = sig.inputs.first() {
        return Err(syn::Error::new(receiver.span(), "a wasmfn function cannot take `self`"));
    }
    if let ReturnType::Default = sig.output {
        return Err(syn::Error::new(
            sig.span(),
            "a wasmfn function must return `Result<Output, E>` where Output: Serialize and \
             E: Into<wasmfn_pdk::Error>",
        ));
    }

    let name = &sig.ident;
    let export = export.unwrap_or_else(|| LitStr::new(&name.to_string(), name.span()));
    let shim = format_ident!("__wasmfn_export_{}", name);
    let call = if sig.inputs.is_empty() {
        quote! { ::wasmfn_pdk::__private::run(|_: ::wasmfn_pdk::__private::IgnoredAny| #name()) }
    } else {
        quote! { ::wasmfn_pdk::__private::run(#name) }
    };
    Ok(quote! {
        #func

        // Only wasm builds export the entry point, so the handler stays an ordinary function
        // that native unit tests can call.
        #[cfg(target_arch = "wasm32")]
        #[doc(hidden)]
        #[unsafe(export_name = #export)]
        pub extern "C" fn #shim() -> i32 {
            #call
        }
    })
}
