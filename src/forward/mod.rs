//! The forwarder: incremental, multi-tenant polling with per-(tenant, sink)
//! checkpoints.
//!
//! Each poll of a tenant asks for `lastUpdateTime ge (checkpoint − overlap)`
//! with evidence, across all pages, and drops the versions each sink already
//! has (the `(id, lastUpdateTime)` pairs kept with its checkpoint). Every new
//! version goes to the sinks; an alert updated later is delivered again, as
//! a new version; an unchanged alert is never delivered twice.
//!
//! Guarantees:
//!
//! * **Nothing is lost.** A checkpoint moves only after its sink
//!   acknowledged every version up to it, and only at the end of a poll that
//!   read the whole result set (the API gives no order), and never past
//!   the moment that poll started, so a late version that turned up
//!   while a long poll paged is read by the next one. After a crash, a
//!   restart resumes from the checkpoints.
//! * **Duplicates are bounded** by one batch per (tenant, sink) and crash.
//! * **Partial acknowledgement.** When a sink took only a prefix of a batch
//!   ([`SinkError::accepted`](crate::sink::SinkError::accepted)), that
//!   prefix is recorded as delivered (and saved) at once and only the rest
//!   is retried. The forwarder is the one place that retries a sink
//!   ([`Delivery`](crate::sink::Delivery)); sinks make one attempt.
//! * **A sink that is down is found once.** Every sink has one
//!   [`Breaker`] shared by all tenants: once a
//!   delivery gives up on a down sink, the other tenants' deliveries to it
//!   are refused at once (their checkpoints stay), and each new poll
//!   probes it with one delivery before the others follow.
//! * **Shutdown is prompt.** The shutdown signal ends every retry wait and
//!   every `Retry-After` sleep at once (fetching or delivering); what was
//!   acknowledged stays acknowledged, and the report says the poll was
//!   interrupted ([`CycleReport::interrupted`]).
//! * **Isolation.** A failing sink is retried with back-off and then left
//!   for the next poll, while the other sinks go on; a failing tenant (bad
//!   credentials, throttled, API down) never stops the others, and its
//!   status names the AADSTS or Defender code.
//! * **Nothing unreadable is lost either.** An alert that cannot be read
//!   into its model (a number out of range, nesting too deep, bytes that
//!   are not UTF-8) is written to a durable quarantine file before the poll
//!   goes on, handed as its raw JSON to every sink whose format carries raw
//!   JSON, and reported ([`TenantReport::quarantined`]); a rerun does not
//!   quarantine or send it again. See [`ForwarderBuilder::quarantine_file`].
//! * **Bounded memory**: one batch per tenant being polled, plus each
//!   pair's overlap window.
//!
//! ```no_run
//! # async fn run(client: defender_siem::client::DefenderClient,
//! #              sink: std::sync::Arc<dyn defender_siem::sink::AlertSink>) -> defender_siem::Result<()> {
//! use std::sync::Arc;
//! use std::time::Duration;
//! use defender_siem::checkpoint::FileCheckpointStore;
//! use defender_siem::forward::Forwarder;
//! use defender_siem::{TenantId, TenantInfo};
//!
//! let forwarder = Forwarder::builder()
//!     .source(Arc::new(client))
//!     .tenant(TenantInfo::new(TenantId::new("contoso.onmicrosoft.com")?, "Contoso"))
//!     .sink(sink)
//!     .checkpoint_store(Arc::new(FileCheckpointStore::new("./checkpoints")?))
//!     .poll_interval(Duration::from_secs(60))
//!     .build()?;
//! let report = forwarder.run_once().await;
//! println!("forwarded {} alert versions", report.forwarded());
//! # Ok(()) }
//! ```

mod builder;
mod cycle;
mod pin;
mod quarantine;
mod source;
mod status;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use futures_util::stream;
use tracing::info;

use crate::checkpoint::CheckpointStore;
use crate::models::{MalformedAlert, Timestamp};
use crate::retry::{Cancel, RetryPolicy};
use crate::sink::{AlertSink, Breaker};
use crate::tenant::{TenantId, TenantInfo};

pub use builder::ForwarderBuilder;
pub use quarantine::QuarantinedAlert;
pub use source::{AlertSource, SourceStream, TenantFuture};
pub use status::MAX_NAMED_QUARANTINED;
pub use status::{CycleReport, SinkReport, SinkStatus, StatusError, TenantReport, TenantStatus};

type MalformedHook = Arc<dyn Fn(&TenantInfo, &MalformedAlert) + Send + Sync>;

/// Timings and sizes, all checked by the builder.
#[derive(Debug, Clone)]
struct Settings {
    poll_interval: Duration,
    overlap: Duration,
    page_size: u32,
    batch_size: usize,
    tenant_concurrency: usize,
    start_from: Option<Timestamp>,
    initial_lookback: Duration,
    retry: RetryPolicy,
    breaker_cooldown: Duration,
}

/// Polls tenants and feeds sinks. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct Forwarder {
    inner: Arc<Inner>,
}

struct Inner {
    source: Arc<dyn AlertSource>,
    tenants: Vec<Arc<TenantInfo>>,
    sinks: Vec<Arc<dyn AlertSink>>,
    /// One per sink, in the same order, shared by every tenant.
    breakers: Vec<Breaker>,
    store: Arc<dyn CheckpointStore>,
    settings: Settings,
    on_malformed: Option<MalformedHook>,
    /// Where alerts that cannot be read are kept.
    quarantine: quarantine::Quarantine,
    status: Mutex<BTreeMap<TenantId, TenantStatus>>,
    shutdown: Cancel,
    started: DateTime<Utc>,
}

impl std::fmt::Debug for Forwarder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Forwarder")
            .field("tenants", &self.inner.tenants.len())
            .field(
                "sinks",
                &self
                    .inner
                    .sinks
                    .iter()
                    .map(|s| s.name())
                    .collect::<Vec<_>>(),
            )
            .field("settings", &self.inner.settings)
            .finish_non_exhaustive()
    }
}

impl Forwarder {
    /// Starts a [`ForwarderBuilder`].
    pub fn builder() -> ForwarderBuilder {
        ForwarderBuilder::default()
    }

    /// Polls every tenant once, catching each up completely, and reports.
    /// Each sink whose breaker is open is probed first (see the module docs).
    pub async fn run_once(&self) -> CycleReport {
        let inner = &self.inner;
        for breaker in &inner.breakers {
            breaker.allow_probe();
        }
        let mut reports: Vec<(usize, TenantReport)> =
            stream::iter(inner.tenants.iter().cloned().enumerate())
                .map(|(i, tenant)| async move { (i, inner.poll_tenant(tenant).await) })
                .buffer_unordered(inner.settings.tenant_concurrency)
                .collect()
                .await;
        reports.sort_by_key(|(i, _)| *i);
        CycleReport {
            tenants: reports.into_iter().map(|(_, r)| r).collect(),
        }
    }

    /// Polls every [`ForwarderBuilder::poll_interval`] until `shutdown`
    /// completes. A poll under way when it does stops at once: fetches and
    /// retry waits are abandoned, requests already sent finish, and every
    /// acknowledged batch keeps its checkpoint, so nothing is lost. Returns
    /// the report of the last poll, [`interrupted`](CycleReport::interrupted)
    /// when shutdown cut it short.
    pub async fn run(&self, shutdown: impl Future<Output = ()> + Send) -> CycleReport {
        tokio::pin!(shutdown);
        let mut last;
        loop {
            let poll = self.run_once();
            tokio::pin!(poll);
            tokio::select! {
                report = &mut poll => last = report,
                () = self.inner.shutdown.cancelled() => return poll.await,
                () = &mut shutdown => {
                    info!("shutting down: waits are cancelled, requests under way finish");
                    self.shutdown();
                    return poll.await;
                }
            }
            tokio::select! {
                () = tokio::time::sleep(self.inner.settings.poll_interval) => {}
                () = self.inner.shutdown.cancelled() => return last,
                () = &mut shutdown => {
                    self.shutdown();
                    return last;
                }
            }
        }
    }

    /// Stops the forwarder: a poll under way ends as soon as the requests
    /// already sent have answered (every retry wait ends at once), and no
    /// new poll starts. Also what [`Forwarder::run`] calls when its
    /// shutdown future completes.
    pub fn shutdown(&self) {
        self.inner.shutdown.cancel();
    }

    /// A snapshot of every tenant's status, in configuration order.
    pub fn status(&self) -> Vec<TenantStatus> {
        let Ok(board) = self.inner.status.lock() else {
            return Vec::new();
        };
        self.inner
            .tenants
            .iter()
            .filter_map(|t| board.get(&t.id).cloned())
            .map(|mut s| {
                let now = Utc::now();
                for sink in s.sinks.values_mut() {
                    sink.lag = sink
                        .watermark
                        .and_then(|w| (now - w.as_datetime()).to_std().ok());
                }
                s
            })
            .collect()
    }
}

impl Inner {
    fn overlap(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.settings.overlap).unwrap_or(chrono::Duration::zero())
    }

    fn default_start(&self) -> Timestamp {
        self.settings.start_from.unwrap_or_else(|| {
            let lookback = chrono::Duration::from_std(self.settings.initial_lookback)
                .unwrap_or(chrono::Duration::zero());
            Timestamp::from_datetime(self.started - lookback)
        })
    }

    pub(super) fn is_stopping(&self) -> bool {
        self.shutdown.is_cancelled()
    }

    fn record_status(
        &self,
        tenant: &TenantInfo,
        runs: &[cycle::RunSummary<'_>],
        broken: &[(String, StatusError)],
        report: &TenantReport,
        now: DateTime<Utc>,
    ) {
        let Ok(mut board) = self.status.lock() else {
            return;
        };
        let Some(status) = board.get_mut(&tenant.id) else {
            return;
        };
        status.last_poll = Some(now);
        status.fetched += report.fetched;
        status.malformed += report.malformed;
        status.foreign_tenant += report.foreign_tenant;
        status.quarantined += report.quarantined;
        status.outside_window += report.outside_window;
        status.last_error = report.error.clone();
        for run in runs {
            let entry = status.sinks.entry(run.name.to_owned()).or_default();
            entry.forwarded += run.forwarded;
            entry.duplicates_dropped += run.duplicates;
            entry.filtered_out += run.filtered_out;
            entry.watermark = run.watermark;
            match run.error {
                Some(e) => entry.last_error = Some(e.clone()),
                None => {
                    entry.last_error = None;
                    entry.last_success = Some(now);
                }
            }
        }
        for (name, error) in broken {
            status.sinks.entry(name.clone()).or_default().last_error = Some(error.clone());
        }
    }
}
