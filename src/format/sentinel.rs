//! One row of the `DefenderAlerts_CL` table, as the Sentinel sink sends it
//! to the Logs Ingestion API (one element of the JSON array body).
//!
//! | column | type | from the alert |
//! |---|---|---|
//! | `TimeGenerated` | datetime | `lastUpdateTime`, else `alertCreationTime`, else the `now` passed in |
//! | `CustomerTenantId`, `CustomerTenantName` | string | the record's tenant (`TenantId` is a reserved column name) |
//! | `AlertId` | string | `id` |
//! | `IncidentId` | long | `incidentId` |
//! | `Severity`, `Status` | string | `severity`, `status` |
//! | `AlertTitle` | string | `title` (`Title` is reserved) |
//! | `Category`, `DetectionSource`, `ThreatName` | string | `category`, `detectionSource`, `threatName` |
//! | `ComputerDnsName`, `MachineId`, `DeviceGroup` | string | `computerDnsName`, `machineId`, `rbacGroupName` |
//! | `UserName`, `UserDomain` | string | `relatedUser` (or the first user evidence) |
//! | `MitreTechniques` | dynamic | `mitreTechniques` |
//! | `AlertCreationTime`, `FirstEventTime`, `LastEventTime`, `LastUpdateTime`, `ResolvedTime` | datetime | the alert's times |
//! | `AlertLink` | string | the tenant-specific portal link |
//! | `Alert` | dynamic | the whole alert, embedded as the API sent it |
//!
//! Columns without a value are left out (they read as empty). The table
//! schema and a DCR that accept these rows are in `examples/sentinel/`.
//! Azure truncates any single value beyond 64 KB.

use chrono::{DateTime, Utc};
use url::Url;

use super::facts;
use super::text::{int, json_str};
use crate::cloud::Cloud;
use crate::models::{Timestamp, compact_json_into};
use crate::record::AlertRecord;

/// Settings for the row: the portal used for `AlertLink`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct SentinelRow {
    portal_base: Url,
}

impl Default for SentinelRow {
    fn default() -> Self {
        SentinelRow {
            portal_base: Cloud::Public.portal_base(),
        }
    }
}

struct Row<'o> {
    out: &'o mut Vec<u8>,
}

impl Row<'_> {
    fn key(&mut self, key: &str) {
        self.out.extend_from_slice(b",\"");
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
    }
    fn str(&mut self, key: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.key(key);
            json_str(self.out, v);
        }
    }
    fn time(&mut self, key: &str, value: Option<Timestamp>) {
        if let Some(t) = value {
            self.key(key);
            self.out.push(b'"');
            t.append_normalized(self.out);
            self.out.push(b'"');
        }
    }
}

impl SentinelRow {
    /// Portal base for `AlertLink`. Default the public cloud's portal.
    pub fn portal_base(mut self, base: Url) -> Self {
        self.portal_base = base;
        self
    }

    /// Appends one row object. `now` is used for `TimeGenerated` only when
    /// the alert carries no time.
    pub fn encode(&self, record: &AlertRecord, now: DateTime<Utc>, out: &mut Vec<u8>) {
        let a = &record.alert;
        let generated = a
            .last_update_time
            .or(a.alert_creation_time)
            .unwrap_or(Timestamp::from_datetime(now));
        out.extend_from_slice(b"{\"TimeGenerated\":\"");
        generated.append_normalized(out);
        out.push(b'"');
        let mut row = Row { out };
        row.str("CustomerTenantId", Some(record.tenant.id.as_str()));
        row.str("CustomerTenantName", Some(&record.tenant.name));
        row.str("AlertId", a.id.as_deref());
        if let Some(incident) = a.incident_id {
            row.key("IncidentId");
            int(row.out, incident);
        }
        row.str("Severity", a.severity.as_ref().map(|s| s.as_str()));
        row.str("Status", a.status.as_ref().map(|s| s.as_str()));
        row.str("AlertTitle", a.title.as_deref());
        row.str("Category", a.category.as_deref());
        row.str(
            "DetectionSource",
            a.detection_source.as_ref().map(|d| d.as_str()),
        );
        row.str("ThreatName", a.threat_name.as_deref());
        row.str("ComputerDnsName", a.computer_dns_name.as_deref());
        row.str("MachineId", a.machine_id.as_deref());
        row.str("DeviceGroup", a.rbac_group_name.as_deref());
        let (user, domain) = facts::user(a);
        row.str("UserName", user);
        row.str("UserDomain", domain);
        if let Some(techniques) = &a.mitre_techniques {
            row.key("MitreTechniques");
            let _ = serde_json::to_writer(&mut *row.out, techniques);
        }
        row.time("AlertCreationTime", a.alert_creation_time);
        row.time("FirstEventTime", a.first_event_time);
        row.time("LastEventTime", a.last_event_time);
        row.time("LastUpdateTime", a.last_update_time);
        row.time("ResolvedTime", a.resolved_time);
        let link = facts::portal_link(record, &self.portal_base);
        row.str("AlertLink", link.as_ref().map(Url::as_str));
        row.key("Alert");
        if record.is_malformed() {
            // As in the HEC envelope: the exact text of an alert no reader
            // could type goes as a string, which the ingestion API always
            // parses (its JSON reader has its own depth and number limits).
            json_str(row.out, record.raw.get());
        } else {
            compact_json_into(record.raw.get(), row.out);
        }
        row.out.push(b'}');
    }
}
