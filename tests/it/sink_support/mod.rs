//! Alerts and tenants shared by the sink and format tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod certs;
pub mod rfc5424_line;
pub mod rsyslog;
pub mod smtp;

use std::sync::Arc;

use defender_siem::sink::AlertRecord;
use defender_siem::{TenantId, TenantInfo};

pub fn tenant() -> Arc<TenantInfo> {
    Arc::new(TenantInfo::new(
        TenantId::new("a839b112-1253-6432-9bf6-94542403f21c").unwrap(),
        "Contoso \"Main\" | Ltd",
    ))
}

/// A realistic alert with evidence, compact as the API sends it.
pub const FULL: &str = r#"{"id":"da637472900382838869_1364969609","incidentId":1126093,"investigationId":null,"assignedTo":null,"severity":"High","status":"New","classification":null,"investigationState":"Queued","detectionSource":"WindowsDefenderAtp","detectorId":"17e10bbc-3a68-474a-8aad-faef14d43952","category":"Execution","threatName":"HackTool:Win32/Mikatz!dha","title":"Low-reputation arbitrary code executed by signed executable","description":"Binaries signed by Microsoft can be used to run low-reputation code.","alertCreationTime":"2021-01-26T20:33:57.7220239Z","firstEventTime":"2021-01-26T20:31:32.9562661Z","lastEventTime":"2021-01-26T20:31:33.0577322Z","lastUpdateTime":"2021-01-26T20:33:59.2Z","machineId":"111e6dd8c833c8a052ea231ec1b19adaf497b625","computerDnsName":"temp123.middleeast.corp.microsoft.com","rbacGroupName":"Servers","aadTenantId":"a839b112-1253-6432-9bf6-94542403f21c","mitreTechniques":["T1064","T1085"],"relatedUser":{"userName":"temp123","domainName":"MIDDLEEAST"},"comments":[],"evidence":[{"entityType":"Process","sha1":"ff836cfb1af40252bd2a2ea843032e99a5b262ed","sha256":"a4a2e1f9c6a8d1f7e0c3b5a7d9e1f3a5c7e9b1d3f5a7c9e1b3d5f7a9c1e3b5d7","fileName":"rundll32.exe","filePath":"C:\\Windows\\SysWOW64","processId":3276,"processCommandLine":"rundll32.exe c:\\temp\\suspicious.dll,RepeatAfterMe","ipAddress":null,"url":null},{"entityType":"Ip","ipAddress":"218.90.204.141"},{"entityType":"Url","url":"down.esales360.cn"}],"brandNewField":{"kept":true}}"#;

/// Every hostile character the issue lists, in one string.
pub const HOSTILE: &str = "a|b\\c=d]e\"f\r\nCEF:0|fake|x\u{0}y\u{7}z\t日本語😀\u{2028}end";

pub fn record(json: &str) -> AlertRecord {
    AlertRecord::from_json(tenant(), json).unwrap()
}

pub fn full() -> AlertRecord {
    record(FULL)
}

/// An alert whose text fields are all hostile, with a 200 KB description
/// and 300 evidence items.
pub fn hostile() -> AlertRecord {
    let json = serde_json::json!({
        "id": format!("da1_{HOSTILE}"),
        "severity": "Medium",
        "status": "InProgress",
        "category": HOSTILE,
        "title": HOSTILE,
        "description": format!("{}{}", "x".repeat(200 * 1024), HOSTILE),
        "computerDnsName": HOSTILE,
        "detectorId": HOSTILE,
        "lastUpdateTime": "2024-05-02T09:14:05.1234567Z",
        "relatedUser": {"userName": "evil\nuser", "domainName": HOSTILE},
        "mitreTechniques": ["T1059", HOSTILE],
        "evidence": (0..300).map(|i| serde_json::json!({
            "entityType": "File",
            "fileName": format!("f{i}{HOSTILE}"),
            "filePath": HOSTILE,
            "sha1": "da39a3ee5e6b4b0d3255bfef95601890afd80709"
        })).collect::<Vec<_>>(),
    });
    record(&json.to_string())
}

/// What the text formats make of `s` once unescaped: TAB → space, other
/// controls except CR/LF → U+FFFD.
pub fn text_safe(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\r' | '\n' => c,
            '\t' => ' ',
            c if c.is_control() => '\u{FFFD}',
            c => c,
        })
        .collect()
}

pub fn assert_one_line(bytes: &[u8]) {
    assert!(
        !bytes.contains(&b'\n') && !bytes.contains(&b'\r'),
        "raw CR/LF in {}",
        String::from_utf8_lossy(&bytes[..bytes.len().min(300)])
    );
}
