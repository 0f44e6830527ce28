//! What the forwarder reports: a live status board and per-cycle reports.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::quarantine::QuarantinedAlert;
use crate::error::Error;
use crate::models::Timestamp;
use crate::tenant::TenantInfo;

/// An error as the status keeps it: its text plus the code to search for
/// (`AADSTS700016`, a Defender `code` such as `Forbidden`, an HTTP status).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct StatusError {
    /// The error's text (never a secret or a URL query string).
    pub message: String,
    /// The AADSTS code, Defender error code or HTTP status, when known.
    pub code: Option<String>,
    /// When it happened.
    pub at: DateTime<Utc>,
}

impl StatusError {
    pub(crate) fn from_error(error: &Error, at: DateTime<Utc>) -> Self {
        let code = error
            .aadsts()
            .map(|c| format!("AADSTS{c}"))
            .or_else(|| match error {
                Error::Api(api) => api.code().map(str::to_owned),
                Error::Limit(limit) => Some(limit.limit().setting().to_owned()),
                _ => None,
            })
            .or_else(|| error.status().map(|s| format!("HTTP {s}")));
        StatusError {
            message: error.to_string(),
            code,
            at,
        }
    }

    pub(crate) fn text(message: impl Into<String>, at: DateTime<Utc>) -> Self {
        StatusError {
            message: message.into(),
            code: None,
            at,
        }
    }
}

impl std::fmt::Display for StatusError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)?;
        match &self.code {
            // The message often names its code already.
            Some(code) if !self.message.contains(code.as_str()) => write!(f, " [{code}]"),
            _ => Ok(()),
        }
    }
}

/// The state of one (tenant, sink) pair.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SinkStatus {
    /// When the sink last acknowledged a batch or finished a poll cleanly.
    pub last_success: Option<DateTime<Utc>>,
    /// The checkpoint's watermark: the newest `lastUpdateTime` delivered.
    pub watermark: Option<Timestamp>,
    /// How far the watermark is behind now.
    pub lag: Option<Duration>,
    /// Alert versions delivered since the forwarder started.
    pub forwarded: u64,
    /// Versions fetched again (overlap window) and not sent twice.
    pub duplicates_dropped: u64,
    /// Versions the sink's filter did not want (not sent, not an error).
    pub filtered_out: u64,
    /// The last error, cleared by the next clean poll.
    pub last_error: Option<StatusError>,
}

/// The state of one tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TenantStatus {
    /// The tenant.
    pub tenant: Arc<TenantInfo>,
    /// When the last poll finished.
    pub last_poll: Option<DateTime<Utc>>,
    /// Alert versions fetched since the forwarder started.
    pub fetched: u64,
    /// Alerts that could not be read (quarantined and sent as raw JSON).
    pub malformed: u64,
    /// Alerts set aside because they name another tenant than the pinned
    /// one (never delivered under this tenant's name).
    pub foreign_tenant: u64,
    /// Alerts newly put in the quarantine since the forwarder started.
    pub quarantined: u64,
    /// Versions sent although older than the query's window (not delivered).
    pub outside_window: u64,
    /// The last fetch error (token, throttling, API), cleared by a clean poll.
    pub last_error: Option<StatusError>,
    /// Per sink name.
    pub sinks: BTreeMap<String, SinkStatus>,
}

impl TenantStatus {
    pub(crate) fn new(tenant: Arc<TenantInfo>) -> Self {
        TenantStatus {
            tenant,
            last_poll: None,
            fetched: 0,
            malformed: 0,
            foreign_tenant: 0,
            quarantined: 0,
            outside_window: 0,
            last_error: None,
            sinks: BTreeMap::new(),
        }
    }

    /// True when the last poll and every sink went without error.
    pub fn is_healthy(&self) -> bool {
        self.last_error.is_none() && self.sinks.values().all(|s| s.last_error.is_none())
    }
}

/// What one poll cycle did, per tenant. `Display` prints one line per
/// tenant and sink; `Serialize` gives the same as JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CycleReport {
    /// One entry per tenant, in configuration order.
    pub tenants: Vec<TenantReport>,
}

impl CycleReport {
    /// True when every tenant and every sink succeeded and the cycle was
    /// not cut short by shutdown.
    pub fn is_success(&self) -> bool {
        self.tenants.iter().all(TenantReport::is_success)
    }

    /// True when shutdown cut at least one tenant's poll short.
    pub fn interrupted(&self) -> bool {
        self.tenants.iter().any(|t| t.interrupted)
    }

    /// Alert versions delivered over all tenants and sinks.
    pub fn forwarded(&self) -> u64 {
        self.sinks().map(|s| s.forwarded).sum()
    }

    /// Alert versions the sinks' filters did not want, over all tenants
    /// and sinks.
    pub fn filtered_out(&self) -> u64 {
        self.sinks().map(|s| s.filtered_out).sum()
    }

    /// Alerts newly quarantined over all tenants.
    pub fn quarantined(&self) -> u64 {
        self.tenants.iter().map(|t| t.quarantined).sum()
    }

    fn sinks(&self) -> impl Iterator<Item = &SinkReport> {
        self.tenants.iter().flat_map(|t| t.sinks.iter())
    }
}

impl std::fmt::Display for CycleReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let failed = self
            .tenants
            .iter()
            .filter(|t| t.error.is_some() || t.sinks.iter().any(|s| s.error.is_some()))
            .count();
        write!(
            f,
            "{} tenant(s): {} forwarded, {} filtered out, {} failed",
            self.tenants.len(),
            self.forwarded(),
            self.filtered_out(),
            failed
        )?;
        if self.quarantined() > 0 {
            write!(f, ", {} alert(s) quarantined", self.quarantined())?;
        }
        if self.interrupted() {
            f.write_str(", interrupted by shutdown")?;
        }
        for tenant in &self.tenants {
            write!(f, "\n{tenant}")?;
        }
        Ok(())
    }
}

fn tenant_id_and_name<S: serde::Serializer>(t: &Arc<TenantInfo>, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeStruct;
    let mut st = s.serialize_struct("Tenant", 2)?;
    st.serialize_field("id", &t.id)?;
    st.serialize_field("name", &t.name)?;
    st.end()
}

/// What one poll of one tenant did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct TenantReport {
    /// The tenant.
    #[serde(serialize_with = "tenant_id_and_name")]
    pub tenant: Arc<TenantInfo>,
    /// Alert versions fetched.
    pub fetched: u64,
    /// Alerts that could not be read, counted each time they are fetched.
    pub malformed: u64,
    /// Alerts set aside because their `aadTenantId` names another tenant
    /// than the one this tenant is pinned to; never delivered. A poll with
    /// any is not a success.
    pub foreign_tenant: u64,
    /// Alerts this poll put in the quarantine for the first time (a rerun
    /// does not count them again).
    pub quarantined: u64,
    /// The first [`MAX_NAMED_QUARANTINED`] of them, named.
    pub quarantined_alerts: Vec<QuarantinedAlert>,
    /// Versions the server sent although their `lastUpdateTime` is before
    /// the query's lower bound: reported here, not delivered, and not
    /// counted as duplicates.
    pub outside_window: u64,
    /// The error that ended the poll early, if any.
    pub error: Option<StatusError>,
    /// Shutdown cut this poll short: what was acknowledged is kept, the
    /// rest is read again by the next run.
    pub interrupted: bool,
    /// Per sink, in configuration order.
    pub sinks: Vec<SinkReport>,
}

impl TenantReport {
    /// True when the fetch and every sink succeeded, no alert was newly
    /// quarantined, and shutdown did not cut the poll short.
    pub fn is_success(&self) -> bool {
        !self.interrupted
            && self.error.is_none()
            && self.foreign_tenant == 0
            && self.quarantined == 0
            && self.sinks.iter().all(|s| s.error.is_none())
    }
}

impl std::fmt::Display for TenantReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "tenant {} ({}): fetched {}",
            self.tenant.id, self.tenant.name, self.fetched
        )?;
        if self.malformed > 0 {
            write!(f, ", {} malformed", self.malformed)?;
        }
        if self.foreign_tenant > 0 {
            write!(
                f,
                ", {} set aside naming another tenant (not delivered)",
                self.foreign_tenant
            )?;
        }
        if self.quarantined > 0 {
            write!(f, ", {} quarantined", self.quarantined)?;
        }
        if self.outside_window > 0 {
            write!(f, ", {} outside the query's window", self.outside_window)?;
        }
        if self.interrupted {
            f.write_str(", interrupted by shutdown")?;
        }
        if let Some(e) = &self.error {
            write!(f, ", fetch failed: {e}")?;
        }
        for sink in &self.sinks {
            write!(f, "\n  {sink}")?;
        }
        for alert in &self.quarantined_alerts {
            write!(f, "\n  {alert}")?;
        }
        if self.quarantined > self.quarantined_alerts.len() as u64 {
            write!(
                f,
                "\n  and {} more quarantined",
                self.quarantined - self.quarantined_alerts.len() as u64
            )?;
        }
        Ok(())
    }
}

/// At most this many quarantined alerts are named in a [`TenantReport`]
/// (all are counted).
pub const MAX_NAMED_QUARANTINED: usize = 100;

/// What one poll did for one (tenant, sink) pair. For each pair,
/// `forwarded + filtered_out + duplicates_dropped` is what was fetched
/// and reached that pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SinkReport {
    /// The sink's name.
    pub sink: String,
    /// Versions the sink accepted (what reached it).
    pub forwarded: u64,
    /// Versions the sink's filter did not want ([`crate::sink::AlertSink::accepts`]).
    pub filtered_out: u64,
    /// Versions already delivered, not sent again.
    pub duplicates_dropped: u64,
    /// Why the sink stopped, if it did.
    pub error: Option<StatusError>,
}

impl std::fmt::Display for SinkReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "sink {}: {} forwarded, {} filtered out, {} duplicates dropped",
            self.sink, self.forwarded, self.filtered_out, self.duplicates_dropped
        )?;
        match &self.error {
            Some(e) => write!(f, ", failed: {e}"),
            None => Ok(()),
        }
    }
}
