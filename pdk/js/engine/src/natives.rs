//! `globalThis.__wasmfn_host`: the few things JavaScript asks of Rust. The prelude and the
//! `wasmfn` JS package build the public API on top.

use rquickjs::{Ctx, Function, Object, TypedArray, prelude::Opt};
use wasmfn_schema::wire::{ApiRequest, ApiResult, ErrorDetail, codes};

use crate::host;

pub(crate) fn install(ctx: &Ctx<'_>) -> rquickjs::Result<()> {
    let natives = Object::new(ctx.clone())?;
    natives.set("log", Function::new(ctx.clone(), log)?)?;
    natives.set("config", Function::new(ctx.clone(), config)?)?;
    natives.set("api", Function::new(ctx.clone(), api)?)?;
    natives.set("random", Function::new(ctx.clone(), random)?)?;
    natives.set("url", Function::new(ctx.clone(), url)?)?;
    natives.set("urlSet", Function::new(ctx.clone(), url_set)?)?;
    natives.set("fetch", Function::new(ctx.clone(), fetch)?)?;
    natives.set("utf8Decode", Function::new(ctx.clone(), utf8_decode)?)?;
    natives.set("utf8Encode", Function::new(ctx.clone(), utf8_encode)?)?;
    ctx.globals().set("__wasmfn_host", natives)
}

fn log(level: String, message: String, fields: Opt<String>) {
    let fields = fields
        .0
        .and_then(|json| serde_json::from_str::<serde_json::Map<_, _>>(&json).ok())
        .unwrap_or_default();
    host::log_with(&level, &message, fields);
}

fn config(key: String) -> Option<String> {
    extism_pdk::config::get(&key).ok().flatten()
}

/// Takes and returns JSON text (`ApiRequest` in, `ApiResult` out).
fn api(request: String) -> String {
    let result = match serde_json::from_str::<ApiRequest>(&request) {
        Ok(request) => host::api_request(request),
        Err(e) => ApiResult::Error(ErrorDetail {
            code: codes::INVALID_INPUT.to_owned(),
            message: format!("not a request: {e}"),
        }),
    };
    serde_json::to_string(&result).expect("plain data serializes")
}

/// An outbound request: its head (JSON text) and body in; the framed answer out (a JSON head
/// line, then the body), for the prelude's `fetch` to split.
fn fetch<'js>(ctx: Ctx<'js>, head: String, body: TypedArray<'js, u8>) -> rquickjs::Result<TypedArray<'js, u8>> {
    let mut request = head.into_bytes();
    request.push(b'\n');
    request.extend_from_slice(&copy(&body));
    TypedArray::new(ctx, host::fetch(request))
}

/// UTF-8 bytes as text (invalid sequences replaced), natively: bodies can be large.
fn utf8_decode(bytes: TypedArray<'_, u8>) -> String {
    String::from_utf8_lossy(&copy(&bytes)).into_owned()
}

/// A typed array's bytes, copied out (empty when it is detached).
pub(crate) fn copy(array: &TypedArray<'_, u8>) -> Vec<u8> {
    // SAFETY: the slice is copied at once; no JavaScript runs while it is alive.
    #[allow(unsafe_code)]
    unsafe { array.as_bytes() }.map(<[u8]>::to_vec).unwrap_or_default()
}

fn utf8_encode<'js>(ctx: Ctx<'js>, text: String) -> rquickjs::Result<TypedArray<'js, u8>> {
    TypedArray::new(ctx, text.into_bytes())
}

fn random(len: usize) -> Vec<u8> {
    host::random(len.min(65536))
}

/// The parts of a URL as JSON, or `None` if it does not parse.
fn url(href: String, base: Opt<Option<String>>) -> Option<String> {
    let parsed = match base.0.flatten() {
        Some(base) => url::Url::parse(&base).and_then(|base| base.join(&href)),
        None => url::Url::parse(&href),
    };
    parsed.ok().map(|url| parts(&url))
}

/// `href` with one part replaced, as JSON; `None` when the result is not a URL.
fn url_set(href: String, part: String, value: String) -> Option<String> {
    let mut url = url::Url::parse(&href).ok()?;
    let ok = match part.as_str() {
        "href" => match url::Url::parse(&value) {
            Ok(new) => {
                url = new;
                true
            }
            Err(_) => false,
        },
        "protocol" => url.set_scheme(value.trim_end_matches(':')).is_ok(),
        "username" => url.set_username(&value).is_ok(),
        "password" => {
            url.set_password(Some(&value).filter(|v| !v.is_empty()).map(|v| v.as_str())).is_ok()
        }
        "host" => {
            let (host, port) = match value.rsplit_once(':') {
                Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => (h, p.parse().ok()),
                _ => (value.as_str(), url.port()),
            };
            url.set_host(Some(host)).is_ok() && url.set_port(port).is_ok()
        }
        "hostname" => url.set_host(Some(&value)).is_ok(),
        "port" => url.set_port(if value.is_empty() { None } else { value.parse().ok() }).is_ok(),
        "pathname" => {
            url.set_path(&value);
            true
        }
        "search" => {
            let query = value.trim_start_matches('?');
            url.set_query(if query.is_empty() { None } else { Some(query) });
            true
        }
        "hash" => {
            let fragment = value.trim_start_matches('#');
            url.set_fragment(if fragment.is_empty() { None } else { Some(fragment) });
            true
        }
        _ => false,
    };
    ok.then(|| parts(&url))
}

fn parts(url: &url::Url) -> String {
    let port = url.port().map(|p| p.to_string()).unwrap_or_default();
    let hostname = url.host_str().unwrap_or_default();
    let host = if port.is_empty() { hostname.to_owned() } else { format!("{hostname}:{port}") };
    let with_prefix = |prefix: &str, value: Option<&str>| match value {
        Some(v) if !v.is_empty() => format!("{prefix}{v}"),
        _ => String::new(),
    };
    serde_json::json!({
        "href": url.as_str(),
        "origin": url.origin().ascii_serialization(),
        "protocol": format!("{}:", url.scheme()),
        "username": url.username(),
        "password": url.password().unwrap_or_default(),
        "host": host,
        "hostname": hostname,
        "port": port,
        "pathname": url.path(),
        "search": with_prefix("?", url.query()),
        "hash": with_prefix("#", url.fragment()),
    })
    .to_string()
}
