//! Renders a planned alert version as a Microsoft Graph `alerts_v2` alert:
//! lower-camel enums and evidence typed by `@odata.type`.

use serde_json::{Map, Value, json};

use super::catalog::{EvidenceKind, graph_detection_source, lower_camel};
use super::details::Details;
use super::evidence::{self, Item};
use super::render::ts;

const RECOMMENDED: &str = "Collect artifacts and determine scope\n\tReview the machine timeline for suspicious activities that may have occurred before and after the time of the alert.\n\tLook for the presence of relevant artifacts on other systems.\n\nInitiate containment & mitigation\n\tContact the user to verify intent and initiate local remediation actions as needed.\n\tUpdate AV signatures and run a full scan.";

/// The alert as `GET /v1.0/security/alerts_v2` returns it.
pub(crate) fn graph_alert(seed: u64, tenant_index: u64, d: &Details<'_>) -> Value {
    let t = d.template;
    let tid = &d.tenant.id;
    let mut evidence = vec![device_evidence(d)];
    evidence.extend(
        evidence::items(seed, tenant_index, d)
            .iter()
            .map(|item| graph_evidence(d, item)),
    );
    let comments: Vec<Value> = d
        .comments
        .iter()
        .map(|(text, by, at)| {
            json!({"comment": text, "createdByDisplayName": by, "createdDateTime": ts(*at)})
        })
        .collect();
    json!({
        "@odata.type": "#microsoft.graph.security.alert",
        "id": d.plan.id,
        "providerAlertId": d.plan.id,
        "incidentId": d.plan.incident_id.to_string(),
        "status": lower_camel(d.status()),
        "severity": lower_camel(d.severity()),
        "classification": d.resolution.map_or_else(|| "unknown".to_owned(), |r| lower_camel(r.0)),
        "determination": d.resolution.map_or_else(|| "unknown".to_owned(), |r| lower_camel(r.1)),
        "serviceSource": "microsoftDefenderForEndpoint",
        "detectionSource": graph_detection_source(t.detection_source),
        "detectorId": t.detector_id,
        "tenantId": tid,
        "title": t.title,
        "description": t.description,
        "recommendedActions": RECOMMENDED,
        "category": t.category,
        "assignedTo": d.assigned_to,
        "alertWebUrl": format!("https://security.microsoft.com/alerts/{}?tid={tid}", d.plan.id),
        "incidentWebUrl": format!("https://security.microsoft.com/incidents/{}?tid={tid}", d.plan.incident_id),
        "actorDisplayName": null,
        "threatDisplayName": t.threat_name,
        "threatFamilyName": t.threat_family,
        "mitreTechniques": t.mitre,
        "createdDateTime": ts(d.plan.created),
        "lastUpdateDateTime": ts(d.last_update),
        "resolvedDateTime": d.resolved_time.map(ts),
        "firstActivityDateTime": ts(d.first_event),
        "lastActivityDateTime": ts(d.last_event),
        "comments": comments,
        "evidence": evidence,
        "systemTags": [],
    })
}

fn base(kind: &str, created: String, verdict: &str, roles: Value) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert(
        "@odata.type".into(),
        json!(format!("#microsoft.graph.security.{kind}")),
    );
    map.insert("createdDateTime".into(), json!(created));
    map.insert("verdict".into(), json!(verdict));
    map.insert("remediationStatus".into(), json!("none"));
    map.insert("remediationStatusDetails".into(), Value::Null);
    map.insert("roles".into(), roles);
    map.insert("detailedRoles".into(), json!([]));
    map.insert("tags".into(), json!([]));
    map
}

fn device_evidence(d: &Details<'_>) -> Value {
    let mut map = base(
        "deviceEvidence",
        ts(d.plan.created),
        "unknown",
        json!(["compromised"]),
    );
    let extra = json!({
        "firstSeenDateTime": ts(d.plan.created - chrono::TimeDelta::days(120)),
        "mdeDeviceId": d.machine_id,
        "azureAdDeviceId": null,
        "deviceDnsName": d.fqdn,
        "osPlatform": if d.rbac_group == "Servers" || d.rbac_group == "Domain Controllers" { "WindowsServer2022" } else { "Windows11" },
        "osBuild": 22631,
        "version": "23H2",
        "healthStatus": "active",
        "riskScore": "medium",
        "rbacGroupId": 100 + d.rbac_group.len(),
        "rbacGroupName": d.rbac_group,
        "onboardingStatus": "onboarded",
        "defenderAvStatus": "updated",
        "ipInterfaces": ["10.0.4.17"],
        "loggedOnUsers": [{"accountName": d.user, "domainName": d.netbios}],
        "vmMetadata": null,
    });
    if let Value::Object(extra) = extra {
        map.extend(extra);
    }
    Value::Object(map)
}

fn file_details(item: &Item) -> Value {
    json!({
        "sha1": item.sha1,
        "sha256": item.sha256,
        "fileName": item.file_name,
        "filePath": item.file_path,
        "fileSize": 48_128 + item.file_name.as_ref().map_or(0, String::len) * 4_096,
        "filePublisher": null,
        "signer": null,
        "issuer": null,
    })
}

fn graph_evidence(d: &Details<'_>, item: &Item) -> Value {
    let created = item.created.map_or_else(|| ts(d.plan.created), ts);
    let (kind, verdict) = match item.kind {
        Some(EvidenceKind::Process) => ("processEvidence", "suspicious"),
        Some(EvidenceKind::File) => ("fileEvidence", "malicious"),
        Some(EvidenceKind::User) => ("userEvidence", "unknown"),
        Some(EvidenceKind::Ip) => ("ipEvidence", "suspicious"),
        Some(EvidenceKind::Url) => ("urlEvidence", "suspicious"),
        Some(EvidenceKind::Registry) | None => ("registryValueEvidence", "suspicious"),
    };
    let mut map = base(kind, created, verdict, json!([]));
    let extra = match item.kind {
        Some(EvidenceKind::Process) => json!({
            "processId": item.process_id,
            "parentProcessId": item.parent_id,
            "processCommandLine": item.command_line,
            "processCreationDateTime": item.process_created.map(ts),
            "parentProcessCreationDateTime": item.parent_created.map(ts),
            "detectionStatus": "detected",
            "mdeDeviceId": d.machine_id,
            "imageFile": file_details(item),
            "parentProcessImageFile": {"sha1": null, "sha256": null, "fileName": item.parent_name,
                "filePath": item.parent_path, "fileSize": null, "filePublisher": "Microsoft Corporation",
                "signer": null, "issuer": null},
            "userAccount": {"accountName": d.user, "domainName": d.netbios, "userSid": null,
                "azureAdUserId": null, "userPrincipalName": d.upn(), "displayName": d.user},
        }),
        Some(EvidenceKind::File) => json!({
            "detectionStatus": item.detection_status.map(lower_camel),
            "mdeDeviceId": d.machine_id,
            "fileDetails": file_details(item),
        }),
        Some(EvidenceKind::User) => json!({
            "userAccount": {"accountName": item.account, "domainName": item.domain,
                "userSid": item.sid, "azureAdUserId": item.aad_user_id,
                "userPrincipalName": item.upn, "displayName": item.account},
        }),
        Some(EvidenceKind::Ip) => json!({"ipAddress": item.ip, "countryLetterCode": "NL"}),
        Some(EvidenceKind::Url) => json!({"url": item.url}),
        Some(EvidenceKind::Registry) | None => json!({
            "registryKey": item.registry_key,
            "registryHive": item.registry_hive,
            "registryValue": item.registry_value,
            "registryValueName": "Updater",
            "registryValueType": item.registry_value_type,
            "mdeDeviceId": d.machine_id,
        }),
    };
    if let Value::Object(extra) = extra {
        map.extend(extra);
    }
    Value::Object(map)
}
