//! Splunk HTTP Event Collector sink (feature `splunk`).
//!
//! POSTs batches of concatenated event envelopes to
//! `/services/collector/event` with `Authorization: Splunk <token>`. Each
//! envelope ([`HecEnvelope`](crate::format::HecEnvelope)) carries the
//! alert's raw JSON unchanged in `event`, `time` from `lastUpdateTime`,
//! `host` from `computerDnsName` and the tenant in `fields`.
//!
//! * **Batches** are bounded by bytes (default 1,000,000, uncompressed) and
//!   by events (default 10,000); gzip is optional.
//! * **One attempt per request**: the sink never retries; the caller does
//!   ([`sink::deliver`](crate::sink::deliver), the forwarder). Every HEC
//!   code is mapped to retryable or permanent with its text and what to fix
//!   ([`hec_code`]); 429 and 5xx (except 501) are retryable and carry the
//!   status and `Retry-After`; 413 splits the batch (not a retry). A failed
//!   `send` reports in [`SinkError::accepted`](crate::sink::SinkError::accepted)
//!   the records of the requests before the failed one, which Splunk took,
//!   so the caller sends only the rest again.
//! * **`invalid-event-number`**: a 400 naming event *n* means Splunk indexed
//!   the events before *n* and refused *n*. The sink sends the events after
//!   *n* on their own and, by default ([`InvalidEvents::SetAside`]), sets
//!   event *n* aside: it is logged at error level with its tenant and alert
//!   id, counted, and kept for [`SplunkHecSink::take_set_aside`] (at most
//!   [`DEFAULT_KEEP_SET_ASIDE`] by default, the oldest dropped first and
//!   counted in [`SplunkHecSink::set_aside_dropped`]), and the
//!   batch counts as delivered, so one alert Splunk will never take does not
//!   stop its tenant forever. [`InvalidEvents::Fail`] instead fails the
//!   batch permanently at event *n*: the events before it are accepted, the
//!   events after it are not sent.
//! * **Indexer acknowledgement** (optional): every request carries the
//!   sink's channel GUID (`X-Splunk-Request-Channel`); with acks on, a batch
//!   counts as delivered only once `/services/collector/ack` reports its
//!   `ackId` true. The sink polls until every ack id is true or the ack
//!   timeout passes, and then fails retryably with
//!   [`SinkErrorKind::Unconfirmed`](crate::sink::SinkErrorKind::Unconfirmed):
//!   accepted is the start of the first unconfirmed request, and the caller
//!   sends the rest again (Splunk may then index some of it twice).
//! * **Health**: `GET /services/collector/health` (code 17 = healthy).
//! * **TLS**: rustls with the web PKI roots plus an optional extra CA;
//!   verification can only be turned off with the explicitly named
//!   `danger_accept_invalid_certs`, which logs a warning.
//! * **HTTP**: the client is built by [`crate::transport::HttpSettings`]
//!   (`SplunkHecBuilder::http`): 60 s per request by default, redirects
//!   refused, and no proxy unless one is set (`HTTPS_PROXY` is ignored).
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use defender_siem::sink::AlertSink;
//! use defender_siem::sink::splunk_hec::{IndexerAck, SplunkHecSink};
//!
//! let sink = SplunkHecSink::builder("https://splunk.example.com:8088", "61876693-4758-4f45-bca7-c910ccc746eb")
//!     .index("edr")
//!     .gzip(true)
//!     .indexer_ack(IndexerAck::default().poll_interval(Duration::from_secs(5)))
//!     .build()?;
//! sink.health().await?;
//! # let batch = [];
//! sink.send(&batch).await?;
//! # Ok(()) }
//! ```

mod ack;
mod codes;
mod config;
mod encode;
mod sink;

pub use codes::{HecCode, hec_code};
pub use config::{
    DEFAULT_KEEP_SET_ASIDE, IndexerAck, InvalidEvents, SplunkHecBuilder, SplunkHecSettings,
};
pub use encode::{HecBatch, encode_batches, encode_batches_reusing};
pub use sink::{SetAside, SplunkHecSink};

/// `body` in a gzip container, as the sinks send it.
pub use crate::sink::http::gzip;
