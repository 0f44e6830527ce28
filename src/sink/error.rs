//! [`SinkError`]: why a sink did not accept a batch.

use std::fmt;
use std::time::Duration;

/// What kind of failure a [`SinkError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SinkErrorKind {
    /// The sink is configured wrongly (bad URL, bad certificate, …).
    Config,
    /// The connection could not be made or broke.
    Connection,
    /// The backend did not answer in time.
    Timeout,
    /// The backend answered and refused the batch (see
    /// [`SinkError::status`] and [`SinkError::code`]).
    Rejected,
    /// The backend took the data but did not confirm it was stored
    /// (Splunk indexer acknowledgement timed out).
    Unconfirmed,
    /// Credentials could not be obtained or were refused.
    Auth,
    /// A local file or stream could not be written.
    Io,
    /// Some sinks of a [`Fanout`](super::Fanout) failed.
    Partial,
    /// A failure injected by [`MemorySink`](super::MemorySink).
    Injected,
}

/// Why a sink did not accept a batch, and how much of it is durable anyway.
///
/// [`SinkError::accepted`] is the length of the prefix of the batch that
/// the backend did accept (0 unless the sink says otherwise): the caller
/// counts that prefix as delivered and sends only the rest again.
///
/// Ask it questions: [`SinkError::is_retryable`] says whether sending the
/// rest of the batch again may succeed, [`SinkError::retry_after`] carries the
/// backend's `Retry-After`, [`SinkError::status`] and [`SinkError::code`]
/// the HTTP status and the backend's own code (Splunk HEC `code`). The
/// message names the sink; it never holds a token, a secret or a URL query
/// string.
pub struct SinkError {
    inner: Box<Inner>,
}

struct Inner {
    sink: String,
    endpoint: Option<String>,
    accepted: usize,
    kind: SinkErrorKind,
    message: String,
    retryable: bool,
    retry_after: Option<Duration>,
    status: Option<u16>,
    code: Option<i64>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl SinkError {
    /// A new error of `kind` from sink `sink`.
    pub fn new(
        sink: impl Into<String>,
        kind: SinkErrorKind,
        retryable: bool,
        message: impl Into<String>,
    ) -> Self {
        SinkError {
            inner: Box::new(Inner {
                sink: sink.into(),
                endpoint: None,
                accepted: 0,
                kind,
                message: message.into(),
                retryable,
                retry_after: None,
                status: None,
                code: None,
                source: None,
            }),
        }
    }

    /// A configuration error (never retryable).
    pub fn config(sink: impl Into<String>, message: impl Into<String>) -> Self {
        SinkError::new(sink, SinkErrorKind::Config, false, message)
    }

    /// A connection error (retryable).
    pub fn connection(sink: impl Into<String>, message: impl Into<String>) -> Self {
        SinkError::new(sink, SinkErrorKind::Connection, true, message)
    }

    /// A local I/O error; retryable unless the error kind says otherwise.
    pub fn io(sink: impl Into<String>, what: &str, source: std::io::Error) -> Self {
        use std::io::ErrorKind as K;
        let retryable = !matches!(
            source.kind(),
            K::PermissionDenied | K::NotFound | K::InvalidInput | K::Unsupported
        );
        SinkError::new(
            sink,
            SinkErrorKind::Io,
            retryable,
            format!("{what}: {source}"),
        )
        .with_source(source)
    }

    /// Sets the HTTP status.
    #[must_use]
    pub fn with_status(mut self, status: u16) -> Self {
        self.inner.status = Some(status);
        self
    }

    /// Sets the backend's own error code.
    #[must_use]
    pub fn with_code(mut self, code: i64) -> Self {
        self.inner.code = Some(code);
        self
    }

    /// Sets the backend's `Retry-After`.
    #[must_use]
    pub fn with_retry_after(mut self, wait: Option<Duration>) -> Self {
        self.inner.retry_after = wait;
        self
    }

    /// Sets how many records at the start of the batch the backend
    /// accepted despite this error.
    #[must_use]
    pub fn with_accepted(mut self, accepted: usize) -> Self {
        self.inner.accepted = accepted;
        self
    }

    /// Names the host (and port, or file) the sink talks to, for messages.
    #[must_use]
    pub fn at(mut self, endpoint: impl Into<String>) -> Self {
        self.inner.endpoint = Some(endpoint.into());
        self
    }

    /// The same error under the sink name `name` (the configured name: a
    /// [`Named`](super::Named) sink renames the errors of the sink inside).
    /// The former name is kept in the message when it differs.
    #[must_use]
    pub fn renamed(mut self, name: &str) -> Self {
        if self.inner.sink != name {
            let kind = std::mem::replace(&mut self.inner.sink, name.to_owned());
            self.inner.endpoint = Some(match self.inner.endpoint.take() {
                Some(at) => format!("{kind} at {at}"),
                None => kind,
            });
        }
        self
    }

    /// Sets the underlying error.
    #[must_use]
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.inner.source = Some(Box::new(source));
        self
    }

    /// The name of the sink that failed.
    pub fn sink(&self) -> &str {
        &self.inner.sink
    }

    /// The host (or file) the sink talks to, when it said.
    pub fn endpoint(&self) -> Option<&str> {
        self.inner.endpoint.as_deref()
    }

    /// How many records at the start of the batch are durable despite the
    /// error.
    pub fn accepted(&self) -> usize {
        self.inner.accepted
    }

    /// The failure as the [retry policy](crate::retry) sees it, or `None`
    /// when sending again cannot help.
    pub fn failure(&self) -> Option<crate::retry::Failure> {
        use crate::retry::Failure;
        if !self.inner.retryable {
            return None;
        }
        let retry_after = self.inner.retry_after;
        Some(match (self.inner.status, self.inner.kind) {
            (Some(status), _) => Failure::Status {
                status,
                retry_after,
            },
            (None, SinkErrorKind::Timeout) => Failure::Timeout,
            (None, SinkErrorKind::Connection) if retry_after.is_none() => Failure::Connection,
            (None, _) => Failure::Transient { retry_after },
        })
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> SinkErrorKind {
        self.inner.kind
    }

    /// Whether sending the same batch again later may succeed.
    pub fn is_retryable(&self) -> bool {
        self.inner.retryable
    }

    /// How long the backend asked to wait before trying again.
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// The HTTP status the backend answered with, if any.
    pub fn status(&self) -> Option<u16> {
        self.inner.status
    }

    /// The backend's own code (Splunk HEC `code`), if any.
    pub fn code(&self) -> Option<i64> {
        self.inner.code
    }

    /// What went wrong, in words, with the fix where one is known.
    pub fn message(&self) -> &str {
        &self.inner.message
    }
}

impl fmt::Display for SinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner.endpoint {
            Some(at) => write!(
                f,
                "sink `{}` ({at}): {}",
                self.inner.sink, self.inner.message
            )?,
            None => write!(f, "sink `{}`: {}", self.inner.sink, self.inner.message)?,
        }
        match (self.inner.status, self.inner.code) {
            (Some(s), Some(c)) => write!(f, " (HTTP {s}, code {c})"),
            (Some(s), None) => write!(f, " (HTTP {s})"),
            (None, Some(c)) => write!(f, " (code {c})"),
            (None, None) => Ok(()),
        }
    }
}

impl fmt::Debug for SinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SinkError")
            .field("sink", &self.inner.sink)
            .field("endpoint", &self.inner.endpoint)
            .field("accepted", &self.inner.accepted)
            .field("kind", &self.inner.kind)
            .field("retryable", &self.inner.retryable)
            .field("retry_after", &self.inner.retry_after)
            .field("status", &self.inner.status)
            .field("code", &self.inner.code)
            .field("message", &self.inner.message)
            .finish()
    }
}

impl std::error::Error for SinkError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_pointer_sized_send_and_sync() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<SinkError>();
        assert_eq!(
            std::mem::size_of::<SinkError>(),
            std::mem::size_of::<usize>()
        );
    }

    #[test]
    fn display_names_sink_status_and_code() {
        let e = SinkError::new(
            "splunk_hec",
            SinkErrorKind::Rejected,
            false,
            "Invalid token",
        )
        .with_status(403)
        .with_code(4);
        assert_eq!(
            e.to_string(),
            "sink `splunk_hec`: Invalid token (HTTP 403, code 4)"
        );
        assert!(!e.is_retryable());
        assert_eq!(e.code(), Some(4));
        assert_eq!(e.failure(), None);
    }

    #[test]
    fn renamed_keeps_the_type_and_host() {
        let e = SinkError::connection("splunk_hec", "connection refused")
            .at("splunk.example:8088")
            .with_accepted(3)
            .renamed("soc-prod");
        assert_eq!(
            e.to_string(),
            "sink `soc-prod` (splunk_hec at splunk.example:8088): connection refused"
        );
        assert_eq!(e.accepted(), 3);
        assert_eq!(e.failure(), Some(crate::retry::Failure::Connection));
    }
}
