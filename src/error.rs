//! The crate's one error type.

use std::time::Duration;

use crate::auth::EntraError;
use crate::models::{MalformedAlert, PageError};
use crate::tenant::TenantId;
use crate::transport::{ApiError, TransportError};

/// A `Result` with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in this crate.
///
/// Ask it questions rather than matching on its text: [`Error::is_retryable`]
/// says whether trying again can help. No variant ever holds a secret or a
/// URL query string.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration value is missing or invalid.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A page of alerts could not be read at all.
    #[error(transparent)]
    Page(#[from] PageError),
    /// One alert could not be read into its typed view.
    #[error(transparent)]
    MalformedAlert(#[from] Box<MalformedAlert>),
    /// A checkpoint could not be loaded or saved. The forwarder stops that
    /// (tenant, sink) pair rather than start it over.
    #[error("checkpoint of {key}: {message}")]
    Checkpoint {
        /// Which checkpoint (tenant and sink).
        key: String,
        /// What went wrong, naming the file where there is one.
        message: String,
    },
    /// A sink did not accept a batch; ask it
    /// [`SinkError::is_retryable`](crate::sink::SinkError::is_retryable).
    #[error(transparent)]
    Sink(#[from] crate::sink::SinkError),
    /// Reading or writing a local file failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done, naming the file.
        what: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Entra ID refused to issue a token. Keeps the AADSTS code(s) and an
    /// explanation of cause and fix from [`crate::auth::aadsts`].
    #[error(transparent)]
    Entra(Box<EntraError>),
    /// The Defender or Graph API answered with an error status. Keeps the
    /// API's `code`, `message` and `target`.
    #[error(transparent)]
    Api(Box<ApiError>),
    /// A server's answer broke the API's rules (for example a next-page
    /// link to another host, which is never followed).
    #[error("unexpected answer: {0}")]
    Protocol(String),
    /// No usable HTTP response: timeout, refused or reset connection, TLS
    /// failure. Never holds a URL query string.
    #[error(transparent)]
    Transport(Box<TransportError>),
    /// A token for `tenant` was issued by another tenant (its `tid` claim),
    /// so nothing is fetched with it: the tenant's domain may have moved
    /// to another owner, or a token provider served one tenant's token for
    /// another.
    #[error(
        "tenant {tenant}: the token was issued by tenant {token_tenant}, not by the pinned tenant {expected}; \
         nothing is fetched for it (has the domain changed owner, or does a token provider serve another tenant's token?)"
    )]
    WrongTenant {
        /// The tenant as configured (a GUID or a domain).
        tenant: TenantId,
        /// The tenant GUID it is pinned to.
        expected: String,
        /// The `tid` claim of the token that was refused.
        token_tenant: String,
    },
    /// A server made a tenant's poll go past one of the client's
    /// [`Limits`](crate::client::Limits) (bytes per response, pages or
    /// retry waiting per poll). Names the tenant, the limit and its setting.
    #[error(transparent)]
    Limit(Box<crate::client::LimitError>),
}

impl Error {
    /// Whether the same call may succeed if tried again later.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Config(_)
            | Error::Page(_)
            | Error::MalformedAlert(_)
            | Error::Checkpoint { .. }
            | Error::Protocol(_)
            | Error::WrongTenant { .. }
            | Error::Limit(_) => false,
            Error::Sink(e) => e.is_retryable(),
            Error::Io { source, .. } => matches!(
                source.kind(),
                std::io::ErrorKind::Interrupted
                    | std::io::ErrorKind::TimedOut
                    | std::io::ErrorKind::WouldBlock
            ),
            Error::Entra(e) => e.is_retryable(),
            Error::Api(e) => e.is_retryable(),
            Error::Transport(e) => e.is_retryable(),
        }
    }

    /// How long the server asked to wait before the next call (`Retry-After`).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Api(e) => e.retry_after(),
            _ => None,
        }
    }

    /// The HTTP status the server answered with, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Entra(e) => e.status(),
            Error::Api(e) => Some(e.status()),
            _ => None,
        }
    }

    /// The customer tenant the failed call was made for.
    pub fn tenant(&self) -> Option<&TenantId> {
        match self {
            Error::Entra(e) => Some(e.tenant()),
            Error::Api(e) => e.tenant(),
            Error::Transport(e) => e.tenant(),
            Error::WrongTenant { tenant, .. } => Some(tenant),
            Error::Limit(e) => Some(e.tenant()),
            _ => None,
        }
    }

    /// The first AADSTS code of an Entra error (for example `700016`).
    pub fn aadsts(&self) -> Option<u32> {
        match self {
            Error::Entra(e) => e.aadsts(),
            _ => None,
        }
    }

    /// Wraps an I/O error with what was being done.
    pub fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            what: what.into(),
            source,
        }
    }
}

impl From<EntraError> for Error {
    fn from(e: EntraError) -> Self {
        Error::Entra(Box::new(e))
    }
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Error::Api(Box::new(e))
    }
}

impl From<TransportError> for Error {
    fn from(e: TransportError) -> Self {
        Error::Transport(Box::new(e))
    }
}

impl From<crate::client::LimitError> for Error {
    fn from(e: crate::client::LimitError) -> Self {
        Error::Limit(Box::new(e))
    }
}

impl From<MalformedAlert> for Error {
    fn from(e: MalformedAlert) -> Self {
        Error::MalformedAlert(Box::new(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_send_sync_and_small() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<Error>();
        assert!(
            std::mem::size_of::<Error>() <= 80,
            "{}",
            std::mem::size_of::<Error>()
        );
    }
}
