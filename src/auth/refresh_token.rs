//! [`RefreshTokenCredential`]: the legacy v1 refresh-token flow of the MSSP
//! SIEM instructions, with rotated refresh tokens handed to a
//! [`RefreshTokenStore`].

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use tracing::{info, warn};

use super::common::{Common, credential_setters};
use super::token_endpoint::request_token;
use super::{AccessToken, TokenSource};
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::tenant::TenantId;

/// Where a customer tenant's refresh token is kept between runs.
///
/// Entra hands out a new refresh token with every refresh; the credential
/// calls [`RefreshTokenStore::save`] with it before returning the access
/// token, so it is never lost.
#[async_trait]
pub trait RefreshTokenStore: Send + Sync + fmt::Debug {
    /// The stored refresh token of `tenant`, if any.
    async fn load(&self, tenant: &TenantId) -> Result<Option<Secret>>;
    /// Replaces the stored refresh token of `tenant`. Must be durable when
    /// it returns `Ok`.
    async fn save(&self, tenant: &TenantId, token: &Secret) -> Result<()>;
}

/// A [`RefreshTokenStore`] in memory, for tests and short-lived tools.
#[derive(Default)]
pub struct MemoryRefreshTokenStore {
    tokens: Mutex<HashMap<TenantId, Secret>>,
}

impl MemoryRefreshTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        MemoryRefreshTokenStore::default()
    }

    /// Stores `token` for `tenant` (the one the MSSP script printed).
    #[must_use]
    pub fn with(self, tenant: TenantId, token: Secret) -> Self {
        self.tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(tenant, token);
        self
    }

    /// The current refresh token of `tenant`.
    pub fn get(&self, tenant: &TenantId) -> Option<Secret> {
        self.tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(tenant)
            .cloned()
    }
}

#[async_trait]
impl RefreshTokenStore for MemoryRefreshTokenStore {
    async fn load(&self, tenant: &TenantId) -> Result<Option<Secret>> {
        Ok(self.get(tenant))
    }

    async fn save(&self, tenant: &TenantId, token: &Secret) -> Result<()> {
        self.tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(tenant.clone(), token.clone());
        Ok(())
    }
}

impl fmt::Debug for MemoryRefreshTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tenants = self
            .tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        f.debug_struct("MemoryRefreshTokenStore")
            .field("tenants", &tenants)
            .finish_non_exhaustive()
    }
}

/// One tenant's latest refresh token, locked while it is being used.
type TenantSlot = Arc<tokio::sync::Mutex<Option<Secret>>>;

/// `POST {authority}/{tenant}/oauth2/token` with `grant_type=refresh_token`
/// and `resource=` (the scope without `/.default`), as the MSSP SIEM
/// instructions did. Refreshes of one tenant run one at a time, so two
/// scopes never race with the same refresh token; other tenants go ahead.
///
/// ```
/// use std::sync::Arc;
/// use defender_siem::auth::{MemoryRefreshTokenStore, RefreshTokenCredential};
/// use defender_siem::{Secret, TenantId};
///
/// let store = Arc::new(MemoryRefreshTokenStore::new()
///     .with(TenantId::new("contoso.com")?, Secret::new("refresh-token-from-script")));
/// let credential = RefreshTokenCredential::new(
///     "11111111-2222-3333-4444-555555555555",
///     Some(Secret::new("client-secret-value")),
///     store,
/// )?;
/// assert!(!format!("{credential:?}").contains("client-secret-value"));
/// # Ok::<(), defender_siem::Error>(())
/// ```
#[derive(Clone)]
pub struct RefreshTokenCredential {
    common: Common,
    client_secret: Option<Secret>,
    store: Arc<dyn RefreshTokenStore>,
    /// The latest refresh token per tenant, also kept here in case the
    /// store failed to save it.
    latest: Arc<Mutex<HashMap<TenantId, TenantSlot>>>,
}

impl RefreshTokenCredential {
    /// A credential for the app `client_id` (with its secret when the app is
    /// a confidential client) reading refresh tokens from `store`.
    pub fn new(
        client_id: &str,
        client_secret: Option<Secret>,
        store: Arc<dyn RefreshTokenStore>,
    ) -> Result<Self> {
        Ok(RefreshTokenCredential {
            common: Common::new(client_id)?,
            client_secret: client_secret.filter(|s| !s.is_empty()),
            store,
            latest: Arc::default(),
        })
    }

    fn tenant_slot(&self, tenant: &TenantId) -> TenantSlot {
        self.latest
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(tenant.clone())
            .or_default()
            .clone()
    }
}

credential_setters!(RefreshTokenCredential);

/// `https://api.securitycenter.microsoft.com/.default` → `https://api.securitycenter.microsoft.com`.
pub(crate) fn resource_of(scope: &str) -> &str {
    scope.strip_suffix("/.default").unwrap_or(scope)
}

#[async_trait]
impl TokenSource for RefreshTokenCredential {
    async fn fetch(&self, tenant: &TenantId, scope: &str) -> Result<AccessToken> {
        let slot = self.tenant_slot(tenant);
        let mut latest = slot.lock().await;
        let current = match latest.clone() {
            Some(t) => t,
            None => self.store.load(tenant).await?.ok_or_else(|| {
                Error::Config(format!(
                    "no refresh token is stored for tenant {tenant}: acquire one for this \
                     customer first"
                ))
            })?,
        };
        let url = self.common.token_url(tenant, false)?;
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("client_id", self.common.client_id.as_str()),
            ("refresh_token", current.expose()),
            ("resource", resource_of(scope)),
        ];
        if let Some(secret) = &self.client_secret {
            form.push(("client_secret", secret.expose()));
        }
        let grant =
            request_token(&self.common.http, &url, &form, tenant, &self.common.retry).await?;
        if let Some(rotated) = grant.refresh_token {
            *latest = Some(rotated.clone());
            if let Err(e) = self.store.save(tenant, &rotated).await {
                warn!(%tenant, error = %e, "the rotated refresh token could not be saved");
                return Err(e);
            }
            info!(%tenant, "rotated refresh token saved");
        } else {
            *latest = Some(current);
        }
        Ok(grant.token)
    }
}

impl fmt::Debug for RefreshTokenCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RefreshTokenCredential");
        self.common.debug_fields(&mut d);
        d.field("client_secret", &self.client_secret)
            .field("store", &self.store)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_from_scopes() {
        assert_eq!(
            resource_of("https://api.securitycenter.microsoft.com/.default"),
            "https://api.securitycenter.microsoft.com"
        );
        assert_eq!(
            resource_of("https://monitor.azure.com//.default"),
            "https://monitor.azure.com/"
        );
        assert_eq!(
            resource_of("https://graph.windows.net"),
            "https://graph.windows.net"
        );
    }
}
