//! [`PerTenantTokenProvider`]: a different credential per customer tenant.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use super::{AccessToken, TokenProvider};
use crate::error::{Error, Result};
use crate::tenant::TenantId;

/// Routes each tenant to its own provider, with an optional fallback.
///
/// The fallback serves every tenant not named, so it must be able to mint
/// a token *for* the tenant asked (a multi-tenant app credential does); a
/// token from another tenant is refused by the
/// [`DefenderClient`](crate::client::DefenderClient) with
/// [`Error::WrongTenant`](crate::Error::WrongTenant).
///
/// Most MSSPs use one multi-tenant app for every customer, so one provider
/// serves all tenants. When some customers use their own app registration
/// (or a separate secret), map those tenants here.
///
/// ```
/// use std::sync::Arc;
/// use defender_siem::auth::{PerTenantTokenProvider, StaticTokenProvider};
/// use defender_siem::TenantId;
///
/// let providers = PerTenantTokenProvider::new()
///     .with_tenant(TenantId::new("contoso.onmicrosoft.com")?, Arc::new(StaticTokenProvider::new("a")))
///     .with_fallback(Arc::new(StaticTokenProvider::new("b")));
/// # Ok::<(), defender_siem::Error>(())
/// ```
#[derive(Default, Clone)]
pub struct PerTenantTokenProvider {
    tenants: HashMap<TenantId, Arc<dyn TokenProvider>>,
    fallback: Option<Arc<dyn TokenProvider>>,
}

impl PerTenantTokenProvider {
    /// No tenant mapped yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Uses `provider` for `tenant`.
    #[must_use]
    pub fn with_tenant(mut self, tenant: TenantId, provider: Arc<dyn TokenProvider>) -> Self {
        self.tenants.insert(tenant, provider);
        self
    }

    /// Uses `provider` for every tenant not mapped explicitly.
    #[must_use]
    pub fn with_fallback(mut self, provider: Arc<dyn TokenProvider>) -> Self {
        self.fallback = Some(provider);
        self
    }

    fn route(&self, tenant: &TenantId) -> Option<&Arc<dyn TokenProvider>> {
        self.tenants.get(tenant).or(self.fallback.as_ref())
    }
}

impl fmt::Debug for PerTenantTokenProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PerTenantTokenProvider")
            .field("tenants", &self.tenants)
            .field("fallback", &self.fallback)
            .finish()
    }
}

#[async_trait]
impl TokenProvider for PerTenantTokenProvider {
    async fn token(&self, tenant: &TenantId, scope: &str) -> Result<AccessToken> {
        match self.route(tenant) {
            Some(provider) => provider.token(tenant, scope).await,
            None => Err(Error::Config(format!(
                "no credential is configured for tenant {tenant}"
            ))),
        }
    }

    fn invalidate(&self, tenant: &TenantId, scope: &str) {
        if let Some(provider) = self.route(tenant) {
            provider.invalidate(tenant, scope);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::StaticTokenProvider;

    #[tokio::test]
    async fn routes_by_tenant_then_fallback_then_errors() {
        let a = TenantId::new("a.example").unwrap();
        let b = TenantId::new("b.example").unwrap();
        let only_a = PerTenantTokenProvider::new()
            .with_tenant(a.clone(), Arc::new(StaticTokenProvider::new("token-a")));
        assert_eq!(
            only_a.token(&a, "s").await.unwrap().secret().expose(),
            "token-a"
        );
        let err = only_a.token(&b, "s").await.unwrap_err();
        assert!(
            err.to_string()
                .contains("no credential is configured for tenant b.example")
        );
        let with_fallback = only_a.with_fallback(Arc::new(StaticTokenProvider::new("token-any")));
        assert_eq!(
            with_fallback
                .token(&b, "s")
                .await
                .unwrap()
                .secret()
                .expose(),
            "token-any"
        );
        assert!(!format!("{with_fallback:?}").contains("token-"));
    }
}
