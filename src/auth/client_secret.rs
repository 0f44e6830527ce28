//! [`ClientSecretCredential`]: client credentials with a secret (v2 endpoint).

use std::fmt;

use async_trait::async_trait;

use super::common::{Common, credential_setters};
use super::token_endpoint::request_token;
use super::{AccessToken, TokenSource};
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::tenant::TenantId;

/// The MSSP's multi-tenant app, authenticating with a client secret against
/// each customer tenant: `POST {authority}/{tenant}/oauth2/v2.0/token` with
/// `grant_type=client_credentials` and `scope=<resource>/.default`.
///
/// Works for any scope: the Defender API, Graph, or Azure Monitor for the
/// Sentinel sink (`https://monitor.azure.com//.default`).
///
/// ```
/// use defender_siem::auth::ClientSecretCredential;
/// use defender_siem::cloud::{Cloud, Endpoints};
/// use defender_siem::Secret;
///
/// let credential = ClientSecretCredential::new(
///     "11111111-2222-3333-4444-555555555555",
///     Secret::new("s3cr3t-value"),
/// )?
/// .with_endpoints(&Endpoints::new(Cloud::GccHigh));
/// assert!(!format!("{credential:?}").contains("s3cr3t-value"));
/// # Ok::<(), defender_siem::Error>(())
/// ```
#[derive(Clone)]
pub struct ClientSecretCredential {
    common: Common,
    secret: Secret,
}

impl ClientSecretCredential {
    /// A credential for the app `client_id` with its secret value (not the
    /// secret's ID).
    pub fn new(client_id: &str, secret: Secret) -> Result<Self> {
        if secret.expose().trim().is_empty() {
            return Err(Error::Config("the client secret is empty".into()));
        }
        Ok(ClientSecretCredential {
            common: Common::new(client_id)?,
            secret,
        })
    }
}

credential_setters!(ClientSecretCredential);

#[async_trait]
impl TokenSource for ClientSecretCredential {
    async fn fetch(&self, tenant: &TenantId, scope: &str) -> Result<AccessToken> {
        let url = self.common.token_url(tenant, true)?;
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.common.client_id.as_str()),
            ("client_secret", self.secret.expose()),
            ("scope", scope),
        ];
        let grant =
            request_token(&self.common.http, &url, &form, tenant, &self.common.retry).await?;
        Ok(grant.token)
    }
}

impl fmt::Debug for ClientSecretCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ClientSecretCredential");
        self.common.debug_fields(&mut d);
        d.field("secret", &self.secret).finish()
    }
}
