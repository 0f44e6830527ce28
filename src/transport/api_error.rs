//! [`ApiError`]: the Defender or Graph API answered with an error status.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

use super::scrub::server_field;
use crate::retry::{Failure, RetryPolicy};
use crate::tenant::TenantId;

/// Which service a call went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Service {
    /// The Entra ID token endpoint.
    Entra,
    /// The Defender for Endpoint API (`/api/alerts`).
    Defender,
    /// Microsoft Graph (`/v1.0/security/alerts_v2`).
    Graph,
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Service::Entra => "Entra ID",
            Service::Defender => "Defender API",
            Service::Graph => "Graph API",
        })
    }
}

/// An error status from the Defender or Graph API, with the body's
/// `{"error":{"code","message","target"}}` read out.
#[derive(Debug, Clone)]
pub struct ApiError {
    tenant: Option<TenantId>,
    service: Service,
    status: u16,
    path: String,
    code: Option<String>,
    message: Option<String>,
    target: Option<String>,
    request_id: Option<String>,
    retry_after: Option<Duration>,
    attempts: u32,
}

#[derive(Deserialize)]
struct Envelope {
    error: Option<Body>,
}

#[derive(Deserialize)]
struct Body {
    code: Option<String>,
    message: Option<String>,
    target: Option<String>,
    #[serde(rename = "innerError", alias = "innererror")]
    inner: Option<Inner>,
}

#[derive(Deserialize)]
struct Inner {
    #[serde(rename = "request-id")]
    request_id: Option<String>,
}

impl ApiError {
    /// Reads an error response. `path` is the request path (never the
    /// query string); `body` may be anything, an unreadable one is ignored.
    pub fn from_response(
        service: Service,
        tenant: Option<&TenantId>,
        status: u16,
        path: &str,
        retry_after: Option<Duration>,
        body: &[u8],
    ) -> Self {
        ApiError {
            tenant: tenant.cloned(),
            service,
            status,
            path: clip(path, 200),
            code: None,
            message: None,
            target: None,
            request_id: None,
            retry_after,
            attempts: 1,
        }
        .scrubbed_of(&[], body)
    }

    /// Reads the body's error fields again, cutting out every secret in
    /// `sent` (what the request carried: the bearer token) and passing each
    /// field through [`server_text`](super::scrub::server_text).
    pub(crate) fn scrubbed_of(mut self, sent: &[&str], body: &[u8]) -> Self {
        let parsed = serde_json::from_slice::<Envelope>(body)
            .ok()
            .and_then(|e| e.error);
        if let Some(b) = parsed {
            self.code = server_field(b.code, sent, 100);
            self.message = server_field(b.message, sent, 500);
            self.target = server_field(b.target, sent, 100);
            self.request_id = server_field(b.inner.and_then(|i| i.request_id), sent, 100);
        }
        self
    }

    /// Records how many attempts were made before giving up.
    #[must_use]
    pub fn with_attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts;
        self
    }

    /// The tenant the call was made for.
    pub fn tenant(&self) -> Option<&TenantId> {
        self.tenant.as_ref()
    }

    /// The service that answered.
    pub fn service(&self) -> Service {
        self.service
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The request path, without the query string.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The API's error code, for example `Forbidden` or `ODataError`.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// The API's free-text message.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// The Defender `target`: a tracking id to quote in a support case.
    pub fn target(&self) -> Option<&str> {
        self.target.as_deref()
    }

    /// Graph's `innerError.request-id`.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// The server's `Retry-After`, when it sent one.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// How many attempts were made.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Whether the same call may succeed later (408, 429, 5xx).
    pub fn is_retryable(&self) -> bool {
        RetryPolicy::is_retryable(self.as_failure())
    }

    /// This error as the retry policy sees it.
    pub fn as_failure(&self) -> Failure {
        Failure::Status {
            status: self.status,
            retry_after: self.retry_after,
        }
    }

    /// What usually causes this status, in MSSP terms.
    pub fn hint(&self) -> Option<&'static str> {
        match (self.status, self.service) {
            (401, _) => Some(
                "the token was rejected: check that it was requested for this API and cloud \
                 (audience) and for the customer's tenant",
            ),
            (403, Service::Graph) => Some(
                "the app lacks SecurityAlert.Read.All in this tenant (add it and have the \
                 customer consent again), or the tenant is not licensed for Defender",
            ),
            (403, _) => Some(
                "the app lacks Alert.Read.All (WindowsDefenderATP) in this tenant: add it and \
                 have the customer consent again, or the tenant is not onboarded to Defender",
            ),
            (429, _) => Some("throttled: the tenant's call budget is used up for now"),
            _ => None,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} answered {} on {}",
            self.service, self.status, self.path
        )?;
        if let Some(t) = &self.tenant {
            write!(f, " for tenant {t}")?;
        }
        match (&self.code, &self.message) {
            (Some(c), Some(m)) => write!(f, ": {c}: {m}")?,
            (Some(c), None) => write!(f, ": {c}")?,
            (None, Some(m)) => write!(f, ": {m}")?,
            (None, None) => f.write_str(" (no error details in the response)")?,
        }
        if let Some(t) = &self.target {
            write!(f, " (target {t})")?;
        }
        if let Some(r) = &self.request_id {
            write!(f, " (request-id {r})")?;
        }
        if let Some(h) = self.hint() {
            write!(f, "; {h}")?;
        }
        if self.attempts > 1 {
            write!(f, "; gave up after {} attempts", self.attempts)?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// At most `max` characters of `text`.
pub(crate) fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_defender_error_body() {
        let body = br#"{"error":{"code":"ResourceNotFound","message":"Machine 1 was not found","target":"43f4cb08"}}"#;
        let e = ApiError::from_response(Service::Defender, None, 404, "/api/alerts/1", None, body);
        assert_eq!(e.code(), Some("ResourceNotFound"));
        assert_eq!(e.target(), Some("43f4cb08"));
        assert!(!e.is_retryable());
        assert!(
            e.to_string()
                .contains("ResourceNotFound: Machine 1 was not found")
        );
    }

    #[test]
    fn reads_graph_inner_error_and_tolerates_junk() {
        let body = br#"{"error":{"code":"TooManyRequests","message":"Please retry again later.","innerError":{"request-id":"94fb"}}}"#;
        let e = ApiError::from_response(Service::Graph, None, 429, "/x", None, body);
        assert_eq!(e.request_id(), Some("94fb"));
        assert!(e.is_retryable());
        let junk = ApiError::from_response(Service::Graph, None, 502, "/x", None, b"<html>");
        assert_eq!(junk.code(), None);
        assert!(junk.to_string().contains("no error details"));
    }

    #[test]
    fn clip_is_char_safe() {
        assert_eq!(clip("ééé", 2), "éé…");
        assert_eq!(clip("ab", 5), "ab");
    }
}
