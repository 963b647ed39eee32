//! The error a scenario returns from any phase.
//!
//! Barrage's contract carries a failure as a plain string: the host counts
//! it and prints it. [`Error`] is that string, built from anything a
//! scenario is likely to meet (`&str`, `String`, any
//! [`std::error::Error`]) so that `?` works everywhere without ceremony.

use std::fmt;

/// A failed phase of a scenario: a message for the person running the test.
///
/// Any `&str`, `String` or [`std::error::Error`] converts into it, so `?`
/// works on `serde_json`, number parsing and your own errors alike. When
/// the error has a chain of causes, the message lists them after colons.
///
/// ```
/// use barrage_sdk::{Error, Result};
///
/// fn port(text: &str) -> Result<u16> {
///     if text.is_empty() {
///         return Err("no port given".into());
///     }
///     Ok(text.parse()?)
/// }
///
/// assert_eq!(port("8080").ok(), Some(8080));
/// assert_eq!(port("").unwrap_err().to_string(), "no port given");
/// assert_eq!(port("x").unwrap_err().to_string(), "invalid digit found in string");
/// let _ = Error::new("built by hand");
/// ```
pub struct Error {
    message: String,
}

impl Error {
    /// Creates an error with the given message.
    ///
    /// ```
    /// let err = barrage_sdk::Error::new(format!("unexpected status {}", 503));
    /// assert_eq!(err.to_string(), "unexpected status 503");
    /// ```
    pub fn new(message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
        }
    }

    /// The message, as the host will print it.
    pub fn message(&self) -> &str {
        &self.message
    }
}

// `Error` deliberately does not implement `std::error::Error`: that is what
// lets this blanket conversion coexist with the reflexive `From<T> for T`.
impl<E> From<E> for Error
where
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    fn from(error: E) -> Self {
        let error = error.into();
        let mut message = error.to_string();
        let mut source = error.source();
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        Error { message }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.message, f)
    }
}

/// The result of a scenario phase; the error defaults to [`Error`].
///
/// The second parameter keeps `Result<T, E>` usable after
/// `use barrage_sdk::prelude::*`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Outer(std::num::ParseIntError);

    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("bad port")
        }
    }

    impl std::error::Error for Outer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn message_lists_the_causes() {
        let Err(cause) = "x".parse::<u16>() else {
            panic!("`x` parsed as a port");
        };
        let error = Error::from(Outer(cause));
        assert_eq!(error.message(), "bad port: invalid digit found in string");
    }
}
