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

/// Exports a Rust function as the HTTP handler of a wasmfn function. See `wasmfn_pdk::http`.
#[proc_macro_attribute]
pub fn http(attr: TokenStream, item: TokenStream) -> TokenStream {
    if !attr.is_empty() {
        let attr = proc_macro2::TokenStream::from(attr);
        return syn::Error::new(
            attr.span(),
            "`#[wasmfn_pdk::http]` takes no arguments: its export is always `http`",
        )
        .to_compile_error()
        .into();
    }
    let func = parse_macro_input!(item as ItemFn);
    match expand_http(func) {
        Ok(tokens) => tokens.into(),
        Err(err) => err.to_compile_error().into(),
    }
}

fn expand_http(func: ItemFn) -> syn::Result<proc_macro2::TokenStream> {
    check_signature(&func, "an HTTP handler", "its request (`wasmfn_pdk::http::Request`)")?;
    if let ReturnType::Default = func.sig.output {
        return Err(syn::Error::new(
            func.sig.span(),
            "an HTTP handler must return a response: `impl wasmfn_pdk::http::IntoResponse`, or a \
             `Result` of one",
        ));
    }
    let name = &func.sig.ident;
    let call = if func.sig.inputs.is_empty() {
        quote! { ::wasmfn_pdk::__private::run_http(|_| #name()) }
    } else {
        quote! { ::wasmfn_pdk::__private::run_http(#name) }
    };
    Ok(quote! {
        #func

        #[cfg(target_arch = "wasm32")]
        #[doc(hidden)]
        #[unsafe(export_name = "http")]
        pub extern "C" fn __wasmfn_export_http() -> i32 {
            #call
        }
    })
}

/// The rules both kinds of handler follow: not async, not generic, at most one argument, no
/// `self`.
fn check_signature(func: &ItemFn, what: &str, argument: &str) -> syn::Result<()> {
    let sig = &func.sig;
    if let Some(asyncness) = &sig.asyncness {
        return Err(syn::Error::new(
            asyncness.span(),
            format!("{what} cannot be `async`: wasm calls run to completion synchronously"),
        ));
    }
    if !sig.generics.params.is_empty() {
        return Err(syn::Error::new(
            sig.generics.span(),
            format!("{what} cannot be generic: its input and output types must be concrete"),
        ));
    }
    if sig.inputs.len() > 1 {
        return Err(syn::Error::new(
            sig.inputs.span(),
            format!("{what} takes at most one argument: {argument}"),
        ));
    }
    if let Some(FnArg::Receiver(receiver)) = sig.inputs.first() {
        return Err(syn::Error::new(receiver.span(), format!("{what} cannot take `self`")));
    }
    Ok(())
}

fn expand(func: ItemFn, export: Option<LitStr>) -> syn::Result<proc_macro2::TokenStream> {
    check_signature(&func, "a wasmfn function", "its input, deserialized from JSON")?;
    let sig = &func.sig;
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
