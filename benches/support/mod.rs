//! The alert the benches (and `examples/pipeline_probe`) measure with: the
//! shape of the real samples.
// Each bench uses only some of these.
#![allow(dead_code)]

use std::sync::Arc;

use defender_siem::sink::AlertRecord;
use defender_siem::{TenantId, TenantInfo};
use serde_json::{Value, json};

/// `n` records of [`sample_alert`]s, all of one tenant.
pub fn records(n: usize) -> Vec<AlertRecord> {
    let Ok(id) = TenantId::new("a839b112-1253-6432-9bf6-94542403f21c") else {
        return Vec::new();
    };
    let tenant = Arc::new(TenantInfo::new(id, "Contoso"));
    (0..n)
        .filter_map(|i| AlertRecord::from_json(tenant.clone(), &sample_alert(i).to_string()).ok())
        .collect()
}

/// One alert of the real-sample shape (about 3.7 KB with three evidence items).
pub fn sample_alert(i: usize) -> Value {
    let severity = ["Low", "Medium", "High"][i % 3];
    let evidence = |kind: &str, file: &str| {
        json!({
            "entityType": kind, "evidenceCreationTime": "2021-01-26T20:33:58.6133333Z",
            "sha1": "ff836cfb1af40252bd2a2ea843032e99a5b262ed",
            "sha256": "a4752c71d81afd3d5865d24ddb11a6b0c615062fcc448d24050c2172d2cbccd6",
            "fileName": file, "filePath": "C:\\Windows\\SysWOW64", "processId": 3276,
            "processCommandLine": "rundll32.exe  c:\\temp\\suspicious.dll,RepeatAfterMe",
            "processCreationTime": "2021-01-26T20:31:32.9581596Z", "parentProcessId": 8420,
            "parentProcessCreationTime": "2021-01-26T20:31:32.9004163Z",
            "parentProcessFileName": "rundll32.exe", "parentProcessFilePath": "C:\\Windows\\System32",
            "ipAddress": null, "url": null, "registryKey": null, "registryHive": null,
            "registryValueType": null, "registryValue": null, "accountName": null,
            "domainName": null, "userSid": null, "aadUserId": null, "userPrincipalName": null,
            "detectionStatus": "Detected"
        })
    };
    json!({
        "id": format!("da6374729003828{i:05}_1364969609"), "incidentId": 1_126_093 + i,
        "investigationId": null, "assignedTo": null, "severity": severity,
        "status": "New", "classification": null, "determination": null,
        "investigationState": "Queued", "detectionSource": "WindowsDefenderAtp",
        "detectorId": "17e10bbc-3a68-474a-8aad-faef14d43952", "category": "Execution",
        "threatFamilyName": null, "threatName": null,
        "title": "Low-reputation arbitrary code executed by signed executable",
        "description": "Binaries signed by Microsoft can be used to run low-reputation arbitrary code. This technique hides the execution of malicious code within a trusted process. As a result, the trusted process might exhibit suspicious behaviors, such as opening a listening port or connecting to a command-and-control (C&C) server.",
        "alertCreationTime": "2021-01-26T20:33:57.7220239Z", "firstEventTime": "2021-01-26T20:31:32.9562661Z",
        "lastEventTime": "2021-01-26T20:31:33.0577322Z", "lastUpdateTime": "2021-01-26T20:33:59.2Z",
        "resolvedTime": null, "machineId": "111e6dd8c833c8a052ea231ec1b19adaf497b625",
        "computerDnsName": "temp123.middleeast.corp.microsoft.com", "rbacGroupName": "A",
        "aadTenantId": "a839b112-1253-6432-9bf6-94542403f21c",
        "mitreTechniques": ["T1064", "T1085", "T1220"],
        "relatedUser": {"userName": "temp123", "domainName": "DOMAIN"},
        "comments": [{"comment": "test comment for docs", "createdBy": "secop123@contoso.com", "createdTime": "2021-01-26T01:00:37.8404534Z"}],
        "evidence": [evidence("User", "x"), evidence("Process", "rundll32.exe"), evidence("File", "suspicious.dll")],
    })
}
