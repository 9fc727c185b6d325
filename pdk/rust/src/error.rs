use std::fmt;

use wasmfn_schema::wire::{GuestError, codes};

/// The error a function returns: a machine-readable `code` and a message for people. The
/// caller receives both as `{ "error": { "code": ..., "message": ... } }`.
///
/// Any `std::error::Error` converts into it (code `guest_error`), so `?` works on the errors of
/// other crates:
///
/// ```
/// fn parse(text: &str) -> wasmfn_pdk::Result<u32> {
///     Ok(text.parse::<u32>()?)
/// }
/// let err = parse("many").unwrap_err();
/// assert_eq!(err.code(), "guest_error");
/// assert_eq!(err.message(), "invalid digit found in string");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    code: String,
    message: String,
    status: Option<u16>,
}

/// `Result<T, wasmfn_pdk::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error with a code of your own (snake_case by convention, like `out_of_stock`).
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self { code: code.into(), message: message.into(), status: None }
    }

    /// Sets the HTTP status callers get (400 to 599; others are ignored). Without it the
    /// host picks one from the code: `invalid_input` 400, `not_found` 404, others 500.
    ///
    /// ```
    /// let err = wasmfn_pdk::Error::new("out_of_stock", "no more blue ones").with_status(409);
    /// assert_eq!(err.status(), Some(409));
    /// ```
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = (400..=599).contains(&status).then_some(status);
        self
    }

    /// The HTTP status set with [`Error::with_status`].
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// The input was not acceptable (code `invalid_input`; HTTP callers get 400).
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(codes::INVALID_INPUT, message)
    }

    /// Something the input refers to does not exist (code `not_found`; HTTP callers get 404).
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(codes::NOT_FOUND, message)
    }

    /// The error's code.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The error's message.
    pub fn message(&self) -> &str {
        &self.message
    }

    pub(crate) fn into_wire(self) -> GuestError {
        GuestError { status: self.status, ..GuestError::new(self.code, self.message) }
    }
}

impl<E: std::error::Error> From<E> for Error {
    fn from(error: E) -> Self {
        let mut message = error.to_string();
        let mut source = error.source();
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        Self::new(codes::GUEST_ERROR, message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Outer(std::io::Error);

    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("loading the template")
        }
    }

    impl std::error::Error for Outer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn converted_errors_keep_their_causes() {
        let err: Error = Outer(std::io::Error::other("disk on fire")).into();
        assert_eq!(err.code(), codes::GUEST_ERROR);
        assert_eq!(err.message(), "loading the template: disk on fire");
    }

    #[test]
    fn wire_form_carries_code_and_message() {
        let wire = Error::not_found("no user 7").into_wire();
        assert_eq!(wire.to_json(), r#"{"code":"not_found","message":"no user 7"}"#);
    }
}
