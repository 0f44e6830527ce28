//! [`StaticTokenProvider`]: one fixed token, for tests and examples.

use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use chrono::{Duration, Utc};

use super::{AccessToken, TokenProvider};
use crate::error::Result;
use crate::secret::Secret;
use crate::tenant::TenantId;

/// Hands out the same token for every tenant and scope, valid for an hour
/// from each call. Counts calls and invalidations, which tests assert on.
///
/// One token for every tenant is only right for tests and single-tenant
/// tools: the [`DefenderClient`](crate::client::DefenderClient) refuses a JWT
/// whose `tid` is not the tenant a request is for
/// ([`Error::WrongTenant`](crate::Error::WrongTenant)).
///
/// ```
/// # async fn run() -> defender_siem::Result<()> {
/// use defender_siem::auth::{StaticTokenProvider, TokenProvider};
/// use defender_siem::TenantId;
///
/// let provider = StaticTokenProvider::new("test-token");
/// let token = provider.token(&TenantId::new("contoso.com")?, "scope/.default").await?;
/// assert_eq!(token.secret().expose(), "test-token");
/// assert_eq!(provider.calls(), 1);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct StaticTokenProvider {
    token: Secret,
    calls: AtomicUsize,
    invalidations: AtomicUsize,
}

impl StaticTokenProvider {
    /// A provider that always returns `token`.
    pub fn new(token: impl Into<Secret>) -> Self {
        StaticTokenProvider {
            token: token.into(),
            calls: AtomicUsize::new(0),
            invalidations: AtomicUsize::new(0),
        }
    }

    /// How many tokens were handed out.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::Relaxed)
    }

    /// How many times a token was invalidated.
    pub fn invalidations(&self) -> usize {
        self.invalidations.load(Ordering::Relaxed)
    }
}

#[async_trait]
impl TokenProvider for StaticTokenProvider {
    async fn token(&self, _tenant: &TenantId, _scope: &str) -> Result<AccessToken> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        Ok(AccessToken::new(
            self.token.clone(),
            Utc::now() + Duration::hours(1),
        ))
    }

    fn invalidate(&self, _tenant: &TenantId, _scope: &str) {
        self.invalidations.fetch_add(1, Ordering::Relaxed);
    }
}
