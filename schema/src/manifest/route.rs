//! HTTP routes a function answers (`routes:`) and the limits of its requests and responses
//! (`http:`).

use std::{fmt, str::FromStr};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::values::{BodySize, from_scalar};

/// The paths wasmfn itself answers: no route may start with one.
pub const RESERVED_PREFIXES: [&str; 6] =
    ["/api/functions", "/api/calls", "/api/jobs", "/api/health", "/api/webhooks", "/_wasmfn"];

/// One route: a method (or `ANY`) and a path pattern, written `GET /hello/{name}`.
///
/// In the path, `{name}` matches one segment (the function reads it as a path parameter) and a
/// last segment `{*name}` matches the rest of the path (at least one character); `**` is short
/// for `{*rest}`. Matching is axum's (static segments win over parameters).
///
/// ```
/// use wasmfn_schema::manifest::Route;
///
/// let route: Route = "GET /hello/{name}".parse().unwrap();
/// assert_eq!(route.method(), Some("GET"));
/// assert_eq!(route.params(), ["name"]);
/// assert_eq!(route.shape(), "/hello/{}");
///
/// let any: Route = "ANY /app/**".parse().unwrap();
/// assert_eq!(any.method(), None);
/// assert_eq!(any.params(), ["rest"]);
/// assert!("GET hello".parse::<Route>().is_err());
/// assert!("GET /api/functions/x".parse::<Route>().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    method: Option<String>,
    path: String,
    params: Vec<String>,
    shape: String,
}

impl Route {
    /// The method the route answers, in upper case; `None` for `ANY`.
    pub fn method(&self) -> Option<&str> {
        self.method.as_deref()
    }

    /// The path pattern as written (with `**` spelled `{*rest}`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The names of the path parameters, in order.
    pub fn params(&self) -> &[String] {
        &self.params
    }

    /// The path with its parameters unnamed (`/hello/{}`, `/app/{*}`): two routes of the same
    /// shape match the same requests.
    pub fn shape(&self) -> &str {
        &self.shape
    }

    /// Whether `self` and `other` cannot both be served: the same shape with methods in common
    /// (`ANY` has every method), or, whatever the methods, a parameter and a catch-all at the
    /// same place after the same segments (`/app/{id}` and `/app/**`), which axum's matcher
    /// cannot tell apart. A static segment beside a parameter is fine: the static one wins.
    ///
    /// ```
    /// use wasmfn_schema::manifest::Route;
    /// let route = |s: &str| s.parse::<Route>().unwrap();
    /// assert!(route("GET /a/{x}").overlaps(&route("ANY /a/{y}")));
    /// assert!(!route("GET /a/{x}").overlaps(&route("POST /a/{y}")));
    /// assert!(route("GET /a/{x}").overlaps(&route("POST /a/**")));
    /// assert!(!route("GET /a/new").overlaps(&route("GET /a/{id}")));
    /// ```
    pub fn overlaps(&self, other: &Route) -> bool {
        let (mut mine, mut theirs) = (self.shape.split('/'), other.shape.split('/'));
        loop {
            match (mine.next(), theirs.next()) {
                (None, None) | (Some("{*}"), Some("{*}")) => break,
                (Some("{*}"), Some("{}")) | (Some("{}"), Some("{*}")) => return true,
                (Some(a), Some(b)) if a == b => continue,
                _ => return false,
            }
        }
        match (self.method(), other.method()) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        }
    }
}

impl FromStr for Route {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let usage = "write it like \"GET /hello/{name}\" or \"ANY /app/**\"";
        let Some((method, path)) = s.trim().split_once(char::is_whitespace) else {
            return Err(format!("{s:?} is not a route: a method and a path; {usage}"));
        };
        let path = path.trim();
        let method = match method {
            "ANY" => None,
            m if !m.is_empty()
                && m.len() <= 20
                && m.bytes().all(|b| b.is_ascii_uppercase() || b == b'-' || b == b'_') =>
            {
                Some(m.to_owned())
            }
            m => {
                return Err(format!(
                    "{m:?} is not a method: GET, POST, ... in upper case, or ANY; {usage}"
                ));
            }
        };
        if !path.starts_with('/') || path.contains(char::is_whitespace) {
            return Err(format!("{s:?}: the path must start with '/'; {usage}"));
        }
        if let Some(prefix) = RESERVED_PREFIXES.iter().find(|prefix| {
            path.strip_prefix(*prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        }) {
            return Err(format!("{s:?}: paths under {prefix} are wasmfn's own"));
        }
        let segments: Vec<&str> = path[1..].split('/').collect();
        let (mut params, mut shape, mut written) = (Vec::new(), String::new(), String::new());
        for (i, segment) in segments.iter().enumerate() {
            let last = i + 1 == segments.len();
            shape.push('/');
            written.push('/');
            let param = if *segment == "**" {
                Some(("rest", true))
            } else {
                segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')).map(|name| {
                    match name.strip_prefix('*') {
                        Some(name) => (name, true),
                        None => (name, false),
                    }
                })
            };
            match param {
                Some((name, catch_all)) => {
                    let valid =
                        name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                    if !valid {
                        return Err(format!(
                            "{s:?}: {segment:?} is not a parameter: name it with letters, digits and '_'"
                        ));
                    }
                    if catch_all && !last {
                        return Err(format!(
                            "{s:?}: {segment:?} matches the rest of the path, so it must come last"
                        ));
                    }
                    if params.iter().any(|p| p == name) {
                        return Err(format!("{s:?}: the parameter {name:?} appears twice"));
                    }
                    params.push(name.to_owned());
                    shape.push_str(if catch_all { "{*}" } else { "{}" });
                    written.push_str(&if catch_all {
                        format!("{{*{name}}}")
                    } else {
                        format!("{{{name}}}")
                    });
                }
                None if segment.contains(['{', '}', '*', '?', '#']) => {
                    return Err(format!(
                        "{s:?}: {segment:?}: a parameter takes a whole segment ({{name}}), and '*', '?' and '#' are not path characters"
                    ));
                }
                None => {
                    shape.push_str(segment);
                    written.push_str(segment);
                }
            }
        }
        Ok(Self { method, path: written, params, shape })
    }
}

impl<'de> Deserialize<'de> for Route {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        from_scalar(deserializer, "a route like \"GET /hello/{name}\"")
    }
}

impl Serialize for Route {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method.as_deref().unwrap_or("ANY"), self.path)
    }
}

/// Limits of the HTTP requests a function's routes receive and of the responses it returns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct HttpLimits {
    /// The largest request body accepted (413 above it), like `64kb` or `10mb`. Default: the
    /// host's body limit (2 MiB unless the app sets another).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_request_body: Option<BodySize>,
    /// The largest response body the function may return (500 above it). Default: 10 MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_response_body: Option<BodySize>,
}

impl HttpLimits {
    /// The response body limit when the manifest sets none.
    pub const DEFAULT_MAX_RESPONSE_BODY: u64 = 10 * 1024 * 1024;

    /// Whether nothing is set.
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// The response body limit in bytes.
    pub fn response_body_limit(&self) -> u64 {
        self.max_response_body.map_or(Self::DEFAULT_MAX_RESPONSE_BODY, BodySize::bytes)
    }
}
