//! [`Filter`] and [`Filtered`]: forward only the alerts that match.

use std::fmt;

use async_trait::async_trait;

use super::{AlertRecord, AlertSink, SinkError};
use crate::models::{AlertStatus, DetectionSource, Severity};
use crate::tenant::TenantId;

/// Which alerts to forward. Every constraint left unset lets everything
/// through; a set constraint must hold for an alert to pass. Device groups
/// and categories compare without regard to ASCII case; an alert without the
/// field fails a constraint on it.
///
/// ```
/// use defender_siem::models::{AlertStatus, Severity};
/// use defender_siem::sink::Filter;
///
/// let filter = Filter::new()
///     .min_severity(Severity::Medium)
///     .statuses([AlertStatus::New, AlertStatus::InProgress])
///     .device_groups(["Servers"]);
/// # let _ = filter;
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[must_use]
pub struct Filter {
    min_severity: Option<Severity>,
    severities: Vec<Severity>,
    statuses: Vec<AlertStatus>,
    tenants: Vec<TenantId>,
    device_groups: Vec<String>,
    categories: Vec<String>,
    detection_sources: Vec<DetectionSource>,
}

impl Filter {
    /// A filter that lets everything through.
    pub fn new() -> Self {
        Filter::default()
    }

    /// Only alerts at or above this severity (unknown severities rank
    /// lowest, see [`Severity`]).
    pub fn min_severity(mut self, severity: Severity) -> Self {
        self.min_severity = Some(severity);
        self
    }

    /// Only alerts with one of these severities.
    pub fn severities(mut self, severities: impl IntoIterator<Item = Severity>) -> Self {
        self.severities = severities.into_iter().collect();
        self
    }

    /// Only alerts with one of these statuses.
    pub fn statuses(mut self, statuses: impl IntoIterator<Item = AlertStatus>) -> Self {
        self.statuses = statuses.into_iter().collect();
        self
    }

    /// Only alerts of these tenants.
    pub fn tenants(mut self, tenants: impl IntoIterator<Item = TenantId>) -> Self {
        self.tenants = tenants.into_iter().collect();
        self
    }

    /// Only alerts from devices in these device groups (`rbacGroupName`).
    pub fn device_groups<S: Into<String>>(mut self, groups: impl IntoIterator<Item = S>) -> Self {
        self.device_groups = groups.into_iter().map(Into::into).collect();
        self
    }

    /// Only alerts in these categories (`category`).
    pub fn categories<S: Into<String>>(mut self, categories: impl IntoIterator<Item = S>) -> Self {
        self.categories = categories.into_iter().map(Into::into).collect();
        self
    }

    /// Only alerts from these detection sources.
    pub fn detection_sources(mut self, sources: impl IntoIterator<Item = DetectionSource>) -> Self {
        self.detection_sources = sources.into_iter().collect();
        self
    }

    /// Whether `record` passes. A record whose typed view could not be read
    /// ([`AlertRecord::is_malformed`]) is checked against the tenants only:
    /// its severity, status and the rest are unknown, and an alert that
    /// cannot be read is shown rather than filtered out unseen.
    pub fn matches(&self, record: &AlertRecord) -> bool {
        if record.is_malformed() {
            return one_of(&self.tenants, Some(&record.tenant.id), |x, y| x == y);
        }
        let a = &record.alert;
        if let Some(min) = &self.min_severity
            && a.severity.as_ref().is_none_or(|s| s < min)
        {
            return false;
        }
        one_of(&self.severities, a.severity.as_ref(), |x, y| x == y)
            && one_of(&self.statuses, a.status.as_ref(), |x, y| x == y)
            && one_of(&self.tenants, Some(&record.tenant.id), |x, y| x == y)
            && one_of(&self.device_groups, a.rbac_group_name.as_ref(), |x, y| {
                x.eq_ignore_ascii_case(y)
            })
            && one_of(&self.categories, a.category.as_ref(), |x, y| {
                x.eq_ignore_ascii_case(y)
            })
            && one_of(
                &self.detection_sources,
                a.detection_source.as_ref(),
                |x, y| x == y,
            )
    }

    /// Wraps `sink` so it only receives matching alerts.
    pub fn wrap<S: AlertSink>(self, sink: S) -> Filtered<S> {
        Filtered { filter: self, sink }
    }
}

fn one_of<T>(allowed: &[T], value: Option<&T>, eq: impl Fn(&T, &T) -> bool) -> bool {
    allowed.is_empty() || value.is_some_and(|v| allowed.iter().any(|a| eq(a, v)))
}

/// A sink that forwards only the alerts its [`Filter`] lets through. A batch
/// in which nothing matches is accepted without calling the inner sink.
///
/// A record the filter drops counts as accepted: when the inner sink takes
/// only part of what it was given, [`SinkError::accepted`] is the prefix of
/// the whole batch up to the first matching record it did not take. The
/// forwarder asks [`AlertSink::accepts`] before sending, so it reports
/// filtered-out records apart from delivered ones.
#[derive(Clone)]
pub struct Filtered<S> {
    filter: Filter,
    sink: S,
}

impl<S> Filtered<S> {
    /// The filter.
    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    /// The wrapped sink.
    pub fn inner(&self) -> &S {
        &self.sink
    }
}

impl<S: fmt::Debug> fmt::Debug for Filtered<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Filtered")
            .field("filter", &self.filter)
            .field("sink", &self.sink)
            .finish()
    }
}

#[async_trait]
impl<S: AlertSink> AlertSink for Filtered<S> {
    fn name(&self) -> &str {
        self.sink.name()
    }

    fn accepts(&self, record: &AlertRecord) -> bool {
        self.filter.matches(record) && self.sink.accepts(record)
    }

    async fn send(&self, batch: &[AlertRecord]) -> Result<(), SinkError> {
        let matching: Vec<usize> = (0..batch.len())
            .filter(|&i| self.filter.matches(&batch[i]))
            .collect();
        let (Some(&first), Some(&last)) = (matching.first(), matching.last()) else {
            return Ok(());
        };
        // A contiguous run of matches is passed through without copying.
        let result = if last - first + 1 == matching.len() {
            self.sink.send(&batch[first..=last]).await
        } else {
            let picked: Vec<AlertRecord> = matching.iter().map(|&i| batch[i].clone()).collect();
            self.sink.send(&picked).await
        };
        result.map_err(|e| {
            // Everything before the first match the sink did not take is
            // durable or filtered out.
            let upto = matching.get(e.accepted()).copied().unwrap_or(batch.len());
            e.with_accepted(upto)
        })
    }

    async fn health(&self) -> Result<(), SinkError> {
        self.sink.health().await
    }

    async fn flush(&self) -> Result<(), SinkError> {
        self.sink.flush().await
    }
}
