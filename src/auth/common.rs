//! What every Entra credential shares: the app's client id, the authority,
//! the HTTP client and the retry policy.

use std::fmt;

use url::Url;

use super::token_endpoint::token_url;
use crate::cloud::Endpoints;
use crate::error::{Error, Result};
use crate::retry::RetryPolicy;
use crate::tenant::TenantId;
use crate::transport::{HttpSettings, check_cleartext};

/// Checks an application (client) id: non-empty, at most 128 characters of
/// letters, digits, `-`, `.` and `_`.
pub(crate) fn check_client_id(client_id: &str) -> Result<String> {
    let id = client_id.trim();
    let ok = !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
    if ok {
        Ok(id.to_owned())
    } else {
        Err(Error::Config(
            "the client id must be the app's Application (client) ID, a GUID".into(),
        ))
    }
}

#[derive(Clone)]
pub(crate) struct Common {
    pub(crate) client_id: String,
    pub(crate) authority: Url,
    pub(crate) http: reqwest::Client,
    pub(crate) retry: RetryPolicy,
    pub(crate) allow_plain_http: bool,
}

impl Common {
    pub(crate) fn new(client_id: &str) -> Result<Self> {
        Ok(Common {
            client_id: check_client_id(client_id)?,
            authority: Endpoints::default().authority().clone(),
            http: HttpSettings::new().component("entra").build_client()?,
            retry: RetryPolicy::default(),
            allow_plain_http: false,
        })
    }

    /// The token URL, after the cleartext check of the authority: the
    /// credential goes out only over https (or plain http to loopback, or
    /// with `allow_plain_http`).
    pub(crate) fn token_url(&self, tenant: &TenantId, v2: bool) -> Result<Url> {
        check_cleartext(
            &self.authority,
            "the credential's authority (with_endpoints)",
            self.allow_plain_http,
        )?;
        token_url(&self.authority, tenant, v2)
    }

    pub(crate) fn debug_fields(&self, d: &mut fmt::DebugStruct<'_, '_>) {
        d.field("client_id", &self.client_id)
            .field("authority", &self.authority.as_str())
            .field("retry", &self.retry)
            .field("allow_plain_http", &self.allow_plain_http);
    }
}

/// Setters every credential has, written once.
macro_rules! credential_setters {
    ($ty:ty) => {
        impl $ty {
            /// Uses the Entra authority of these endpoints (a cloud's sign-in
            /// host, or a simulator's URL). Default: the public cloud.
            #[must_use]
            pub fn with_endpoints(mut self, endpoints: &$crate::cloud::Endpoints) -> Self {
                self.common.authority = endpoints.authority().clone();
                self
            }

            /// Uses this HTTP client for token requests (for a proxy or an
            /// extra CA, build one with [`$crate::transport::HttpSettings`]).
            /// Default: [`HttpSettings`](crate::transport::HttpSettings)'s
            /// defaults (no proxy, the environment ignored).
            ///
            /// Build it with `HttpSettings` so that certificates are verified
            /// and redirects are not followed: a client that follows a
            /// redirect would carry the credential to another host.
            #[must_use]
            pub fn with_http_client(mut self, http: reqwest::Client) -> Self {
                self.common.http = http;
                self
            }

            /// How token requests are retried. Default: [`RetryPolicy::default`](crate::retry::RetryPolicy::default).
            #[must_use]
            pub fn with_retry(mut self, retry: $crate::retry::RetryPolicy) -> Self {
                self.common.retry = retry;
                self
            }

            /// Sends the credential to an `http://` authority that is not
            /// loopback (in clear: only for a test rig). Each token request
            /// to such a host logs a warning. Default: off, and such an
            /// authority fails every token request with an error naming it.
            #[must_use]
            pub fn allow_plain_http(mut self, allow: bool) -> Self {
                self.common.allow_plain_http = allow;
                self
            }

            /// The app's client id.
            pub fn client_id(&self) -> &str {
                &self.common.client_id
            }
        }
    };
}
pub(crate) use credential_setters;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_authority_must_be_https_or_loopback() {
        let t = TenantId::new("contoso.com").unwrap();
        let mut common = Common::new("app").unwrap();
        assert!(common.token_url(&t, true).is_ok());
        common.authority = Url::parse("http://login.example").unwrap();
        let e = common.token_url(&t, true).unwrap_err().to_string();
        assert!(
            e.contains("(with_endpoints): `http://login.example`"),
            "{e}"
        );
        common.allow_plain_http = true;
        assert!(common.token_url(&t, true).is_ok());
        common.allow_plain_http = false;
        common.authority = Url::parse("http://127.0.0.1:9/entra").unwrap();
        assert!(common.token_url(&t, true).is_ok());
    }

    #[test]
    fn client_ids() {
        assert!(check_client_id("11111111-2222-3333-4444-555555555555").is_ok());
        assert!(check_client_id("").is_err());
        assert!(check_client_id("a b").is_err());
    }
}
