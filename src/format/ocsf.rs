//! OCSF Detection Finding (`class_uid` 2004), as JSON on one line.
//!
//! | OCSF | from the alert |
//! |---|---|
//! | `activity_id` | 3 Close when `status` is Resolved; 2 Update when `lastUpdateTime` is after `alertCreationTime`; else 1 Create |
//! | `type_uid` | 200400 + `activity_id` |
//! | `severity_id` / `severity` | Informational 1, Low 2, Medium 3, High 4, `critical` 5, UnSpecified 0, other 99 |
//! | `status_id` / `status` | New 1, InProgress 2, Resolved 4, else 99 Other |
//! | `time` | `lastUpdateTime` (epoch ms), else `alertCreationTime` |
//! | `metadata` | product `Microsoft Defender for Endpoint` by `Microsoft`, OCSF `version` 1.3.0, `tenant_uid` = tenant id |
//! | `finding_info` | `uid` id, `title`, `desc` description, `types` `[category]`, `src_url` portal link, `created_time`, `modified_time`, `first_seen_time`, `last_seen_time`, `attacks` from `mitreTechniques`, `analytic` from `detectorId` |
//! | `device` | `hostname` computerDnsName, `uid` machineId, `groups` `[rbacGroupName]` |
//! | `cloud` | provider `Azure`, `account` {tenant id, tenant name} |
//! | `evidences` | one per evidence item: `file`, `process`, `user`, `src_endpoint`, `url` |
//! | `unmapped` | the whole alert as the API sent it |

use serde::Serialize;
use url::Url;

use super::facts;
use crate::cloud::Cloud;
use crate::models::{AlertStatus, EntityType, Evidence, compact_json_into};
use crate::record::AlertRecord;

/// The portal used for `finding_info.src_url`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct OcsfOptions {
    portal_base: Url,
}

impl Default for OcsfOptions {
    fn default() -> Self {
        OcsfOptions {
            portal_base: Cloud::Public.portal_base(),
        }
    }
}

impl OcsfOptions {
    /// Portal base for links. Default the public cloud's portal.
    pub fn portal_base(mut self, base: Url) -> Self {
        self.portal_base = base;
        self
    }
}

#[derive(Serialize)]
struct Finding<'a> {
    activity_id: u8,
    activity_name: &'static str,
    category_uid: u8,
    category_name: &'static str,
    class_uid: u32,
    class_name: &'static str,
    type_uid: u32,
    type_name: &'static str,
    severity_id: u8,
    severity: &'static str,
    status_id: u8,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    time: Option<i64>,
    is_alert: bool,
    metadata: Metadata<'a>,
    finding_info: FindingInfo<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    device: Option<Device<'a>>,
    cloud: Cloud_<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    evidences: Vec<EvidenceOut<'a>>,
    // `unmapped` (the raw alert) follows; `encode` appends it as it came.
}

#[derive(Serialize)]
struct Metadata<'a> {
    version: &'static str,
    product: Product,
    tenant_uid: &'a str,
}

#[derive(Serialize)]
struct Product {
    name: &'static str,
    vendor_name: &'static str,
}

#[derive(Serialize)]
struct FindingInfo<'a> {
    uid: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    desc: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    types: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    src_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    modified_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_seen_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_seen_time: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attacks: Vec<Attack<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    analytic: Option<Analytic<'a>>,
}

#[derive(Serialize)]
struct Attack<'a> {
    technique: Uid<'a>,
}

#[derive(Serialize)]
struct Uid<'a> {
    uid: &'a str,
}

#[derive(Serialize)]
struct Analytic<'a> {
    uid: &'a str,
    type_id: u8,
    #[serde(rename = "type")]
    type_name: &'static str,
}

#[derive(Serialize)]
struct Device<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    hostname: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uid: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    groups: Vec<Name<'a>>,
    type_id: u8,
}

#[derive(Serialize)]
struct Name<'a> {
    name: &'a str,
}

#[derive(Serialize)]
#[allow(non_camel_case_types)]
struct Cloud_<'a> {
    provider: &'static str,
    account: Account<'a>,
}

#[derive(Serialize)]
struct Account<'a> {
    uid: &'a str,
    name: &'a str,
}

#[derive(Serialize, Default)]
struct EvidenceOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<File<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    process: Option<Process<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<User<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    src_endpoint: Option<Endpoint<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<UrlOut<'a>>,
}

#[derive(Serialize)]
struct File<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hashes: Vec<Hash<'a>>,
}

#[derive(Serialize)]
struct Hash<'a> {
    algorithm_id: u8,
    algorithm: &'static str,
    value: &'a str,
}

#[derive(Serialize)]
struct Process<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pid: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cmd_line: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<File<'a>>,
}

#[derive(Serialize)]
struct User<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    domain: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uid: Option<&'a str>,
}

#[derive(Serialize)]
struct Endpoint<'a> {
    ip: &'a str,
}

#[derive(Serialize)]
struct UrlOut<'a> {
    url_string: &'a str,
}

fn file_of(e: &Evidence) -> Option<File<'_>> {
    let name = e.file_name.as_deref()?;
    let mut hashes = Vec::new();
    if let Some(v) = e.sha1.as_deref() {
        hashes.push(Hash {
            algorithm_id: 2,
            algorithm: "SHA-1",
            value: v,
        });
    }
    if let Some(v) = e.sha256.as_deref() {
        hashes.push(Hash {
            algorithm_id: 3,
            algorithm: "SHA-256",
            value: v,
        });
    }
    Some(File {
        name,
        path: e.file_path.as_deref(),
        hashes,
    })
}

fn evidence_of(e: &Evidence) -> EvidenceOut<'_> {
    let mut out = EvidenceOut::default();
    match e.entity_type {
        Some(EntityType::File) => out.file = file_of(e),
        Some(EntityType::Process) => {
            out.process = Some(Process {
                pid: e.process_id,
                cmd_line: e.process_command_line.as_deref(),
                file: file_of(e),
            })
        }
        Some(EntityType::User) => {
            out.user = e.account_name.as_deref().map(|name| User {
                name,
                domain: e.domain_name.as_deref(),
                uid: e.user_sid.as_deref(),
            })
        }
        Some(EntityType::Ip) => {
            out.src_endpoint = e.ip_address.as_deref().map(|ip| Endpoint { ip })
        }
        Some(EntityType::Url) => out.url = e.url.as_deref().map(|u| UrlOut { url_string: u }),
        _ => {}
    }
    out
}

/// Appends one OCSF Detection Finding as JSON (no line end).
pub fn encode(record: &AlertRecord, opts: &OcsfOptions, out: &mut Vec<u8>) {
    let a = &record.alert;
    let activity_id = match (&a.status, a.last_update_time, a.alert_creation_time) {
        (Some(AlertStatus::Resolved), _, _) => 3,
        (_, Some(updated), Some(created)) if updated > created => 2,
        _ => 1,
    };
    let (activity_name, type_name) = match activity_id {
        3 => ("Close", "Detection Finding: Close"),
        2 => ("Update", "Detection Finding: Update"),
        _ => ("Create", "Detection Finding: Create"),
    };
    let (severity_id, severity) = facts::ocsf_severity(a.severity.as_ref());
    let (status_id, status) = match &a.status {
        Some(AlertStatus::New) => (1, "New"),
        Some(AlertStatus::InProgress) => (2, "In Progress"),
        Some(AlertStatus::Resolved) => (4, "Resolved"),
        None | Some(AlertStatus::Undetermined) => (0, "Unknown"),
        Some(_) => (99, "Other"),
    };
    let millis = |t: Option<crate::models::Timestamp>| t.map(|t| t.unix_millis());
    let device = (a.computer_dns_name.is_some() || a.machine_id.is_some()).then(|| Device {
        hostname: a.computer_dns_name.as_deref(),
        uid: a.machine_id.as_deref(),
        groups: a
            .rbac_group_name
            .as_deref()
            .map(|name| Name { name })
            .into_iter()
            .collect(),
        type_id: 0,
    });
    let finding = Finding {
        activity_id,
        activity_name,
        category_uid: 2,
        category_name: "Findings",
        class_uid: 2004,
        class_name: "Detection Finding",
        type_uid: 200_400 + u32::from(activity_id),
        type_name,
        severity_id,
        severity,
        status_id,
        status,
        time: millis(a.last_update_time.or(a.alert_creation_time)),
        is_alert: true,
        metadata: Metadata {
            version: "1.3.0",
            product: Product {
                name: "Microsoft Defender for Endpoint",
                vendor_name: "Microsoft",
            },
            tenant_uid: record.tenant.id.as_str(),
        },
        finding_info: FindingInfo {
            uid: a.id.as_deref().unwrap_or(""),
            title: a.title.as_deref(),
            desc: a.description.as_deref(),
            types: a.category.as_deref().into_iter().collect(),
            src_url: facts::portal_link(record, &opts.portal_base).map(String::from),
            created_time: millis(a.alert_creation_time),
            modified_time: millis(a.last_update_time),
            first_seen_time: millis(a.first_event_time),
            last_seen_time: millis(a.last_event_time),
            attacks: a
                .mitre_techniques
                .iter()
                .flatten()
                .map(|t| Attack {
                    technique: Uid { uid: t },
                })
                .collect(),
            analytic: a.detector_id.as_deref().map(|uid| Analytic {
                uid,
                type_id: 1,
                type_name: "Rule",
            }),
        },
        device,
        cloud: Cloud_ {
            provider: "Azure",
            account: Account {
                uid: record.tenant.id.as_str(),
                name: &record.tenant.name,
            },
        },
        evidences: a.evidence_items().iter().map(evidence_of).collect(),
    };
    let start = out.len();
    // Serializing into a Vec cannot fail: every value here is a plain
    // string or number.
    if serde_json::to_writer(&mut *out, &finding).is_err() || out.last() != Some(&b'}') {
        out.truncate(start);
        return;
    }
    // Embed the raw alert as the last member, without re-serializing it.
    out.pop();
    out.extend_from_slice(b",\"unmapped\":");
    compact_json_into(record.raw.get(), out);
    out.push(b'}');
}
