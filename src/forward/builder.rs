//! [`ForwarderBuilder`]: tenants, sinks, checkpoint store and timings,
//! checked in [`ForwarderBuilder::build`].

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::quarantine::Quarantine;
use super::source::AlertSource;
use super::status::TenantStatus;
use super::{Forwarder, Inner, MalformedHook, Settings};
use crate::checkpoint::{CheckpointKey, CheckpointStore};
use crate::error::{Error, Result};
use crate::models::Timestamp;
use crate::retry::RetryPolicy;
use crate::sink::{AlertSink, Breaker};
use crate::tenant::TenantInfo;

/// The largest page the Defender alerts API serves.
const MAX_PAGE_SIZE: u32 = 10_000;

/// Builds a [`Forwarder`].
#[must_use]
pub struct ForwarderBuilder {
    source: Option<Arc<dyn AlertSource>>,
    tenants: Vec<Arc<TenantInfo>>,
    sinks: Vec<Arc<dyn AlertSink>>,
    store: Option<Arc<dyn CheckpointStore>>,
    settings: Settings,
    on_malformed: Option<MalformedHook>,
    quarantine_file: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for ForwarderBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ForwarderBuilder")
            .field("tenants", &self.tenants.len())
            .field(
                "sinks",
                &self.sinks.iter().map(|s| s.name()).collect::<Vec<_>>(),
            )
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Default for ForwarderBuilder {
    fn default() -> Self {
        ForwarderBuilder {
            source: None,
            tenants: Vec::new(),
            sinks: Vec::new(),
            store: None,
            settings: Settings {
                poll_interval: Duration::from_secs(60),
                overlap: Duration::from_secs(600),
                page_size: 1_000,
                batch_size: 500,
                tenant_concurrency: 8,
                start_from: None,
                initial_lookback: Duration::from_secs(24 * 3600),
                retry: RetryPolicy::default(),
                breaker_cooldown: Duration::from_secs(30),
            },
            on_malformed: None,
            quarantine_file: None,
        }
    }
}

impl ForwarderBuilder {
    /// Where alerts come from, usually a [`crate::client::DefenderClient`]
    /// (required).
    pub fn source(mut self, source: Arc<dyn AlertSource>) -> Self {
        self.source = Some(source);
        self
    }

    /// Adds a customer tenant to poll.
    pub fn tenant(mut self, tenant: TenantInfo) -> Self {
        self.tenants.push(Arc::new(tenant));
        self
    }

    /// Adds customer tenants to poll.
    pub fn tenants(mut self, tenants: impl IntoIterator<Item = TenantInfo>) -> Self {
        self.tenants.extend(tenants.into_iter().map(Arc::new));
        self
    }

    /// Adds a sink. Sink names must be unique: they key the checkpoints.
    pub fn sink(mut self, sink: Arc<dyn AlertSink>) -> Self {
        self.sinks.push(sink);
        self
    }

    /// Where checkpoints are kept (required).
    pub fn checkpoint_store(mut self, store: Arc<dyn CheckpointStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// Time between two polls of the tenants. Default 60 s.
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.settings.poll_interval = interval;
        self
    }

    /// How far before the checkpoint each poll starts, to catch alerts that
    /// become visible late. Default 10 minutes.
    pub fn overlap(mut self, overlap: Duration) -> Self {
        self.settings.overlap = overlap;
        self
    }

    /// Alerts per API page, 1 to 10,000. Default 1,000.
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.settings.page_size = page_size;
        self
    }

    /// Alerts per sink batch (each sink also bounds its requests by bytes).
    /// A checkpoint is saved after every acknowledged batch, so at most one
    /// batch is sent twice after a crash. Default 500.
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.settings.batch_size = batch_size;
        self
    }

    /// How many tenants are polled at the same time. Default 8.
    pub fn tenant_concurrency(mut self, tenants: usize) -> Self {
        self.settings.tenant_concurrency = tenants;
        self
    }

    /// Where a (tenant, sink) pair without a checkpoint starts. Default:
    /// [`ForwarderBuilder::initial_lookback`] before the first poll.
    pub fn start_from(mut self, from: Timestamp) -> Self {
        self.settings.start_from = Some(from);
        self
    }

    /// How far back a pair without a checkpoint starts when no
    /// [`ForwarderBuilder::start_from`] is set. Default 24 hours.
    pub fn initial_lookback(mut self, lookback: Duration) -> Self {
        self.settings.initial_lookback = lookback;
        self
    }

    /// Retries of a failing sink within one poll: the only retries a sink
    /// delivery gets (sinks make one attempt per request). Default:
    /// [`RetryPolicy::default`].
    pub fn sink_retry(mut self, retry: RetryPolicy) -> Self {
        self.settings.retry = retry;
        self
    }

    /// How long a sink found down is left alone before one delivery probes
    /// it, within a poll; each new poll probes at once. Default 30 s.
    pub fn breaker_cooldown(mut self, cooldown: Duration) -> Self {
        self.settings.breaker_cooldown = cooldown;
        self
    }

    /// Called with every alert that could not be read (it is quarantined and
    /// sent as raw JSON, see [`ForwarderBuilder::quarantine_file`]). By
    /// default such alerts are logged with `tracing::error!` (index, id,
    /// JSON path) and counted in the status.
    pub fn on_malformed(
        mut self,
        hook: impl Fn(&TenantInfo, &crate::models::MalformedAlert) + Send + Sync + 'static,
    ) -> Self {
        self.on_malformed = Some(Arc::new(hook));
        self
    }

    /// The dead-letter file for alerts that cannot be read into their model
    /// (a number out of range, nesting too deep, bytes that are not UTF-8):
    /// each is appended there (mode 0600, synced) with its tenant, index, id,
    /// JSON path, reason and exact bytes, de-duplicated by the SHA-256 of its
    /// bytes across runs. The configuration file's forwarder puts it at
    /// `<checkpoint_dir>/quarantine.jsonl`. Unset, the quarantine is kept in
    /// memory only (a warning says so at build), and a restart may
    /// quarantine and send such an alert again.
    ///
    /// ```
    /// # fn f(b: defender_siem::forward::ForwarderBuilder) -> defender_siem::forward::ForwarderBuilder {
    /// b.quarantine_file("./checkpoints/quarantine.jsonl")
    /// # }
    /// ```
    pub fn quarantine_file(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.quarantine_file = Some(path.into());
        self
    }

    /// Checks everything and builds the forwarder.
    pub fn build(self) -> Result<Forwarder> {
        let source = self
            .source
            .ok_or_else(|| Error::Config("the forwarder needs an alert source".into()))?;
        let store = self
            .store
            .ok_or_else(|| Error::Config("the forwarder needs a checkpoint store".into()))?;
        if self.tenants.is_empty() {
            return Err(Error::Config(
                "the forwarder needs at least one tenant".into(),
            ));
        }
        if self.sinks.is_empty() {
            return Err(Error::Config(
                "the forwarder needs at least one sink".into(),
            ));
        }
        let s = &self.settings;
        if !(1..=MAX_PAGE_SIZE).contains(&s.page_size) {
            return Err(Error::Config(format!(
                "page_size must be 1 to {MAX_PAGE_SIZE}, not {}",
                s.page_size
            )));
        }
        if s.batch_size == 0 || s.tenant_concurrency == 0 {
            return Err(Error::Config(
                "batch_size and tenant_concurrency must be at least 1".into(),
            ));
        }
        if s.poll_interval.is_zero() {
            return Err(Error::Config("poll_interval must be more than zero".into()));
        }
        let mut names = BTreeMap::new();
        for sink in &self.sinks {
            if names.insert(sink.name().to_owned(), ()).is_some() {
                return Err(Error::Config(format!(
                    "two sinks are named `{}`; names key the checkpoints and must be unique",
                    sink.name()
                )));
            }
        }
        let mut tenant_ids = BTreeMap::new();
        for tenant in &self.tenants {
            if tenant_ids.insert(tenant.id.clone(), ()).is_some() {
                return Err(Error::Config(format!(
                    "tenant {} is listed twice",
                    tenant.id
                )));
            }
            for sink in &self.sinks {
                CheckpointKey::new(tenant.id.clone(), sink.name())?;
            }
        }
        let quarantine = match &self.quarantine_file {
            Some(path) => Quarantine::open(path)?,
            None => {
                tracing::warn!(
                    "no quarantine file set: alerts that cannot be read are kept in memory only"
                );
                Quarantine::in_memory()
            }
        };
        let status = self
            .tenants
            .iter()
            .map(|t| (t.id.clone(), TenantStatus::new(t.clone())))
            .collect();
        Ok(Forwarder {
            inner: Arc::new(Inner {
                source,
                tenants: self.tenants,
                breakers: self
                    .sinks
                    .iter()
                    .map(|_| Breaker::new(self.settings.breaker_cooldown))
                    .collect(),
                sinks: self.sinks,
                store,
                settings: self.settings,
                on_malformed: self.on_malformed,
                quarantine,
                status: Mutex::new(status),
                shutdown: crate::retry::Cancel::new(),
                started: chrono::Utc::now(),
            }),
        })
    }
}
