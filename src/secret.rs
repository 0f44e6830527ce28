//! [`Secret`]: a string that never shows up in `Debug`, `Display` or logs.

use std::fmt;

/// A client secret, token, refresh token or HEC token.
///
/// `Debug` and `Display` print `Secret(***)` / `***`; the value is only
/// reachable through [`Secret::expose`], which makes every use easy to find.
///
/// ```
/// use defender_siem::Secret;
///
/// let s = Secret::new("p@ssw0rd-value");
/// assert_eq!(format!("{s:?}"), "Secret(***)");
/// assert_eq!(s.to_string(), "***");
/// assert_eq!(s.expose(), "p@ssw0rd-value");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself. Never log or format it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when the value is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}
