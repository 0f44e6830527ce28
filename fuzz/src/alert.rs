//! A fuzz-built alert, written out as the JSON the API would send, and the
//! records the crate reads back from it.

use std::sync::Arc;

use arbitrary::Arbitrary;
use chrono::{DateTime, SecondsFormat};
use defender_siem::models::{Alert, parse_records};
use defender_siem::sink::AlertRecord;
use defender_siem::{TenantId, TenantInfo};
use serde_json::{Map, Value, json};

use crate::hostile::Hostile;

/// A time member: a real instant, or any text at all.
#[derive(Debug, Arbitrary)]
pub enum FuzzTime {
    /// Seconds since the epoch (clamped to years 1–9999) and nanoseconds.
    Valid(i64, u32, bool),
    /// Text that may or may not be a timestamp.
    Text(Hostile),
}

impl FuzzTime {
    fn to_json(&self) -> Value {
        match self {
            FuzzTime::Valid(secs, nanos, seven_digits) => {
                let secs = (*secs).clamp(-62_135_596_800, 253_402_300_799);
                let t = DateTime::from_timestamp(secs, nanos % 1_000_000_000)
                    .unwrap_or(DateTime::UNIX_EPOCH);
                if *seven_digits {
                    // The 7-digit fraction MDE sends.
                    let base = t.format("%Y-%m-%dT%H:%M:%S");
                    Value::String(format!("{base}.{:07}Z", t.timestamp_subsec_nanos() / 100))
                } else {
                    Value::String(t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
                }
            }
            FuzzTime::Text(s) => Value::String(s.0.clone()),
        }
    }
}

/// A severity: one the crate knows, or anything.
#[derive(Debug, Arbitrary)]
pub enum FuzzSeverity {
    /// `UnSpecified`, `Informational`, `Low`, `Medium`, `High`, `critical`.
    Known(u8),
    /// Anything else.
    Other(Hostile),
}

/// One evidence item.
#[derive(Debug, Arbitrary)]
pub struct FuzzEvidence {
    /// `entityType`: picks `File`, `Process`, `User`, `Ip`, `Url` or text.
    pub entity_type: u8,
    /// `fileName`.
    pub file_name: Option<Hostile>,
    /// `filePath`.
    pub file_path: Option<Hostile>,
    /// `sha1`.
    pub sha1: Option<Hostile>,
    /// `sha256`.
    pub sha256: Option<Hostile>,
    /// `ipAddress`.
    pub ip_address: Option<Hostile>,
    /// `url`.
    pub url: Option<Hostile>,
    /// `accountName`.
    pub account_name: Option<Hostile>,
    /// `domainName`.
    pub domain_name: Option<Hostile>,
}

/// An alert with every member the encoders read.
#[derive(Debug, Arbitrary)]
pub struct FuzzAlert {
    /// `id`.
    pub id: Option<Hostile>,
    /// `title`.
    pub title: Option<Hostile>,
    /// `description`.
    pub description: Option<Hostile>,
    /// `category`.
    pub category: Option<Hostile>,
    /// `detectorId`.
    pub detector_id: Option<Hostile>,
    /// `computerDnsName`.
    pub computer_dns_name: Option<Hostile>,
    /// `machineId`.
    pub machine_id: Option<Hostile>,
    /// `threatName`.
    pub threat_name: Option<Hostile>,
    /// `threatFamilyName`.
    pub threat_family_name: Option<Hostile>,
    /// `actorName`.
    pub actor_name: Option<Hostile>,
    /// `rbacGroupName`.
    pub rbac_group_name: Option<Hostile>,
    /// `status`.
    pub status: Option<Hostile>,
    /// `severity`.
    pub severity: Option<FuzzSeverity>,
    /// `detectionSource`.
    pub detection_source: Option<Hostile>,
    /// `mitreTechniques`.
    pub mitre_techniques: Option<Vec<Hostile>>,
    /// `relatedUser`: user name and domain.
    pub related_user: Option<(Option<Hostile>, Option<Hostile>)>,
    /// `evidence`.
    pub evidence: Option<Vec<FuzzEvidence>>,
    /// `lastUpdateTime`.
    pub last_update_time: Option<FuzzTime>,
    /// `alertCreationTime`.
    pub alert_creation_time: Option<FuzzTime>,
    /// `firstEventTime`.
    pub first_event_time: Option<FuzzTime>,
    /// `lastEventTime`.
    pub last_event_time: Option<FuzzTime>,
    /// `resolvedTime`.
    pub resolved_time: Option<FuzzTime>,
    /// `incidentId`.
    pub incident_id: Option<i64>,
    /// One member the crate does not model.
    pub extra: Option<(Hostile, Hostile)>,
    /// Write the JSON with layout whitespace (CR LF and tabs).
    pub pretty: bool,
}

fn put(map: &mut Map<String, Value>, key: &str, value: &Option<Hostile>) {
    if let Some(v) = value {
        map.insert(key.to_owned(), Value::String(v.0.clone()));
    }
}

impl FuzzAlert {
    /// The alert as API JSON.
    pub fn to_json(&self) -> String {
        let mut m = Map::new();
        put(&mut m, "id", &self.id);
        put(&mut m, "title", &self.title);
        put(&mut m, "description", &self.description);
        put(&mut m, "category", &self.category);
        put(&mut m, "detectorId", &self.detector_id);
        put(&mut m, "computerDnsName", &self.computer_dns_name);
        put(&mut m, "machineId", &self.machine_id);
        put(&mut m, "threatName", &self.threat_name);
        put(&mut m, "threatFamilyName", &self.threat_family_name);
        put(&mut m, "actorName", &self.actor_name);
        put(&mut m, "rbacGroupName", &self.rbac_group_name);
        put(&mut m, "status", &self.status);
        put(&mut m, "detectionSource", &self.detection_source);
        if let Some(s) = &self.severity {
            let text = match s {
                FuzzSeverity::Known(n) => [
                    "UnSpecified",
                    "Informational",
                    "Low",
                    "Medium",
                    "High",
                    "critical",
                ][usize::from(*n) % 6]
                    .to_owned(),
                FuzzSeverity::Other(h) => h.0.clone(),
            };
            m.insert("severity".into(), Value::String(text));
        }
        if let Some(t) = &self.mitre_techniques {
            m.insert(
                "mitreTechniques".into(),
                json!(t.iter().map(|h| h.0.as_str()).collect::<Vec<_>>()),
            );
        }
        if let Some((user, domain)) = &self.related_user {
            let mut u = Map::new();
            put(&mut u, "userName", user);
            put(&mut u, "domainName", domain);
            m.insert("relatedUser".into(), Value::Object(u));
        }
        if let Some(items) = &self.evidence {
            let items: Vec<Value> = items.iter().map(evidence_json).collect();
            m.insert("evidence".into(), Value::Array(items));
        }
        for (key, time) in [
            ("lastUpdateTime", &self.last_update_time),
            ("alertCreationTime", &self.alert_creation_time),
            ("firstEventTime", &self.first_event_time),
            ("lastEventTime", &self.last_event_time),
            ("resolvedTime", &self.resolved_time),
        ] {
            if let Some(t) = time {
                m.insert(key.into(), t.to_json());
            }
        }
        if let Some(n) = self.incident_id {
            m.insert("incidentId".into(), json!(n));
        }
        if let Some((k, v)) = &self.extra {
            m.entry(k.0.clone()).or_insert(Value::String(v.0.clone()));
        }
        let value = Value::Object(m);
        let text = if self.pretty {
            serde_json::to_string_pretty(&value).map(|s| s.replace('\n', "\r\n\t"))
        } else {
            serde_json::to_string(&value)
        };
        text.unwrap_or_default()
    }
}

fn evidence_json(e: &FuzzEvidence) -> Value {
    let mut m = Map::new();
    let kind = match e.entity_type % 6 {
        0 => "File",
        1 => "Process",
        2 => "User",
        3 => "Ip",
        4 => "Url",
        _ => "MailCluster",
    };
    m.insert("entityType".into(), Value::String(kind.into()));
    put(&mut m, "fileName", &e.file_name);
    put(&mut m, "filePath", &e.file_path);
    put(&mut m, "sha1", &e.sha1);
    put(&mut m, "sha256", &e.sha256);
    put(&mut m, "ipAddress", &e.ip_address);
    put(&mut m, "url", &e.url);
    put(&mut m, "accountName", &e.account_name);
    put(&mut m, "domainName", &e.domain_name);
    Value::Object(m)
}

/// The tenant for a record: the fuzz-chosen id when the crate accepts it,
/// else a fixed one; the name is taken as it is.
pub fn tenant(id: &Hostile, name: &Hostile) -> Arc<TenantInfo> {
    let id = TenantId::new(id.as_str()).or_else(|_| TenantId::new("contoso.onmicrosoft.com"));
    match id {
        Ok(id) => Arc::new(TenantInfo::new(id, name.0.clone())),
        Err(e) => panic!("the fixed tenant id is rejected: {e}"),
    }
}

/// Every record the crate reads from `input` (any JSON: a page, an array,
/// an alert, JSON lines): well-formed alerts as they are, malformed ones
/// through [`AlertRecord::from_malformed`], as the forwarder does.
pub fn records(tenant: &Arc<TenantInfo>, input: &[u8]) -> Vec<AlertRecord> {
    let Ok(page) = parse_records::<Alert>(input) else {
        return Vec::new();
    };
    page.alerts
        .into_iter()
        .map(|a| match a {
            Ok(parsed) => AlertRecord::new(tenant.clone(), parsed),
            Err(bad) => AlertRecord::from_malformed(tenant.clone(), bad),
        })
        .collect()
}
