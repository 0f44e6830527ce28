//! Microsoft Sentinel sink (feature `sentinel`): the Azure Monitor Logs
//! Ingestion API, which replaces the HTTP Data Collector API retired on
//! 2026-09-14.
//!
//! POSTs JSON arrays of [`DefenderAlerts_CL` rows](crate::format::sentinel)
//! to `{endpoint}/dataCollectionRules/{dcrImmutableId}/streams/{streamName}?api-version=2023-01-01`
//! with a bearer token from a [`TokenProvider`](crate::auth::TokenProvider)
//! (scope `https://monitor.azure.com//.default`; `https://monitor.azure.us//.default`
//! for US Government, `https://monitor.azure.cn//.default` for Azure China).
//!
//! * **Chunks** hold at most 1 MiB of uncompressed JSON (brackets and commas
//!   counted), as Microsoft's own client chunks; gzip is on by default.
//! * **204** is success. **413** splits the chunk in two and sends both
//!   halves; **429** and 5xx are retryable errors carrying the status and
//!   `Retry-After` (the sink makes one attempt per request; the caller,
//!   [`sink::deliver`](crate::sink::deliver) or the forwarder, retries, and
//!   [`SinkError::accepted`](crate::sink::SinkError::accepted) counts the
//!   rows of the chunks before the failed one, so only the rest is sent
//!   again); **401** drops the cached token and tries once more, then names the fix
//!   (scope and cloud); **403** names the missing "Monitoring Metrics
//!   Publisher" role on the DCR; **404** the DCR id or stream name.
//! * **HTTP**: the client is built by [`crate::transport::HttpSettings`]
//!   (`SentinelBuilder::http`): 60 s per request by default, redirects
//!   refused, and no proxy unless one is set (`HTTPS_PROXY` is ignored).
//! * The table schema and the DCR are in `examples/sentinel/`, ready to
//!   deploy, with a short guide.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use defender_siem::auth::StaticTokenProvider;
//! use defender_siem::sink::AlertSink;
//! use defender_siem::sink::sentinel::SentinelSink;
//! use defender_siem::TenantId;
//!
//! let tokens = Arc::new(StaticTokenProvider::new("token from your provider"));
//! let sink = SentinelSink::builder(
//!     "https://my-dce-5kyl.eastus-1.ingest.monitor.azure.com",
//!     "dcr-000a00a000a00000a000000aa000a0aa",
//!     "Custom-DefenderAlerts_CL",
//!     tokens,
//!     TenantId::new("mssp.onmicrosoft.com")?,
//! )
//! .build()?;
//! # let batch = [];
//! sink.send(&batch).await?;
//! # Ok(()) }
//! ```

mod config;
mod encode;
mod sink;

pub use config::{DEFAULT_SCOPE, SentinelBuilder, SentinelSettings};
pub use encode::{SentinelChunk, encode_chunks, encode_chunks_reusing};
pub use sink::SentinelSink;

/// `body` in a gzip container, as the sinks send it.
pub use crate::sink::http::gzip;
