//! [`TransportError`]: no usable HTTP answer at all.

use std::fmt;

use super::api_error::{Service, clip};
use crate::retry::Failure;
use crate::tenant::TenantId;

/// What kind of transport failure it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportKind {
    /// The request or the response took longer than the timeout.
    Timeout,
    /// The connection could not be made (refused, DNS, TLS).
    Connect,
    /// The connection broke while sending or receiving.
    Reset,
    /// Anything else (for example an invalid request).
    Other,
}

/// No usable HTTP response. The message never holds a URL.
#[derive(Debug, Clone)]
pub struct TransportError {
    tenant: Option<TenantId>,
    service: Service,
    kind: TransportKind,
    message: String,
    attempts: u32,
}

impl TransportError {
    /// Wraps a reqwest error, dropping its URL (which may carry a query).
    pub fn from_reqwest(service: Service, tenant: Option<&TenantId>, err: reqwest::Error) -> Self {
        let kind = if err.is_timeout() {
            TransportKind::Timeout
        } else if err.is_connect() {
            TransportKind::Connect
        } else if err.is_request() || err.is_body() {
            TransportKind::Reset
        } else {
            TransportKind::Other
        };
        let err = err.without_url();
        let mut message = err.to_string();
        let mut source = std::error::Error::source(&err);
        while let Some(s) = source {
            message.push_str(": ");
            message.push_str(&s.to_string());
            source = s.source();
        }
        TransportError {
            tenant: tenant.cloned(),
            service,
            kind,
            message: clip(&message, 500),
            attempts: 1,
        }
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

    /// The service that was called.
    pub fn service(&self) -> Service {
        self.service
    }

    /// What kind of failure it was.
    pub fn kind(&self) -> TransportKind {
        self.kind
    }

    /// Whether trying again may help (timeouts, refused or reset connections).
    pub fn is_retryable(&self) -> bool {
        self.as_failure().is_some()
    }

    /// This error as the retry policy sees it (`None`: not retryable).
    pub fn as_failure(&self) -> Option<Failure> {
        match self.kind {
            TransportKind::Timeout => Some(Failure::Timeout),
            TransportKind::Connect | TransportKind::Reset => Some(Failure::Connection),
            TransportKind::Other => None,
        }
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            TransportKind::Timeout => "timed out",
            TransportKind::Connect => "could not connect",
            TransportKind::Reset => "connection broke",
            TransportKind::Other => "failed",
        };
        write!(f, "{} call {what}", self.service)?;
        if let Some(t) = &self.tenant {
            write!(f, " for tenant {t}")?;
        }
        write!(f, ": {}", self.message)?;
        if self.attempts > 1 {
            write!(f, "; gave up after {} attempts", self.attempts)?;
        }
        Ok(())
    }
}

impl std::error::Error for TransportError {}
