//! Values several formats take from an alert: the first file, user, IP and
//! URL in its evidence, the event time, the portal link, severity scales.

use chrono::{DateTime, Utc};
use url::Url;

use crate::models::{Alert, EntityType, Evidence, Severity};
use crate::record::AlertRecord;

/// The first evidence item that names a file (a file or a process image).
pub(crate) fn first_file(alert: &Alert) -> Option<&Evidence> {
    alert.evidence_items().iter().find(|e| {
        matches!(e.entity_type, Some(EntityType::File | EntityType::Process))
            && (e.file_name.is_some() || e.sha1.is_some() || e.sha256.is_some())
    })
}

/// The first non-empty value `pick` finds in the evidence.
pub(crate) fn first_evidence<'a>(
    alert: &'a Alert,
    pick: impl Fn(&'a Evidence) -> Option<&'a String>,
) -> Option<&'a str> {
    alert
        .evidence_items()
        .iter()
        .filter_map(pick)
        .map(String::as_str)
        .find(|s| !s.is_empty())
}

/// The alert's user: `relatedUser`, else the first user evidence.
/// Returns (user name, domain).
pub(crate) fn user(alert: &Alert) -> (Option<&str>, Option<&str>) {
    if let Some(u) = &alert.related_user
        && u.user_name.is_some()
    {
        return (u.user_name.as_deref(), u.domain_name.as_deref());
    }
    alert
        .evidence_items()
        .iter()
        .find(|e| e.entity_type == Some(EntityType::User) && e.account_name.is_some())
        .map_or((None, None), |e| {
            (e.account_name.as_deref(), e.domain_name.as_deref())
        })
}

/// The time of the event a record describes: `lastUpdateTime` (every update
/// is a new event), else `alertCreationTime`.
pub(crate) fn event_time(alert: &Alert) -> Option<DateTime<Utc>> {
    alert
        .last_update_time
        .or(alert.alert_creation_time)
        .map(|t| t.as_datetime())
}

/// The tenant-specific portal link, with the record's tenant as `tid`.
pub(crate) fn portal_link(record: &AlertRecord, portal_base: &Url) -> Option<Url> {
    record
        .alert
        .portal_url_in_tenant(portal_base, record.tenant.id.as_str())
}

/// The domain part of a device FQDN (`pc1.contoso.com` → `contoso.com`).
pub(crate) fn dns_domain(fqdn: &str) -> Option<&str> {
    fqdn.split_once('.')
        .map(|(_, d)| d)
        .filter(|d| !d.is_empty())
}

/// True for a severity spelled `critical` in any case (Defender XDR).
fn is_critical(s: &Severity) -> bool {
    matches!(s, Severity::Unknown(v) if v.eq_ignore_ascii_case("critical"))
}

/// CEF 0–10: UnSpecified 0, Informational 1, Low 3, Medium 5, High 8,
/// `critical` 10, unknown values 0.
pub(crate) fn cef_severity(s: Option<&Severity>) -> u8 {
    match s {
        Some(Severity::Informational) => 1,
        Some(Severity::Low) => 3,
        Some(Severity::Medium) => 5,
        Some(Severity::High) => 8,
        Some(s) if is_critical(s) => 10,
        _ => 0,
    }
}

/// LEEF `sev` 1–10: as CEF, with 1 as the floor.
pub(crate) fn leef_severity(s: Option<&Severity>) -> u8 {
    cef_severity(s).max(1)
}

/// Syslog severity (0–7): `critical` 2, High 3 (error), Medium 4
/// (warning), Low 5 (notice), everything else 6 (informational).
pub(crate) fn syslog_severity(s: Option<&Severity>) -> u8 {
    match s {
        Some(Severity::High) => 3,
        Some(Severity::Medium) => 4,
        Some(Severity::Low) => 5,
        Some(s) if is_critical(s) => 2,
        _ => 6,
    }
}

/// OCSF `severity_id` and caption.
pub(crate) fn ocsf_severity(s: Option<&Severity>) -> (u8, &'static str) {
    match s {
        Some(Severity::Informational) => (1, "Informational"),
        Some(Severity::Low) => (2, "Low"),
        Some(Severity::Medium) => (3, "Medium"),
        Some(Severity::High) => (4, "High"),
        Some(s) if is_critical(s) => (5, "Critical"),
        Some(Severity::Unknown(_)) => (99, "Other"),
        _ => (0, "Unknown"),
    }
}
