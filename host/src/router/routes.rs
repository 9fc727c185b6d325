//! The functions' routes (`routes:` in their manifests) in one table, matched by axum's own
//! path matcher (`matchit`). The table is rebuilt from the registry after each change of it
//! and swapped in whole, so a reload that changes routes takes effect at once for every
//! request: no request sees half of an old table and half of a new one.

use std::{collections::BTreeMap, sync::Arc};

use arc_swap::ArcSwapOption;
use http::Method;

use crate::registry::FunctionRegistry;

/// One route of one function.
#[derive(Debug)]
pub(super) struct Target {
    /// `None` for `ANY`.
    method: Option<Method>,
    /// The function answering it.
    pub(super) function: String,
    /// The route as its manifest writes it.
    pub(super) route: String,
    params: Vec<String>,
    /// `http.max_request_body`, if the manifest sets it.
    pub(super) max_request_body: Option<u64>,
}

/// What a request's method and path lead to.
#[derive(Debug)]
pub(super) enum Lookup<'a> {
    /// A function's route, with the path parameters (percent-decoded) by name.
    Found(&'a Target, BTreeMap<String, String>),
    /// Routes match the path, none for this method; the methods they take.
    MethodNotAllowed(Vec<String>),
    /// No route matches the path.
    NotFound,
}

/// Every loaded function's routes.
#[derive(Default)]
pub(crate) struct RouteTable {
    matcher: matchit::Router<usize>,
    /// Per matched path: the routes taking it (each method at most once, `ANY` at most once).
    paths: Vec<Vec<Target>>,
}

impl RouteTable {
    /// The table of `registry`'s loaded functions. Conflicts were refused when the functions
    /// loaded ([`Route::overlaps`](wasmfn_schema::Route::overlaps)); one that slips through
    /// anyway loses its route (logged) rather than failing the others.
    fn build(registry: &FunctionRegistry) -> Self {
        let mut table = Self::default();
        let mut keys: BTreeMap<String, usize> = BTreeMap::new();
        for entry in registry.entries() {
            let Some(function) = entry.current() else { continue };
            let manifest = &function.spec().manifest;
            for route in &manifest.routes {
                // Parameters named by position: routes of one shape share one matcher entry
                // whatever their manifests name them.
                let mut position = 0;
                let key: Vec<String> = route
                    .shape()
                    .split('/')
                    .map(|segment| {
                        let name = match segment {
                            "{}" => format!("{{p{position}}}"),
                            "{*}" => format!("{{*p{position}}}"),
                            other => return other.to_owned(),
                        };
                        position += 1;
                        name
                    })
                    .collect();
                let key = key.join("/");
                let index = match keys.get(&key) {
                    Some(&index) => index,
                    None => {
                        let index = table.paths.len();
                        if let Err(e) = table.matcher.insert(&key, index) {
                            tracing::warn!(function = %manifest.name, %route, "route not served: {e}");
                            continue;
                        }
                        keys.insert(key, index);
                        table.paths.push(Vec::new());
                        index
                    }
                };
                let method = route.method().and_then(|m| Method::from_bytes(m.as_bytes()).ok());
                let targets = &mut table.paths[index];
                if targets
                    .iter()
                    .any(|t| t.method.is_none() || method.is_none() || t.method == method)
                {
                    tracing::warn!(function = %manifest.name, %route, "route not served: another function has it");
                    continue;
                }
                targets.push(Target {
                    method,
                    function: manifest.name.to_string(),
                    route: route.to_string(),
                    params: route.params().to_vec(),
                    max_request_body: manifest.http.max_request_body.map(|size| size.bytes()),
                });
            }
        }
        table
    }

    /// Whether some route matches `path`, whatever the method.
    pub(super) fn matches(&self, path: &str) -> bool {
        self.matcher.at(path).is_ok()
    }

    /// The route for `method` and `path`. A `GET` route also takes `HEAD` (the function sees
    /// `HEAD`; the server sends no body); a specific method wins over `ANY`.
    pub(super) fn find(&self, method: &Method, path: &str) -> Lookup<'_> {
        let Ok(matched) = self.matcher.at(path) else { return Lookup::NotFound };
        let targets = &self.paths[*matched.value];
        let by = |m: &Method| targets.iter().find(|t| t.method.as_ref() == Some(m));
        let target = by(method)
            .or_else(|| (method == Method::HEAD).then(|| by(&Method::GET)).flatten())
            .or_else(|| targets.iter().find(|t| t.method.is_none()));
        let Some(target) = target else {
            let mut allowed: Vec<String> =
                targets.iter().filter_map(|t| t.method.as_ref()).map(ToString::to_string).collect();
            if allowed.iter().any(|m| m == "GET") && !allowed.iter().any(|m| m == "HEAD") {
                allowed.push("HEAD".to_owned());
            }
            return Lookup::MethodNotAllowed(allowed);
        };
        let params = target
            .params
            .iter()
            .zip(matched.params.iter())
            .map(|(name, (_, value))| {
                let decoded = percent_encoding::percent_decode_str(value).decode_utf8_lossy();
                (name.clone(), decoded.into_owned())
            })
            .collect();
        Lookup::Found(target, params)
    }
}

/// The table for the registry's current generation, rebuilt on the first request after a
/// change.
#[derive(Default)]
pub(crate) struct Routes {
    current: ArcSwapOption<(u64, RouteTable)>,
}

impl std::fmt::Debug for Routes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Routes").finish_non_exhaustive()
    }
}

impl Routes {
    pub(crate) fn table(&self, registry: &FunctionRegistry) -> Arc<(u64, RouteTable)> {
        let generation = registry.generation();
        if let Some(current) = self.current.load_full()
            && current.0 == generation
        {
            return current;
        }
        // Two requests may both rebuild after a change: the same table, built twice.
        let table = Arc::new((generation, RouteTable::build(registry)));
        self.current.store(Some(Arc::clone(&table)));
        table
    }
}
