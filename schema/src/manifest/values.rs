//! Validated scalar values of a manifest: each parses from the string people write and rejects
//! anything else while deserializing, so the error carries the line it came from.

use std::{fmt, str::FromStr, time::Duration};

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

/// A function name: a DNS label (`a-z`, `0-9`, `-`; 1 to 63 characters; starts and ends with a
/// letter or digit), so it is safe in URLs, file names and metric labels.
///
/// ```
/// use wasmfn_schema::FunctionName;
/// assert!("hello-rust".parse::<FunctionName>().is_ok());
/// assert!("Hello_Rust".parse::<FunctionName>().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FunctionName(String);

impl FunctionName {
    /// Longest accepted name, as for a DNS label.
    pub const MAX_LEN: usize = 63;

    /// The name as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for FunctionName {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let valid_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
        if s.is_empty() || s.len() > Self::MAX_LEN {
            return Err(format!(
                "{s:?} is not a valid function name: it must have 1 to {} characters",
                Self::MAX_LEN
            ));
        }
        if !s.chars().all(valid_char) || s.starts_with('-') || s.ends_with('-') {
            return Err(format!(
                "{s:?} is not a valid function name: use lowercase letters, digits and '-', \
                 starting and ending with a letter or digit (like \"send-email\")"
            ));
        }
        Ok(Self(s.to_owned()))
    }
}

impl fmt::Display for FunctionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for FunctionName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A per-call time limit written the human way: `500ms`, `30s`, `2m`.
///
/// ```
/// use std::time::Duration;
/// use wasmfn_schema::Timeout;
/// assert_eq!("1m 30s".parse::<Timeout>().unwrap().get(), Duration::from_secs(90));
/// assert!("10 parsecs".parse::<Timeout>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeout(Duration);

impl Timeout {
    /// The default: 30 seconds.
    pub const DEFAULT: Self = Self(Duration::from_secs(30));
    /// The longest accepted limit: one hour. A function that needs longer is a job, not a call.
    pub const MAX: Duration = Duration::from_secs(3600);

    /// A timeout of `duration`, which must be non-zero and at most [`Timeout::MAX`].
    pub fn new(duration: Duration) -> Result<Self, String> {
        if duration.is_zero() {
            return Err("must be greater than zero".to_owned());
        }
        if duration > Self::MAX {
            return Err(format!(
                "{} is longer than the maximum of {}",
                humantime::format_duration(duration),
                humantime::format_duration(Self::MAX)
            ));
        }
        Ok(Self(duration))
    }

    /// The limit as a [`Duration`].
    pub fn get(self) -> Duration {
        self.0
    }
}

impl Default for Timeout {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl FromStr for Timeout {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let duration = humantime::parse_duration(s).map_err(|e| {
            format!("{s:?} is not a duration ({e}); write it like \"500ms\", \"30s\" or \"2m\"")
        })?;
        Self::new(duration).map_err(|e| format!("{s:?}: {e}"))
    }
}

impl fmt::Display for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        humantime::format_duration(self.0).fmt(f)
    }
}

/// A memory limit for one instance of a function, written like `64mb`, `256MiB` or `1gb`, or as
/// a plain number of bytes.
///
/// ```
/// use wasmfn_schema::MemoryLimit;
/// assert_eq!("256mib".parse::<MemoryLimit>().unwrap().bytes(), 256 * 1024 * 1024);
/// assert!("-1".parse::<MemoryLimit>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryLimit(u64);

impl MemoryLimit {
    /// The default: 256 MiB.
    pub const DEFAULT: Self = Self(256 * 1024 * 1024);
    /// A wasm page (64 KiB): the smallest unit a module's memory grows by.
    pub const PAGE: u64 = 64 * 1024;
    /// The most a 32-bit wasm memory can address: 4 GiB.
    pub const MAX: u64 = 4 * 1024 * 1024 * 1024;

    /// A limit of `bytes`, which must be between one wasm page and 4 GiB.
    pub fn new(bytes: u64) -> Result<Self, String> {
        if bytes < Self::PAGE {
            return Err(format!(
                "{} is below the minimum of one wasm page (64 KiB)",
                bytesize::ByteSize(bytes)
            ));
        }
        if bytes > Self::MAX {
            return Err(format!(
                "{} is above the 4 GiB a 32-bit wasm module can address",
                bytesize::ByteSize(bytes)
            ));
        }
        Ok(Self(bytes))
    }

    /// The limit in bytes.
    pub fn bytes(self) -> u64 {
        self.0
    }

    /// The limit in whole wasm pages (rounded down), as Extism's manifest wants it.
    pub fn pages(self) -> u32 {
        // new() caps bytes at 4 GiB, so this is at most 65536.
        (self.0 / Self::PAGE) as u32
    }
}

impl Default for MemoryLimit {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl FromStr for MemoryLimit {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let size: bytesize::ByteSize = s.trim().parse().map_err(|_| {
            format!("{s:?} is not a size; write it like \"64mb\", \"256MiB\" or \"1gb\"")
        })?;
        Self::new(size.as_u64()).map_err(|e| format!("{s:?}: {e}"))
    }
}

impl fmt::Display for MemoryLimit {
    /// The largest binary unit that divides the limit exactly, so it parses back to the same
    /// number of bytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let units = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
        match units.iter().find(|(size, _)| self.0.is_multiple_of(*size)) {
            Some((size, unit)) => write!(f, "{}{unit}", self.0 / size),
            None => write!(f, "{}", self.0),
        }
    }
}

/// A body size limit, written like `64kb`, `10MiB` or as a number of bytes; at most 1 GiB.
///
/// ```
/// use wasmfn_schema::manifest::BodySize;
/// assert_eq!("64kib".parse::<BodySize>().unwrap().bytes(), 65536);
/// assert!("2gib".parse::<BodySize>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodySize(u64);

impl BodySize {
    /// The largest accepted limit: 1 GiB (bodies are buffered in memory).
    pub const MAX: u64 = 1024 * 1024 * 1024;

    /// The limit in bytes.
    pub fn bytes(self) -> u64 {
        self.0
    }
}

impl FromStr for BodySize {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let size: bytesize::ByteSize = s.trim().parse().map_err(|_| {
            format!("{s:?} is not a size; write it like \"64kb\", \"10MiB\" or a number of bytes")
        })?;
        if size.as_u64() > Self::MAX {
            return Err(format!("{s:?} is above the maximum of 1 GiB (bodies are held in memory)"));
        }
        Ok(Self(size.as_u64()))
    }
}

impl fmt::Display for BodySize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        MemoryLimit(self.0).fmt(f)
    }
}

/// Deserializes a value written as a YAML string or a bare number through its
/// `FromStr`, so that every value type reports its own message.
pub(super) fn from_scalar<'de, D, T>(
    deserializer: D,
    expecting: &'static str,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr<Err = String>,
{
    struct Visitor<T>(&'static str, std::marker::PhantomData<T>);

    impl<T: FromStr<Err = String>> de::Visitor<'_> for Visitor<T> {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
            v.parse().map_err(E::custom)
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
            self.visit_str(&v.to_string())
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
            self.visit_str(&v.to_string())
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
            self.visit_str(&v.to_string())
        }
    }

    deserializer.deserialize_any(Visitor(expecting, std::marker::PhantomData))
}

/// When a scheduled function runs: a cron expression, evaluated in UTC. Five fields
/// (`minute hour day-of-month month day-of-week`), or six with seconds first; `@hourly`-style
/// nicknames work too.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use wasmfn_schema::CronSchedule;
///
/// let every_5_minutes: CronSchedule = "*/5 * * * *".parse().unwrap();
/// let next = every_5_minutes.next_after(SystemTime::UNIX_EPOCH).unwrap();
/// assert_eq!(next, SystemTime::UNIX_EPOCH + Duration::from_secs(300));
/// assert!("*/5 * * *".parse::<CronSchedule>().is_err());
/// ```
#[derive(Clone, Debug)]
pub struct CronSchedule {
    text: String,
    // Boxed: the parsed pattern is large, and hooks are kept in a list of enums.
    cron: Box<croner::Cron>,
}

impl CronSchedule {
    /// The expression as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The first time strictly after `time` the schedule fires (on a whole second), or
    /// `None` if it never does again.
    pub fn next_after(&self, time: std::time::SystemTime) -> Option<std::time::SystemTime> {
        use chrono::{SubsecRound, Timelike};
        let time = chrono::DateTime::<chrono::Utc>::from(time).trunc_subsecs(0);
        let next = self.cron.find_next_occurrence(&time, false).ok()?;
        Some(next.with_nanosecond(0).unwrap_or(next).into())
    }

    /// The last time at or before `time` the schedule fired (on a whole second), or `None`
    /// if it never did.
    pub fn previous_at_or_before(
        &self,
        time: std::time::SystemTime,
    ) -> Option<std::time::SystemTime> {
        use chrono::{SubsecRound, Timelike};
        let time = chrono::DateTime::<chrono::Utc>::from(time).trunc_subsecs(0);
        let previous = self.cron.find_previous_occurrence(&time, true).ok()?;
        Some(previous.with_nanosecond(0).unwrap_or(previous).into())
    }
}

impl PartialEq for CronSchedule {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl FromStr for CronSchedule {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let cron = croner::Cron::from_str(s).map_err(|e| {
            format!("{s:?} is not a cron expression ({e}); write it like \"*/5 * * * *\"")
        })?;
        Ok(Self { text: s.to_owned(), cron: Box::new(cron) })
    }
}

impl fmt::Display for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A grant to call part of the host app's own API: `"METHOD /path"` or `"/path"` (any
/// method). In the path, `*` matches within one segment and `**` across segments.
///
/// ```
/// use wasmfn_schema::ApiScope;
///
/// let scope: ApiScope = "POST /api/audit/*".parse().unwrap();
/// assert_eq!(scope.method(), Some("POST"));
/// assert_eq!(scope.path(), "/api/audit/*");
/// assert_eq!("/api/notes/**".parse::<ApiScope>().unwrap().method(), None);
/// assert!("post /api".parse::<ApiScope>().is_err());
/// assert!("GET api/notes".parse::<ApiScope>().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiScope {
    method: Option<String>,
    path: String,
}

impl ApiScope {
    /// The HTTP methods a scope may name.
    pub const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

    /// The method the scope grants, or `None` for every method.
    pub fn method(&self) -> Option<&str> {
        self.method.as_deref()
    }

    /// The path pattern, starting with `/`.
    pub fn path(&self) -> &str {
        &self.path
    }
}

impl FromStr for ApiScope {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let usage = "write it like \"POST /api/audit\" or \"/api/notes/**\"";
        let (method, path) = match s.trim().split_once(char::is_whitespace) {
            Some((method, path)) => (Some(method), path.trim()),
            None => (None, s.trim()),
        };
        if let Some(method) = method
            && !Self::METHODS.contains(&method)
        {
            return Err(format!(
                "{method:?} is not an HTTP method (one of {}); {usage}",
                Self::METHODS.join(", ")
            ));
        }
        if !path.starts_with('/') || path.contains(char::is_whitespace) {
            return Err(format!("{s:?} is not a scope: the path must start with '/'; {usage}"));
        }
        Ok(Self { method: method.map(str::to_owned), path: path.to_owned() })
    }
}

impl fmt::Display for ApiScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.method {
            Some(method) => write!(f, "{method} {}", self.path),
            None => f.write_str(&self.path),
        }
    }
}

macro_rules! scalar_serde {
    ($ty:ty, $expecting:literal) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                from_scalar(deserializer, $expecting)
            }
        }

        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }
    };
}

scalar_serde!(FunctionName, "a function name like \"send-email\"");
scalar_serde!(Timeout, "a duration like \"30s\"");
scalar_serde!(MemoryLimit, "a size like \"256mb\"");
scalar_serde!(CronSchedule, "a cron expression like \"*/5 * * * *\"");
scalar_serde!(ApiScope, "an API scope like \"POST /api/audit\"");
scalar_serde!(BodySize, "a size like \"10mb\"");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_dns_label_rules() {
        for ok in ["a", "hello", "hello-rust", "v2", "a1-b2"] {
            assert!(ok.parse::<FunctionName>().is_ok(), "{ok}");
        }
        let long = "a".repeat(64);
        for bad in ["", "-a", "a-", "Hello", "a_b", "a.b", "a b", "ünï", &long] {
            assert!(bad.parse::<FunctionName>().is_err(), "{bad}");
        }
    }

    #[test]
    fn timeouts_are_bounded() {
        assert_eq!("250ms".parse::<Timeout>().unwrap().get(), Duration::from_millis(250));
        let zero = "0s".parse::<Timeout>().unwrap_err();
        assert!(zero.contains("greater than zero"), "{zero}");
        assert!("2h".parse::<Timeout>().unwrap_err().contains("maximum"));
        assert!("30".parse::<Timeout>().is_err(), "a bare number has no unit");
    }

    #[test]
    fn memory_limits_are_bounded() {
        assert_eq!("64KiB".parse::<MemoryLimit>().unwrap().pages(), 1);
        assert_eq!("4GiB".parse::<MemoryLimit>().unwrap().pages(), 65536);
        assert_eq!("1048576".parse::<MemoryLimit>().unwrap().bytes(), 1 << 20);
        assert!("1kb".parse::<MemoryLimit>().unwrap_err().contains("minimum"));
        assert!("5gib".parse::<MemoryLimit>().unwrap_err().contains("4 GiB"));
        assert!("lots".parse::<MemoryLimit>().is_err());
    }

    #[test]
    fn values_round_trip_through_display() {
        let t: Timeout = "1m 30s".parse().unwrap();
        assert_eq!(t.to_string().parse::<Timeout>().unwrap(), t);
        for text in ["256MiB", "64mb", "100000", "4GiB"] {
            let m: MemoryLimit = text.parse().unwrap();
            assert_eq!(m.to_string().parse::<MemoryLimit>().unwrap(), m, "{text} -> {m}");
        }
    }
}
