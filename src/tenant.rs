//! Customer tenants: [`TenantId`] and [`TenantInfo`].

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use crate::error::Error;

/// An Entra ID tenant: a GUID, or a domain such as `contoso.onmicrosoft.com`.
///
/// Checked on construction (non-empty, at most 256 characters, letters,
/// digits, `-` and `.` only), so it is always safe in a URL path.
///
/// ```
/// use defender_siem::TenantId;
///
/// let id: TenantId = "a839b112-1253-6432-9bf6-94542403f21c".parse()?;
/// assert_eq!(id.as_str(), "a839b112-1253-6432-9bf6-94542403f21c");
/// assert!("not a/tenant".parse::<TenantId>().is_err());
/// # Ok::<(), defender_siem::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantId(Arc<str>);

impl TenantId {
    /// Checks and wraps a tenant id.
    pub fn new(value: impl AsRef<str>) -> Result<Self, Error> {
        let value = value.as_ref().trim();
        let valid = !value.is_empty()
            && value.len() <= 256
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
        if valid {
            Ok(TenantId(Arc::from(value)))
        } else {
            Err(Error::Config(format!(
                "`{}` is not a tenant id (expected a GUID or a domain name)",
                value.chars().take(64).collect::<String>()
            )))
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TenantId({})", self.0)
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for TenantId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TenantId::new(s)
    }
}

impl AsRef<str> for TenantId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl serde::Serialize for TenantId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for TenantId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        TenantId::new(text).map_err(serde::de::Error::custom)
    }
}

/// A customer tenant as the forwarder and the sinks see it: its id and the
/// display name used in e-mails, envelopes and status reports.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct TenantInfo {
    /// The Entra tenant id.
    pub id: TenantId,
    /// The customer's display name (for example "Contoso").
    pub name: String,
}

impl TenantInfo {
    /// A tenant with a display name.
    pub fn new(id: TenantId, name: impl Into<String>) -> Self {
        TenantInfo {
            id,
            name: name.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_guids_and_domains() {
        for ok in [
            "a839b112-1253-6432-9bf6-94542403f21c",
            "contoso.onmicrosoft.com",
            " common ",
        ] {
            assert!(TenantId::new(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn rejects_what_could_break_a_url() {
        for bad in ["", "a/b", "a?b", "tenant id", "x".repeat(300).as_str(), "é"] {
            let err = TenantId::new(bad).unwrap_err();
            assert!(err.to_string().contains("not a tenant id"), "{bad}");
        }
    }
}
