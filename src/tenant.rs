//! Customer tenants: [`TenantId`] and [`TenantInfo`].

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use crate::error::Error;

/// An Entra ID tenant: a GUID, or a domain such as `contoso.onmicrosoft.com`.
///
/// Checked on construction (non-empty, at most 256 characters, letters,
/// digits, `-` and `.` only, no empty dot-separated label), so it is always
/// safe in a URL path. Entra's shared authorities `common`, `organizations`
/// and `consumers` are refused: a token from them can belong to any tenant,
/// so alerts could not be pinned to the customer they are labelled with.
///
/// ```
/// use defender_siem::TenantId;
///
/// let id: TenantId = "a839b112-1253-6432-9bf6-94542403f21c".parse()?;
/// assert_eq!(id.as_str(), "a839b112-1253-6432-9bf6-94542403f21c");
/// assert!(id.is_guid());
/// assert!("not a/tenant".parse::<TenantId>().is_err());
/// assert!("common".parse::<TenantId>().is_err());
/// # Ok::<(), defender_siem::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantId(Arc<str>);

impl TenantId {
    /// Checks and wraps a tenant id.
    pub fn new(value: impl AsRef<str>) -> Result<Self, Error> {
        let value = value.as_ref().trim();
        let shown = || value.chars().take(64).collect::<String>();
        let valid = !value.is_empty()
            && value.len() <= 256
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
            && value.split('.').all(|label| !label.is_empty());
        if !valid {
            return Err(Error::Config(format!(
                "`{}` is not a tenant id (expected a GUID or a domain name)",
                shown()
            )));
        }
        if SHARED_AUTHORITIES
            .iter()
            .any(|shared| value.eq_ignore_ascii_case(shared))
        {
            return Err(Error::Config(format!(
                "`{}` is Entra's shared authority, not a customer tenant: give the tenant's id (a GUID) or its verified domain",
                shown()
            )));
        }
        Ok(TenantId(Arc::from(value)))
    }

    /// True when the id is a GUID (`8-4-4-4-12` hexadecimal digits), the
    /// form Entra puts in a token's `tid` claim; false for a domain.
    pub fn is_guid(&self) -> bool {
        is_guid(&self.0)
    }

    /// True when `tid` (a token's `tid` claim or an alert's tenant id)
    /// names this tenant: GUIDs compare without regard to case.
    pub fn is_same_tenant(&self, tid: &str) -> bool {
        self.0.eq_ignore_ascii_case(tid)
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

/// Entra's multi-tenant authorities, which are not one tenant.
const SHARED_AUTHORITIES: [&str; 3] = ["common", "organizations", "consumers"];

/// True when `text` is a GUID: five groups of 8, 4, 4, 4 and 12 hexadecimal
/// digits joined by `-`.
pub(crate) fn is_guid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.bytes().all(|b| b.is_ascii_hexdigit()))
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
            " localhost ",
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

    #[test]
    fn refuses_shared_authorities_and_empty_labels() {
        for shared in ["common", "Organizations", " CONSUMERS "] {
            let err = TenantId::new(shared).unwrap_err();
            assert!(
                err.to_string().contains("shared authority"),
                "{shared}: {err}"
            );
        }
        for dots in [
            ".",
            "..",
            "...",
            ".contoso.com",
            "contoso.com.",
            "contoso..com",
        ] {
            let err = TenantId::new(dots).unwrap_err();
            assert!(err.to_string().contains("not a tenant id"), "{dots}: {err}");
        }
        assert!(TenantId::new("common.contoso.com").is_ok());
    }

    #[test]
    fn tells_guids_from_domains() {
        let guid = TenantId::new("A839B112-1253-6432-9bf6-94542403f21c").unwrap();
        assert!(guid.is_guid());
        assert!(guid.is_same_tenant("a839b112-1253-6432-9BF6-94542403f21c"));
        assert!(!guid.is_same_tenant("b839b112-1253-6432-9bf6-94542403f21c"));
        for domain in [
            "contoso.com",
            "a839b112-1253-6432-9bf6-94542403f21",
            "a839b1121253-6432-9bf6-94542403f21c0",
        ] {
            assert!(!TenantId::new(domain).unwrap().is_guid(), "{domain}");
        }
    }
}
