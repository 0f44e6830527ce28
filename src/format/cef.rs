//! CEF (ArcSight Common Event Format), following Microsoft's own Defender
//! → ArcSight mapping, adapted to today's alert fields.
//!
//! Header: `CEF:0|Microsoft|Microsoft Defender ATP|2.0|<detectorId>|<title>|<0–10>|`
//! (vendor, product and version as Microsoft's connector sent them, so
//! existing ArcSight content keeps matching; all three configurable). The
//! class id is `detectorId`, else `category`; the name is `title`.
//!
//! | alert field | CEF key | label |
//! |---|---|---|
//! | `id` | `externalId` | |
//! | `lastUpdateTime` (epoch ms) | `rt` | |
//! | `category` | `cat` | |
//! | `detectionSource` | `sourceServiceName` | |
//! | `computerDnsName` (and its domain) | `shost` (`sourceDnsDomain`) | |
//! | `machineId` | `deviceExternalId` | |
//! | `relatedUser` (or first user evidence) | `suser`, `sntdom` | |
//! | first file/process evidence | `fname`, `filePath`, `fileHash` (SHA-1), `cs6` | `Sha256` |
//! | first IP / URL evidence | `src`, `request` | |
//! | `firstEventTime`, `lastEventTime` | `start`, `end` | |
//! | `incidentId` | `cn3` | `IncidentId` |
//! | `threatName` (or `threatFamilyName`) | `cs1` | `ThreatName` |
//! | `actorName` | `cs4` | `Actor` |
//! | `status` | `cs5` | `Status` (Microsoft's `Md5`; alerts no longer carry one) |
//! | portal link (`?tid=`) | `flexString1` | `LinkToWDATP` |
//! | `mitreTechniques` (comma separated) | `flexString2` | `MitreTechniques` |
//! | `alertCreationTime` | `deviceCustomDate1` | `AlertCreationTime` |
//! | `description` | `msg` | |
//! | tenant id, tenant name | `cs2`, `cs3` | `TenantId`, `TenantName` |
//!
//! Severity: UnSpecified 0, Informational 1, Low 3, Medium 5, High 8,
//! `critical` 10. Escaping: in the header `\` → `\\`, `|` → `\|`, control
//! characters → space, fields cut to the spec's lengths (name 512); in the
//! extension `\` → `\\`, `=` → `\=`, CR/LF → `\r`/`\n`, TAB → space, other
//! control characters → U+FFFD. The record always ends with a constant
//! label, never with a value's trailing spaces.

use url::Url;

use super::facts;
use super::text::{cef_extension, cef_header, int};
use crate::cloud::Cloud;
use crate::record::AlertRecord;

/// Header identity and the portal used for links.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct CefOptions {
    vendor: String,
    product: String,
    version: String,
    portal_base: Url,
}

impl Default for CefOptions {
    fn default() -> Self {
        CefOptions {
            vendor: "Microsoft".into(),
            product: "Microsoft Defender ATP".into(),
            version: "2.0".into(),
            portal_base: Cloud::Public.portal_base(),
        }
    }
}

impl CefOptions {
    /// Device vendor. Default `Microsoft`.
    pub fn vendor(mut self, vendor: impl Into<String>) -> Self {
        self.vendor = vendor.into();
        self
    }
    /// Device product. Default `Microsoft Defender ATP`.
    pub fn product(mut self, product: impl Into<String>) -> Self {
        self.product = product.into();
        self
    }
    /// Device version. Default `2.0` (the mapping version).
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into();
        self
    }
    /// Portal base for `flexString1`. Default the public cloud's portal.
    pub fn portal_base(mut self, base: Url) -> Self {
        self.portal_base = base;
        self
    }
}

struct Ext<'o> {
    out: &'o mut Vec<u8>,
    first: bool,
}

impl Ext<'_> {
    fn key(&mut self, key: &str) {
        if !self.first {
            self.out.push(b' ');
        }
        self.first = false;
        self.out.extend_from_slice(key.as_bytes());
        self.out.push(b'=');
    }
    fn str(&mut self, key: &str, value: Option<&str>) {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            self.key(key);
            cef_extension(self.out, v);
        }
    }
    fn labelled(&mut self, key: &str, value: Option<&str>, label: &str) {
        if value.is_some_and(|v| !v.is_empty()) {
            self.str(key, value);
            self.label(key, label);
        }
    }
    fn label(&mut self, key: &str, label: &str) {
        self.out.push(b' ');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"Label=");
        self.out.extend_from_slice(label.as_bytes());
    }
    fn millis(&mut self, key: &str, value: Option<i64>) {
        if let Some(v) = value {
            self.key(key);
            int(self.out, v);
        }
    }
}

/// Appends one CEF record (no syslog prefix, no line end).
pub fn encode(record: &AlertRecord, opts: &CefOptions, out: &mut Vec<u8>) {
    let a = &record.alert;
    out.extend_from_slice(b"CEF:0|");
    cef_header(out, &opts.vendor, 63);
    out.push(b'|');
    cef_header(out, &opts.product, 63);
    out.push(b'|');
    cef_header(out, &opts.version, 31);
    out.push(b'|');
    let class = a.detector_id.as_deref().or(a.category.as_deref());
    cef_header(out, class.unwrap_or("DefenderAlert"), 1023);
    out.push(b'|');
    cef_header(out, a.title.as_deref().unwrap_or("Defender alert"), 512);
    out.push(b'|');
    int(out, i64::from(facts::cef_severity(a.severity.as_ref())));
    out.push(b'|');

    let mut e = Ext { out, first: true };
    e.str("externalId", a.id.as_deref());
    e.millis("rt", a.last_update_time.map(|t| t.unix_millis()));
    e.str("cat", a.category.as_deref());
    e.str(
        "sourceServiceName",
        a.detection_source.as_ref().map(|d| d.as_str()),
    );
    let host = a.computer_dns_name.as_deref();
    e.str("shost", host);
    e.str("sourceDnsDomain", host.and_then(facts::dns_domain));
    e.str("deviceExternalId", a.machine_id.as_deref());
    let (user, domain) = facts::user(a);
    e.str("suser", user);
    e.str("sntdom", domain);
    if let Some(file) = facts::first_file(a) {
        e.str("fname", file.file_name.as_deref());
        e.str("filePath", file.file_path.as_deref());
        e.str("fileHash", file.sha1.as_deref());
        e.labelled("cs6", file.sha256.as_deref(), "Sha256");
    }
    e.str("src", facts::first_evidence(a, |ev| ev.ip_address.as_ref()));
    e.str("request", facts::first_evidence(a, |ev| ev.url.as_ref()));
    e.millis("start", a.first_event_time.map(|t| t.unix_millis()));
    e.millis("end", a.last_event_time.map(|t| t.unix_millis()));
    if let Some(incident) = a.incident_id {
        e.key("cn3");
        int(e.out, incident);
        e.label("cn3", "IncidentId");
    }
    let threat = a.threat_name.as_deref().or(a.threat_family_name.as_deref());
    e.labelled("cs1", threat, "ThreatName");
    e.labelled("cs4", a.actor_name.as_deref(), "Actor");
    e.labelled("cs5", a.status.as_ref().map(|s| s.as_str()), "Status");
    let link = facts::portal_link(record, &opts.portal_base);
    e.labelled("flexString1", link.as_ref().map(Url::as_str), "LinkToWDATP");
    let techniques = a.mitre_techniques.as_ref().map(|t| t.join(","));
    e.labelled("flexString2", techniques.as_deref(), "MitreTechniques");
    if let Some(created) = a.alert_creation_time {
        e.millis("deviceCustomDate1", Some(created.unix_millis()));
        e.label("deviceCustomDate1", "AlertCreationTime");
    }
    e.str("msg", a.description.as_deref());
    e.key("cs2");
    cef_extension(e.out, record.tenant.id.as_str());
    e.label("cs2", "TenantId");
    e.key("cs3");
    cef_extension(e.out, &record.tenant.name);
    e.label("cs3", "TenantName");
}
