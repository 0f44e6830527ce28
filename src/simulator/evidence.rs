//! Evidence items of a synthetic alert, shared by the MDE and Graph renderings.

use chrono::{DateTime, TimeDelta, Utc};

use super::catalog::EvidenceKind;
use super::data::{tag, ticks};
use super::details::Details;
use super::rng::{Rng, key_of};

/// One evidence item with every field the MDE entity has (most are `None`).
#[derive(Debug, Default)]
pub(crate) struct Item {
    pub kind: Option<EvidenceKind>,
    pub created: Option<DateTime<Utc>>,
    pub sha1: Option<String>,
    pub sha256: Option<String>,
    pub file_name: Option<String>,
    pub file_path: Option<String>,
    pub process_id: Option<i64>,
    pub command_line: Option<String>,
    pub process_created: Option<DateTime<Utc>>,
    pub parent_id: Option<i64>,
    pub parent_created: Option<DateTime<Utc>>,
    pub parent_name: Option<String>,
    pub parent_path: Option<String>,
    pub ip: Option<String>,
    pub url: Option<String>,
    pub registry_key: Option<String>,
    pub registry_hive: Option<String>,
    pub registry_value_type: Option<String>,
    pub registry_value: Option<String>,
    pub account: Option<String>,
    pub domain: Option<String>,
    pub sid: Option<String>,
    pub aad_user_id: Option<String>,
    pub upn: Option<String>,
    pub detection_status: Option<&'static str>,
}

const PROCESSES: &[(&str, &str, &str)] = &[
    (
        "powershell.exe",
        r"C:\Windows\System32\WindowsPowerShell\v1.0",
        "powershell.exe -NoProfile -ExecutionPolicy Bypass -EncodedCommand SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQA",
    ),
    (
        "rundll32.exe",
        r"C:\Windows\SysWOW64",
        r"rundll32.exe  c:\temp\suspicious.dll,RepeatAfterMe",
    ),
    (
        "cmd.exe",
        r"C:\Windows\System32",
        "cmd.exe /c whoami /all & net group \"domain admins\" /domain",
    ),
    (
        "wscript.exe",
        r"C:\Windows\System32",
        r"wscript.exe //B C:\Users\Public\invoice_0423.js",
    ),
    (
        "7z.exe",
        r"C:\Program Files\7-Zip",
        r"7z.exe a -p C:\ProgramData\out.7z C:\Users\Public\Documents",
    ),
];
const PARENTS: &[(&str, &str)] = &[
    (
        "winword.exe",
        r"C:\Program Files\Microsoft Office\root\Office16",
    ),
    ("explorer.exe", r"C:\Windows"),
    ("services.exe", r"C:\Windows\System32"),
];
const FILES: &[(&str, &str)] = &[
    ("invoice_0423.doc", r"C:\Users\Public\Downloads"),
    ("suspicious.dll", r"c:\temp"),
    ("mimikatz.exe", r"C:\Users\Public"),
    ("setup_free.exe", r"C:\ProgramData\Temp"),
];
const URLS: &[&str] = &[
    "http://invoice-portal.example.net/download.php?id=4821",
    "https://login-verify.example.org/session/renew",
    "http://cdn-update.example.com/pkg/update.bin",
];

/// The evidence of the alert described by `details`.
pub(crate) fn items(seed: u64, tenant_index: u64, details: &Details<'_>) -> Vec<Item> {
    let plan = details.plan;
    let mut rng = Rng::new(&[seed, tenant_index, plan.index, tag::EVIDENCE]);
    let base = plan.created + TimeDelta::milliseconds(700);
    details
        .template
        .evidence
        .iter()
        .map(|kind| {
            let created = ticks(base + TimeDelta::microseconds(rng.range(0, 400_000)));
            let mut item = Item {
                kind: Some(*kind),
                created: Some(created),
                ..Item::default()
            };
            match kind {
                EvidenceKind::Process => {
                    let (name, path, line) = PROCESSES[rng.index(PROCESSES.len())];
                    let (parent, parent_path) = PARENTS[rng.index(PARENTS.len())];
                    let started =
                        ticks(details.first_event + TimeDelta::microseconds(rng.range(0, 900_000)));
                    item.sha1 = Some(Rng::new(&[key_of(name), 1]).hex(40));
                    item.sha256 = Some(Rng::new(&[key_of(name), 256]).hex(64));
                    item.file_name = Some(name.into());
                    item.file_path = Some(path.into());
                    item.process_id = Some(rng.range(400, 32_000));
                    item.command_line = Some(line.into());
                    item.process_created = Some(started);
                    item.parent_id = Some(rng.range(400, 32_000));
                    item.parent_created = Some(ticks(
                        started - TimeDelta::milliseconds(rng.range(50, 90_000)),
                    ));
                    item.parent_name = Some(parent.into());
                    item.parent_path = Some(parent_path.into());
                    item.detection_status = Some("Detected");
                }
                EvidenceKind::File => {
                    let (name, path) = FILES[rng.index(FILES.len())];
                    item.sha1 = Some(rng.hex(40));
                    item.sha256 = Some(rng.hex(64));
                    item.file_name = Some(name.into());
                    item.file_path = Some(path.into());
                    item.detection_status = Some(if rng.chance(0.5) {
                        "Prevented"
                    } else {
                        "Detected"
                    });
                }
                EvidenceKind::User => {
                    item.account = Some(details.user.into());
                    item.domain = Some(details.netbios.clone());
                    item.sid = Some(format!(
                        "S-1-5-21-{}-{}-{}-{}",
                        rng.range(100_000_000, 999_999_999),
                        rng.range(100_000_000, 999_999_999),
                        rng.range(100_000_000, 999_999_999),
                        rng.range(1_100, 9_999)
                    ));
                    item.aad_user_id =
                        Some(Rng::new(&[seed, tenant_index, key_of(details.user)]).guid());
                    item.upn = Some(details.upn());
                }
                EvidenceKind::Ip => {
                    item.ip = Some(format!("203.0.113.{}", rng.range(2, 254)));
                    item.detection_status = Some("Detected");
                }
                EvidenceKind::Url => {
                    item.url = Some(URLS[rng.index(URLS.len())].into());
                    item.detection_status = Some("Blocked");
                }
                EvidenceKind::Registry => {
                    item.registry_key =
                        Some(r"SOFTWARE\Microsoft\Windows\CurrentVersion\Run".into());
                    item.registry_hive = Some("HKEY_LOCAL_MACHINE".into());
                    item.registry_value_type = Some("String".into());
                    item.registry_value = Some(r"C:\ProgramData\Temp\setup_free.exe".into());
                    item.detection_status = Some("Detected");
                }
            }
            item
        })
        .collect()
}
