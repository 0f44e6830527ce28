//! Sinks: where alerts go.
//!
//! Every sink implements [`AlertSink`]. A sink receives batches of
//! [`AlertRecord`]s and returns `Ok` only once its backend has accepted
//! every record of the batch, so a caller can advance its checkpoint on
//! `Ok` and lose nothing on `Err`. A [`SinkError`] says whether trying
//! again may help and carries the backend's `Retry-After`.
//!
//! | sink | feature | what it does |
//! |---|---|---|
//! | [`SplunkHecSink`](splunk_hec::SplunkHecSink) | `splunk` | Splunk HTTP Event Collector `/services/collector/event`: raw alert JSON in `event`, byte-bounded batches, optional gzip and indexer acknowledgement |
//! | [`SentinelSink`](sentinel::SentinelSink) | `sentinel` | Microsoft Sentinel / Azure Monitor Logs Ingestion API: rows of the `DefenderAlerts_CL` table through a DCR, ≤ 1 MiB chunks, gzip |
//! | [`SyslogSink`](syslog::SyslogSink) | `syslog` | syslog over UDP, TCP or TLS; RFC 5424 or RFC 3164; JSON, CEF or LEEF payload; octet-counting or LF framing |
//! | [`FileSink`] | always | JSON lines (or any [`Format`](crate::format::Format)) appended to a file; fsync on flush; rotation by size |
//! | [`StdoutSink`] | always | one line per alert on standard output |
//! | [`MemorySink`] | always | records what it got and fails on command; for tests |
//! | [`Filtered`] | always | wraps any sink and forwards only the alerts a [`Filter`] lets through |
//! | [`Fanout`] | always | sends each batch to several sinks |
//!
//! ```
//! # async fn run() -> Result<(), defender_siem::sink::SinkError> {
//! use std::sync::Arc;
//! use defender_siem::models::Severity;
//! use defender_siem::sink::{AlertRecord, AlertSink, Filter, MemorySink};
//! use defender_siem::{TenantId, TenantInfo};
//!
//! let memory = MemorySink::new();
//! let sink = Filter::new().min_severity(Severity::Medium).wrap(memory.clone());
//! let tenant = Arc::new(TenantInfo::new(TenantId::new("contoso.com").unwrap(), "Contoso"));
//! let batch = [
//!     AlertRecord::from_json(tenant.clone(), r#"{"id":"a","severity":"High"}"#).unwrap(),
//!     AlertRecord::from_json(tenant, r#"{"id":"b","severity":"Low"}"#).unwrap(),
//! ];
//! sink.send(&batch).await?;
//! assert_eq!(memory.alert_ids(), ["a"]);
//! # Ok(()) }
//! ```

pub mod email;
mod error;
mod fanout;
mod file;
mod filter;
mod memory;
mod named;

#[cfg(feature = "sentinel")]
#[cfg_attr(docsrs, doc(cfg(feature = "sentinel")))]
pub mod sentinel;
#[cfg(feature = "splunk")]
#[cfg_attr(docsrs, doc(cfg(feature = "splunk")))]
pub mod splunk_hec;
#[cfg(feature = "syslog")]
#[cfg_attr(docsrs, doc(cfg(feature = "syslog")))]
pub mod syslog;

#[cfg(any(feature = "splunk", feature = "sentinel"))]
mod http;

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;

/// The record every sink receives; it lives in [`crate::record`] (beneath
/// both the encoders and the sinks) and is re-exported here.
pub use crate::record::AlertRecord;
pub use error::{SinkError, SinkErrorKind};
pub use fanout::Fanout;
pub use file::{FileSink, FileSinkBuilder, FileSinkSettings, StdoutSink};
pub use filter::{Filter, Filtered};
pub use memory::{InjectedFailure, MemorySink};
pub use named::Named;

/// Somewhere alerts can be delivered. Object safe: use it as
/// `Arc<dyn AlertSink>`.
#[async_trait]
pub trait AlertSink: Send + Sync + Debug {
    /// A short name for logs and errors, such as `splunk_hec`.
    fn name(&self) -> &str;

    /// Delivers one batch. `Ok` only once the backend has accepted every
    /// record; implementations split oversized batches and retry retryable
    /// failures themselves before giving up.
    async fn send(&self, batch: &[AlertRecord]) -> Result<(), SinkError>;

    /// A cheap check that the backend is reachable and the credentials work.
    async fn health(&self) -> Result<(), SinkError> {
        Ok(())
    }

    /// Makes everything sent so far durable (fsync, flush buffers).
    async fn flush(&self) -> Result<(), SinkError> {
        Ok(())
    }
}

#[async_trait]
impl<T: AlertSink + ?Sized> AlertSink for Arc<T> {
    fn name(&self) -> &str {
        (**self).name()
    }
    async fn send(&self, batch: &[AlertRecord]) -> Result<(), SinkError> {
        (**self).send(batch).await
    }
    async fn health(&self) -> Result<(), SinkError> {
        (**self).health().await
    }
    async fn flush(&self) -> Result<(), SinkError> {
        (**self).flush().await
    }
}

#[async_trait]
impl<T: AlertSink + ?Sized> AlertSink for Box<T> {
    fn name(&self) -> &str {
        (**self).name()
    }
    async fn send(&self, batch: &[AlertRecord]) -> Result<(), SinkError> {
        (**self).send(batch).await
    }
    async fn health(&self) -> Result<(), SinkError> {
        (**self).health().await
    }
    async fn flush(&self) -> Result<(), SinkError> {
        (**self).flush().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trait_is_object_safe_and_futures_are_send() {
        fn assert_send<T: Send>(_: &T) {}
        let sink: Arc<dyn AlertSink> = Arc::new(MemorySink::new());
        let fut = sink.send(&[]);
        assert_send(&fut);
    }
}
