//! Renders a planned alert version as the JSON the Defender for Endpoint API
//! sends (`GET /api/alerts`), member for member like the real samples.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::catalog::EvidenceKind;
use super::details::Details;
use super::evidence::{self, Item};
use crate::models::Timestamp;

/// Defender's timestamp text: up to seven fractional digits, then `Z`.
pub(crate) fn ts(at: DateTime<Utc>) -> String {
    Timestamp::from_datetime(at).to_string()
}

fn opt_ts(at: Option<DateTime<Utc>>) -> Value {
    at.map_or(Value::Null, |at| Value::String(ts(at)))
}

/// The alert as `GET /api/alerts` returns it; `expand` fills `evidence`.
pub(crate) fn mde_alert(seed: u64, tenant_index: u64, d: &Details<'_>, expand: bool) -> Value {
    let t = d.template;
    let evidence: Vec<Value> = if expand {
        evidence::items(seed, tenant_index, d)
            .iter()
            .map(mde_evidence)
            .collect()
    } else {
        Vec::new()
    };
    let comments: Vec<Value> = d
        .comments
        .iter()
        .map(|(text, by, at)| json!({"comment": text, "createdBy": by, "createdTime": ts(*at)}))
        .collect();
    let related_user = if d.related_user {
        json!({"userName": d.user, "domainName": d.netbios})
    } else {
        Value::Null
    };
    json!({
        "id": d.plan.id,
        "incidentId": d.plan.incident_id,
        "investigationId": d.investigation_id,
        "assignedTo": d.assigned_to,
        "severity": d.severity(),
        "status": d.status(),
        "classification": d.resolution.map(|r| r.0),
        "determination": d.resolution.map(|r| r.1),
        "investigationState": d.investigation_state,
        "detectionSource": t.detection_source,
        "detectorId": t.detector_id,
        "category": t.category,
        "threatFamilyName": t.threat_family,
        "title": t.title,
        "description": t.description,
        "alertCreationTime": ts(d.plan.created),
        "firstEventTime": ts(d.first_event),
        "lastEventTime": ts(d.last_event),
        "lastUpdateTime": ts(d.last_update),
        "resolvedTime": opt_ts(d.resolved_time),
        "machineId": d.machine_id,
        "computerDnsName": d.fqdn,
        "rbacGroupName": d.rbac_group,
        "aadTenantId": d.tenant.id,
        "threatName": t.threat_name,
        "mitreTechniques": t.mitre,
        "relatedUser": related_user,
        "comments": comments,
        "evidence": evidence,
    })
}

fn mde_entity_type(kind: Option<EvidenceKind>) -> &'static str {
    match kind {
        Some(EvidenceKind::Process) => "Process",
        Some(EvidenceKind::File) => "File",
        Some(EvidenceKind::User) => "User",
        Some(EvidenceKind::Ip) => "Ip",
        Some(EvidenceKind::Url) => "Url",
        Some(EvidenceKind::Registry) | None => "Registry",
    }
}

/// One evidence item with all 25 members, `null` where they do not apply.
fn mde_evidence(item: &Item) -> Value {
    let mut map = Map::new();
    let mut put = |key: &str, value: Value| {
        map.insert(key.to_owned(), value);
    };
    put("entityType", json!(mde_entity_type(item.kind)));
    put("evidenceCreationTime", opt_ts(item.created));
    put("sha1", json!(item.sha1));
    put("sha256", json!(item.sha256));
    put("fileName", json!(item.file_name));
    put("filePath", json!(item.file_path));
    put("processId", json!(item.process_id));
    put("processCommandLine", json!(item.command_line));
    put("processCreationTime", opt_ts(item.process_created));
    put("parentProcessId", json!(item.parent_id));
    put("parentProcessCreationTime", opt_ts(item.parent_created));
    put("parentProcessFileName", json!(item.parent_name));
    put("parentProcessFilePath", json!(item.parent_path));
    put("ipAddress", json!(item.ip));
    put("url", json!(item.url));
    put("registryKey", json!(item.registry_key));
    put("registryHive", json!(item.registry_hive));
    put("registryValueType", json!(item.registry_value_type));
    put("registryValue", json!(item.registry_value));
    put("accountName", json!(item.account));
    put("domainName", json!(item.domain));
    put("userSid", json!(item.sid));
    put("aadUserId", json!(item.aad_user_id));
    put("userPrincipalName", json!(item.upn));
    put("detectionStatus", json!(item.detection_status));
    Value::Object(map)
}
