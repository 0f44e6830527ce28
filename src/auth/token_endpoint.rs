//! POSTing a form to an Entra token endpoint, with the crate's retry policy.

use chrono::Utc;
use tracing::debug;
use url::Url;

use super::entra_error::EntraError;
use super::token_response::{GrantProblem, TokenGrant, parse_grant};
use crate::error::{Error, Result};
use crate::retry::{Attempt, Failure, RetryPolicy, parse_retry_after};
use crate::tenant::TenantId;
use crate::transport::{Service, TransportError, join_path};

/// `{authority}/{tenant}/oauth2/v2.0/token` (v2) or `{authority}/{tenant}/oauth2/token` (v1).
pub(crate) fn token_url(authority: &Url, tenant: &TenantId, v2: bool) -> Result<Url> {
    let mut segments = vec![tenant.as_str(), "oauth2"];
    if v2 {
        segments.push("v2.0");
    }
    segments.push("token");
    join_path(authority, &segments)
}

/// How one attempt ended, when it did not give a token.
enum AttemptError {
    Entra(EntraError, Option<std::time::Duration>),
    Transport(TransportError),
    Fatal(Error),
}

impl std::fmt::Display for AttemptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AttemptError::Entra(e, _) => e.fmt(f),
            AttemptError::Transport(t) => t.fmt(f),
            AttemptError::Fatal(e) => e.fmt(f),
        }
    }
}

impl AttemptError {
    /// The failure as the retry policy sees it; `None` when not retryable.
    /// `temporarily_unavailable` is retryable whatever its status.
    fn as_failure(&self) -> Option<Failure> {
        match self {
            AttemptError::Entra(e, retry_after) if e.is_retryable() => {
                Some(match e.status().filter(|s| *s == 429 || *s >= 500) {
                    Some(status) => Failure::Status {
                        status,
                        retry_after: *retry_after,
                    },
                    // `temporarily_unavailable` with another status: Entra's
                    // own word that a retry may help.
                    None => Failure::Transient {
                        retry_after: *retry_after,
                    },
                })
            }
            AttemptError::Transport(t) => t.as_failure(),
            _ => None,
        }
    }

    fn into_error(self, attempts: u32) -> Error {
        match self {
            AttemptError::Entra(e, _) => e.into(),
            AttemptError::Transport(t) => t.with_attempts(attempts).into(),
            AttemptError::Fatal(e) => e,
        }
    }
}

/// Sends the form, retrying 429, 5xx, `temporarily_unavailable` and
/// transport failures. The form (it holds the credential) is never logged
/// or put into an error.
pub(crate) async fn request_token(
    http: &reqwest::Client,
    url: &Url,
    form: &[(&str, &str)],
    tenant: &TenantId,
    retry: &RetryPolicy,
) -> Result<TokenGrant> {
    let granted = retry
        .run(None, |_| async {
            attempt_once(http, url, form, tenant)
                .await
                .map_err(|err| Attempt {
                    failure: err.as_failure(),
                    error: err,
                })
        })
        .await;
    granted.map_err(|gave_up| {
        debug!(%tenant, attempts = gave_up.attempts, "token request failed; giving up");
        gave_up.error.into_error(gave_up.attempts)
    })
}

async fn attempt_once(
    http: &reqwest::Client,
    url: &Url,
    form: &[(&str, &str)],
    tenant: &TenantId,
) -> std::result::Result<TokenGrant, AttemptError> {
    let transport = |e| {
        AttemptError::Transport(TransportError::from_reqwest(
            Service::Entra,
            Some(tenant),
            e,
        ))
    };
    let response = http
        .post(url.clone())
        .form(form)
        .send()
        .await
        .map_err(transport)?;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, Utc::now()));
    let body = response.bytes().await.map_err(transport)?;
    if (200..300).contains(&status) {
        return parse_grant(&body, Utc::now()).map_err(|problem| match problem {
            GrantProblem::NoToken => AttemptError::Fatal(Error::Config(format!(
                "the token endpoint for tenant {tenant} answered {status} without an access \
                 token; is the authority URL right?"
            ))),
            GrantProblem::Lifetime(why) => AttemptError::Fatal(Error::Protocol(format!(
                "the token endpoint for tenant {tenant} answered {status} with a token that \
                 cannot be used: {why}"
            ))),
        });
    }
    Err(AttemptError::Entra(
        EntraError::from_response_sent(tenant, Some(status), &body, &sent_secrets(form)),
        retry_after,
    ))
}

/// The form fields that carry a credential: an answer that echoes them
/// must not put them into an error.
const SECRET_FIELDS: [&str; 5] = [
    "client_secret",
    "client_assertion",
    "refresh_token",
    "assertion",
    "code",
];

fn sent_secrets<'a>(form: &[(&str, &'a str)]) -> Vec<&'a str> {
    form.iter()
        .filter(|(key, _)| SECRET_FIELDS.contains(key))
        .map(|(_, value)| *value)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_urls_keep_a_base_path() {
        let t = TenantId::new("contoso.com").unwrap();
        let base = Url::parse("https://login.microsoftonline.com/").unwrap();
        assert_eq!(
            token_url(&base, &t, true).unwrap().as_str(),
            "https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token"
        );
        let sim = Url::parse("http://127.0.0.1:9/entra").unwrap();
        assert_eq!(
            token_url(&sim, &t, false).unwrap().as_str(),
            "http://127.0.0.1:9/entra/contoso.com/oauth2/token"
        );
    }
}
