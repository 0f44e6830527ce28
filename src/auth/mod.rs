//! Tokens: the [`TokenProvider`] trait every credential implements.
//!
//! A provider hands out an [`AccessToken`] for a (tenant, scope) pair, for
//! example the customer tenant and `https://api.securitycenter.microsoft.com/.default`.
//! The client and the HTTP sinks take an `Arc<dyn TokenProvider>`, so tests
//! can pass [`StaticTokenProvider`].
//!
//! | credential ([`TokenSource`]) | grant | endpoint |
//! |---|---|---|
//! | [`ClientSecretCredential`] | `client_credentials` + `client_secret` | `/{tenant}/oauth2/v2.0/token`, `scope=<resource>/.default` |
//! | [`CertificateCredential`] | `client_credentials` + RS256 `client_assertion` (`x5t`) | `/{tenant}/oauth2/v2.0/token` |
//! | [`RefreshTokenCredential`] | `refresh_token` (legacy MSSP SIEM flow) | `/{tenant}/oauth2/token`, `resource=<resource>` |
//!
//! Every credential fetches on each call; [`CachedTokenProvider`] (or
//! [`TokenSource::cached`]) puts the one token cache in front: keyed by
//! (tenant, scope), refreshed ahead of expiry, one fetch in flight per key,
//! dropped on [`TokenProvider::invalidate`]. Entra's refusals become
//! [`crate::Error::Entra`] with the AADSTS code explained ([`aadsts`]).
//! Onboarding a customer (consent URLs, access check) is in [`consent`].

pub mod aadsts;
mod access;
mod cache;
mod certificate;
mod claims;
mod client_secret;
mod common;
pub mod consent;
mod entra_error;
mod per_tenant;
mod refresh_token;
mod static_token;
mod token_endpoint;
mod token_response;

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::Result;
use crate::secret::Secret;
use crate::tenant::TenantId;

pub use access::{AccessCheck, AccessProblem, AccessReport, ProblemKind};
pub use cache::{CachedTokenProvider, TokenSource};
pub use certificate::CertificateCredential;
pub use claims::TokenClaims;
pub use client_secret::ClientSecretCredential;
pub use entra_error::EntraError;
pub use per_tenant::PerTenantTokenProvider;
pub use refresh_token::{MemoryRefreshTokenStore, RefreshTokenCredential, RefreshTokenStore};
pub use static_token::StaticTokenProvider;

/// A bearer token and when it stops working.
#[derive(Clone)]
pub struct AccessToken {
    token: Secret,
    expires_at: DateTime<Utc>,
    /// The `tid` claim, read once when the token is made: the client checks
    /// it on every request (tenant pinning).
    tenant: Option<Arc<str>>,
}

impl AccessToken {
    /// A token valid until `expires_at`.
    pub fn new(token: impl Into<Secret>, expires_at: DateTime<Utc>) -> Self {
        let token = token.into();
        let tenant = claims::TokenClaims::decode(token.expose())
            .ok()
            .and_then(|claims| claims.tenant_id)
            .map(Arc::from);
        AccessToken {
            token,
            expires_at,
            tenant,
        }
    }

    /// The token itself (for the `Authorization` header only).
    pub fn secret(&self) -> &Secret {
        &self.token
    }

    /// When the token expires.
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }

    /// The token's `tid` claim (the tenant that issued it), when the token
    /// is a JWT that carries one.
    pub fn tenant_claim(&self) -> Option<&str> {
        self.tenant.as_deref()
    }

    /// True when the token expires within `margin` of `now`.
    pub fn expires_within(&self, now: DateTime<Utc>, margin: chrono::Duration) -> bool {
        // Saturating: a token built with an extreme `expires_at` (or margin)
        // must not overflow chrono's range.
        self.expires_at
            .checked_sub_signed(margin)
            .is_none_or(|refresh_at| refresh_at <= now)
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &self.token)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Something that can get a token for a tenant and scope.
///
/// Implementations must be cheap to call repeatedly (cache inside) and must
/// never log or return the credential in an error.
#[async_trait]
pub trait TokenProvider: Send + Sync + fmt::Debug {
    /// A token for `tenant`, valid for `scope` (for example
    /// `https://api.securitycenter.microsoft.com/.default`).
    async fn token(&self, tenant: &TenantId, scope: &str) -> Result<AccessToken>;

    /// Forgets a cached token after an API rejected it (HTTP 401), so the
    /// next [`TokenProvider::token`] call fetches a fresh one.
    fn invalidate(&self, _tenant: &TenantId, _scope: &str) {}
}

#[async_trait]
impl<T: TokenProvider + ?Sized> TokenProvider for Arc<T> {
    async fn token(&self, tenant: &TenantId, scope: &str) -> Result<AccessToken> {
        (**self).token(tenant, scope).await
    }

    fn invalidate(&self, tenant: &TenantId, scope: &str) {
        (**self).invalidate(tenant, scope)
    }
}

#[async_trait]
impl<T: TokenProvider + ?Sized> TokenProvider for Box<T> {
    async fn token(&self, tenant: &TenantId, scope: &str) -> Result<AccessToken> {
        (**self).token(tenant, scope).await
    }

    fn invalidate(&self, tenant: &TenantId, scope: &str) {
        (**self).invalidate(tenant, scope)
    }
}
