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

mod breaker;
mod delivery;
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
mod batch;
#[cfg(any(feature = "splunk", feature = "sentinel"))]
mod http;

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;

/// The record every sink receives; it lives in [`crate::record`] (beneath
/// both the encoders and the sinks) and is re-exported here.
pub use crate::record::AlertRecord;
pub use breaker::{Admission, Breaker};
pub use delivery::{Delivery, Step, deliver};
pub use error::{SinkError, SinkErrorKind};
pub use fanout::Fanout;
pub use file::{FileSink, FileSinkBuilder, FileSinkSettings, StdoutSink};
pub use filter::{Filter, Filtered};
pub use memory::{InjectedFailure, MemorySink};
pub use named::Named;

/// Somewhere alerts can be delivered. Object safe: use it as
/// `Arc<dyn AlertSink>`.
///
/// **The delivery contract.** A sink makes one attempt per request and
/// never retries a failure itself: the one retry owner is the caller,
/// [`Forwarder`](crate::forward::Forwarder) (or [`deliver`] for code that
/// uses a sink on its own), which retries under its
/// [`RetryPolicy`](crate::retry::RetryPolicy), honours `Retry-After`, stops
/// every wait on shutdown and opens a [`Breaker`] shared by all tenants when
/// the sink is down. `send` returns `Ok` only once the backend accepted every
/// record; an `Err` says, in [`SinkError::accepted`], how long a prefix of the
/// batch is durable anyway, and the caller sends only the rest again. Sinks
/// may split a batch into several requests, handle a 413 by splitting, and
/// refresh a refused token once: none of that is a retry.
///
/// A sink of your own implements it with the [`async_trait`](crate::async_trait)
/// attribute, which the crate re-exports, so no extra dependency is needed:
///
/// ```
/// use std::sync::Mutex;
///
/// use defender_siem::async_trait;
/// use defender_siem::sink::{AlertRecord, AlertSink, SinkError};
///
/// /// Keeps the ids of the alerts it was sent, as a stand-in for a database.
/// #[derive(Debug, Default)]
/// struct IdLog {
///     ids: Mutex<Vec<String>>,
/// }
///
/// #[async_trait]
/// impl AlertSink for IdLog {
///     fn name(&self) -> &str {
///         "id-log"
///     }
///
///     async fn send(&self, batch: &[AlertRecord]) -> Result<(), SinkError> {
///         let mut ids = self
///             .ids
///             .lock()
///             .map_err(|_| SinkError::config("id-log", "the lock was poisoned"))?;
///         ids.extend(batch.iter().filter_map(|r| r.alert.id.clone()));
///         Ok(())
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), SinkError> {
/// # use std::sync::Arc;
/// # use defender_siem::{TenantId, TenantInfo};
/// let sink: Arc<dyn AlertSink> = Arc::new(IdLog::default());
/// let tenant = Arc::new(TenantInfo::new(TenantId::new("contoso.com").unwrap(), "Contoso"));
/// let record = AlertRecord::from_json(tenant, r#"{"id":"da1","severity":"High"}"#).unwrap();
/// sink.send(&[record]).await?;
/// sink.flush().await?;
/// # Ok(()) }
/// ```
#[async_trait]
pub trait AlertSink: Send + Sync + Debug {
    /// A short name for logs and errors, such as `splunk_hec`.
    fn name(&self) -> &str;

    /// Whether this sink wants `record` at all (default: yes). The
    /// forwarder sends only records a sink accepts and reports the others
    /// as filtered out; they count as delivered for the checkpoint.
    fn accepts(&self, record: &AlertRecord) -> bool {
        let _ = record;
        true
    }

    /// Delivers one batch, one attempt per request. `Ok` only once the
    /// backend has accepted every record; otherwise the error's
    /// [`SinkError::accepted`] is the durable prefix.
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
    fn accepts(&self, record: &AlertRecord) -> bool {
        (**self).accepts(record)
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
    fn accepts(&self, record: &AlertRecord) -> bool {
        (**self).accepts(record)
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
