//! A manifest's `api.scopes`, compiled for matching requests.

use globset::{Glob, GlobBuilder, GlobMatcher};
use wasmfn_schema::ApiScope;

/// The requests a function may make to the app's API.
#[derive(Debug)]
pub(crate) struct ScopeSet {
    scopes: Vec<Scope>,
}

#[derive(Debug)]
struct Scope {
    text: String,
    method: Option<String>,
    path: GlobMatcher,
}

impl ScopeSet {
    /// Compiles the path patterns; `*` stays within a segment, `**` crosses them.
    pub(crate) fn new(scopes: &[ApiScope]) -> Result<Self, globset::Error> {
        let compile = |scope: &ApiScope| -> Result<Scope, globset::Error> {
            let glob: Glob = GlobBuilder::new(scope.path()).literal_separator(true).build()?;
            Ok(Scope {
                text: scope.to_string(),
                method: scope.method().map(str::to_owned),
                path: glob.compile_matcher(),
            })
        };
        let scopes = scopes.iter().map(compile).collect::<Result<_, _>>()?;
        Ok(Self { scopes })
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.scopes.is_empty()
    }

    /// Whether some scope grants `method` on `path` (a query after `?` is ignored).
    pub(crate) fn allows(&self, method: &str, path: &str) -> bool {
        let path = path.split_once('?').map_or(path, |(path, _)| path);
        self.scopes.iter().any(|scope| {
            scope.method.as_deref().is_none_or(|m| m.eq_ignore_ascii_case(method))
                && scope.path.is_match(path)
        })
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &str> {
        self.scopes.iter().map(|scope| scope.text.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(scopes: &[&str]) -> ScopeSet {
        ScopeSet::new(&scopes.iter().map(|s| s.parse().unwrap()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn methods_and_segments_are_matched() {
        let scopes = set(&["POST /api/audit", "GET /api/notes/*", "/api/public/**"]);
        assert!(scopes.allows("POST", "/api/audit"));
        assert!(scopes.allows("POST", "/api/audit?dry_run=1"));
        assert!(!scopes.allows("DELETE", "/api/audit"));
        assert!(!scopes.allows("POST", "/api/audit/1"));
        assert!(scopes.allows("GET", "/api/notes/7"));
        assert!(!scopes.allows("GET", "/api/notes/7/history"), "* stays in one segment");
        assert!(!scopes.allows("PUT", "/api/notes/7"));
        assert!(scopes.allows("DELETE", "/api/public/a/b/c"));
        assert!(!scopes.allows("GET", "/api/users"));
        assert!(set(&[]).is_empty() && !set(&[]).allows("GET", "/"));
    }
}
