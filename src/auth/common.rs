//! What every Entra credential shares: the app's client id, the authority,
//! the HTTP client and the retry policy.

use std::fmt;

use url::Url;

use super::token_endpoint::token_url;
use crate::cloud::Endpoints;
use crate::error::{Error, Result};
use crate::retry::RetryPolicy;
use crate::tenant::TenantId;
use crate::transport::HttpSettings;

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
}

impl Common {
    pub(crate) fn new(client_id: &str) -> Result<Self> {
        Ok(Common {
            client_id: check_client_id(client_id)?,
            authority: Endpoints::default().authority().clone(),
            http: HttpSettings::new().component("entra").build_client()?,
            retry: RetryPolicy::default(),
        })
    }

    pub(crate) fn token_url(&self, tenant: &TenantId, v2: bool) -> Result<Url> {
        token_url(&self.authority, tenant, v2)
    }

    pub(crate) fn debug_fields(&self, d: &mut fmt::DebugStruct<'_, '_>) {
        d.field("client_id", &self.client_id)
            .field("authority", &self.authority.as_str())
            .field("retry", &self.retry);
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
    fn client_ids() {
        assert!(check_client_id("11111111-2222-3333-4444-555555555555").is_ok());
        assert!(check_client_id("").is_err());
        assert!(check_client_id("a b").is_err());
    }
}
