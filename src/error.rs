//! The crate's one error type.

use crate::models::{MalformedAlert, PageError};

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
}

impl Error {
    /// Whether the same call may succeed if tried again later.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Config(_)
            | Error::Page(_)
            | Error::MalformedAlert(_)
            | Error::Checkpoint { .. } => false,
            Error::Sink(e) => e.is_retryable(),
            Error::Io { source, .. } => matches!(
                source.kind(),
                std::io::ErrorKind::Interrupted
                    | std::io::ErrorKind::TimedOut
                    | std::io::ErrorKind::WouldBlock
            ),
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
