//! Tenant pinning: every token the client sends for a tenant must have been
//! issued by that tenant.
//!
//! A tenant configured by GUID is pinned to that GUID. A tenant configured
//! by domain is pinned once its GUID is known ([`DefenderClient::pin_tenant`],
//! which the forwarder calls with the GUID it keeps in the checkpoints). A
//! token whose `tid` claim names another tenant is refused before any
//! request is made with it: [`Error::WrongTenant`] names both ids. A token
//! that is not a JWT carries no claim to compare and is sent as it is.

use std::collections::HashMap;
use std::sync::RwLock;

use crate::auth::AccessToken;
use crate::error::{Error, Result};
use crate::tenant::{TenantId, is_guid};

use super::core::DefenderClient;

/// The GUIDs that domain-named tenants are pinned to.
#[derive(Debug, Default)]
pub(crate) struct TenantPins {
    by_domain: RwLock<HashMap<TenantId, String>>,
}

impl TenantPins {
    /// The GUID `tenant`'s tokens must carry, when it is known.
    pub(crate) fn expected(&self, tenant: &TenantId) -> Option<String> {
        if tenant.is_guid() {
            return Some(tenant.as_str().to_owned());
        }
        self.by_domain
            .read()
            .ok()
            .and_then(|pins| pins.get(tenant).cloned())
    }

    fn pin(&self, tenant: &TenantId, guid: &str) {
        if let Ok(mut pins) = self.by_domain.write() {
            pins.insert(tenant.clone(), guid.to_ascii_lowercase());
        }
    }

    /// Refuses `token` when it was issued by another tenant than the one
    /// `tenant` is pinned to.
    pub(crate) fn check(&self, tenant: &TenantId, token: &AccessToken) -> Result<()> {
        let (Some(expected), Some(issued_by)) = (self.expected(tenant), token.tenant_claim())
        else {
            return Ok(());
        };
        if expected.eq_ignore_ascii_case(issued_by) {
            Ok(())
        } else {
            Err(wrong_tenant(tenant, &expected, issued_by))
        }
    }
}

/// The error for a token (or anything else) from `found` where `expected`
/// was pinned.
pub(crate) fn wrong_tenant(tenant: &TenantId, expected: &str, found: &str) -> Error {
    Error::WrongTenant {
        tenant: tenant.clone(),
        expected: expected.to_owned(),
        token_tenant: clip(found),
    }
}

/// A claim is server data: keep the error short and printable.
fn clip(text: &str) -> String {
    text.chars()
        .take(64)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

impl DefenderClient {
    /// Pins a tenant configured by domain to its tenant GUID: from now on
    /// every token used for `tenant` must carry `tid` = `guid`, else the
    /// call fails with [`Error::WrongTenant`]. A tenant configured by GUID
    /// is pinned to itself and needs no call.
    ///
    /// ```
    /// # fn main() -> defender_siem::Result<()> {
    /// use std::sync::Arc;
    /// use defender_siem::auth::StaticTokenProvider;
    /// use defender_siem::client::DefenderClient;
    /// use defender_siem::TenantId;
    ///
    /// let client = DefenderClient::builder()
    ///     .token_provider(Arc::new(StaticTokenProvider::new("token")))
    ///     .build()?;
    /// let contoso = TenantId::new("contoso.com")?;
    /// assert_eq!(client.pinned_tenant(&contoso), None);
    /// client.pin_tenant(&contoso, "A839B112-1253-6432-9bf6-94542403f21c")?;
    /// assert_eq!(
    ///     client.pinned_tenant(&contoso).as_deref(),
    ///     Some("a839b112-1253-6432-9bf6-94542403f21c")
    /// );
    /// assert!(client.pin_tenant(&contoso, "fabrikam.com").is_err());
    /// # Ok(()) }
    /// ```
    pub fn pin_tenant(&self, tenant: &TenantId, guid: &str) -> Result<()> {
        if !is_guid(guid) {
            return Err(Error::Config(format!(
                "tenant {tenant} can only be pinned to a tenant GUID, not `{}`",
                clip(guid)
            )));
        }
        if tenant.is_guid() && !tenant.is_same_tenant(guid) {
            return Err(wrong_tenant(tenant, tenant.as_str(), guid));
        }
        self.inner().pins.pin(tenant, guid);
        Ok(())
    }

    /// The GUID `tenant` is pinned to: itself for a GUID, the pinned one for
    /// a domain, `None` for a domain not pinned yet.
    pub fn pinned_tenant(&self, tenant: &TenantId) -> Option<String> {
        self.inner().pins.expected(tenant)
    }

    /// The `tid` claim of the token the client would use for `tenant` now
    /// (fetched or from the cache), or `None` when the token is not a JWT.
    ///
    /// The forwarder pins a tenant configured by domain with it on first
    /// start. The token is checked against the pin first, so a pinned tenant
    /// answers [`Error::WrongTenant`] rather than another tenant's id.
    pub async fn token_tenant_id(&self, tenant: &TenantId) -> Result<Option<String>> {
        let inner = self.inner();
        let scope = inner.endpoints.mde_scope();
        let token = inner.tokens.token(tenant, &scope).await?;
        inner.pins.check(tenant, &token)?;
        Ok(token.tenant_claim().map(clip))
    }
}
