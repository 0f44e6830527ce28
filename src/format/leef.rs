//! LEEF 2.0 (IBM QRadar Log Event Extended Format).
//!
//! `LEEF:2.0|Microsoft|Microsoft Defender for Endpoint|1.0|<detectorId>|^|devTime=…^sev=…^…`
//!
//! The attributes are separated by a configurable delimiter (default `^`),
//! declared in the sixth header field (as the character itself when it is
//! printable, else as `xHH`).
//!
//! **Making values safe.** LEEF defines no escape sequences, so this crate
//! uses one documented convention that a standard parser (split on the
//! delimiter, then split each pair at its *first* `=`) always reads back
//! into the right keys:
//!
//! * the delimiter inside a value becomes `\xHH` (its hex code, for `^`
//!   that is `\x5e`), so splitting on the delimiter never cuts a value;
//! * `\` becomes `\\`, so the escapes above stay unambiguous;
//! * CR and LF become `\r` and `\n`, so a record is always one line;
//! * TAB becomes a space (unless it is the delimiter), other control
//!   characters become U+FFFD;
//! * `=` is kept: keys never contain `=`, and a pair is split at its first
//!   `=`, so an `=` in a value cannot start a new key.
//!
//! Header fields follow the same rules with `|` as the delimiter (`\x7c`).
//!
//! Keys: `devTime` (epoch ms of `lastUpdateTime`), `sev` (1–10), `cat`,
//! `identHostName`, `usrName`, `domain`, `src`, `url`, then `alertId`,
//! `title`, `status`, `detectionSource`, `threatName`, `machineId`,
//! `deviceGroup`, `incidentId`, `mitreTechniques`, `fileName`, `filePath`,
//! `sha1`, `sha256`, `alertCreationTime`, `firstEventTime`,
//! `lastEventTime` (epoch ms), `link`, `description`, `tenantId`,
//! `tenantName`.

use url::Url;

use super::facts;
use super::text::{int, leef_value};
use crate::cloud::Cloud;
use crate::error::Error;
use crate::models::Timestamp;
use crate::record::AlertRecord;

/// Header identity, delimiter and the portal used for links.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct LeefOptions {
    vendor: String,
    product: String,
    version: String,
    delimiter: u8,
    portal_base: Url,
}

impl Default for LeefOptions {
    fn default() -> Self {
        LeefOptions {
            vendor: "Microsoft".into(),
            product: "Microsoft Defender for Endpoint".into(),
            version: "1.0".into(),
            delimiter: b'^',
            portal_base: Cloud::Public.portal_base(),
        }
    }
}

impl LeefOptions {
    /// Vendor. Default `Microsoft`.
    pub fn vendor(mut self, vendor: impl Into<String>) -> Self {
        self.vendor = vendor.into();
        self
    }
    /// Product. Default `Microsoft Defender for Endpoint`.
    pub fn product(mut self, product: impl Into<String>) -> Self {
        self.product = product.into();
        self
    }
    /// Product version. Default `1.0`.
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into();
        self
    }
    /// Portal base for `link`. Default the public cloud's portal.
    pub fn portal_base(mut self, base: Url) -> Self {
        self.portal_base = base;
        self
    }

    /// The attribute delimiter. Default `^`. Must be an ASCII punctuation
    /// character other than `=`, `\`, `|` and `-`, or TAB. (`-` would
    /// split numbers: times before 1970 and ids are written unescaped and
    /// can be negative.)
    pub fn delimiter(mut self, delimiter: char) -> Result<Self, Error> {
        let ok = delimiter == '\t'
            || (delimiter.is_ascii_punctuation() && !matches!(delimiter, '=' | '\\' | '|' | '-'));
        if !ok {
            return Err(Error::Config(format!(
                "LEEF delimiter {delimiter:?} is not allowed: use TAB or ASCII punctuation other than `=`, `\\`, `|` and `-`"
            )));
        }
        self.delimiter = delimiter as u8;
        Ok(self)
    }

    /// The delimiter in use.
    pub fn delimiter_char(&self) -> char {
        char::from(self.delimiter)
    }
}

struct Attrs<'o> {
    out: &'o mut Vec<u8>,
    delimiter: u8,
    first: bool,
}

impl Attrs<'_> {
    fn key(&mut self, key: &str) {
        if !self.first {
            self.out.push(self.delimiter);
        }
        self.first = false;
        self.out.extend_from_slice(key.as_bytes());
        self.out.push(b'=');
    }
    fn str(&mut self, key: &str, value: Option<&str>) {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            self.key(key);
            leef_value(self.out, v, self.delimiter);
        }
    }
    fn num(&mut self, key: &str, value: Option<i64>) {
        if let Some(v) = value {
            self.key(key);
            int(self.out, v);
        }
    }
    fn time(&mut self, key: &str, value: Option<Timestamp>) {
        self.num(key, value.map(|t| t.unix_millis()));
    }
}

/// Appends one LEEF 2.0 record (no syslog prefix, no line end).
pub fn encode(record: &AlertRecord, opts: &LeefOptions, out: &mut Vec<u8>) {
    let a = &record.alert;
    out.extend_from_slice(b"LEEF:2.0|");
    for field in [&opts.vendor, &opts.product, &opts.version] {
        leef_value(out, field, b'|');
        out.push(b'|');
    }
    let event_id = a.detector_id.as_deref().or(a.category.as_deref());
    let event_id = event_id.unwrap_or("DefenderAlert");
    let cut = event_id
        .char_indices()
        .nth(255)
        .map_or(event_id, |(i, _)| &event_id[..i]);
    leef_value(out, cut, b'|');
    out.push(b'|');
    if opts.delimiter.is_ascii_graphic() {
        out.push(opts.delimiter);
    } else {
        out.extend_from_slice(format!("x{:02X}", opts.delimiter).as_bytes());
    }
    out.push(b'|');

    let mut at = Attrs {
        out,
        delimiter: opts.delimiter,
        first: true,
    };
    at.time("devTime", a.last_update_time.or(a.alert_creation_time));
    at.num(
        "sev",
        Some(i64::from(facts::leef_severity(a.severity.as_ref()))),
    );
    at.str("cat", a.category.as_deref());
    at.str("identHostName", a.computer_dns_name.as_deref());
    let (user, domain) = facts::user(a);
    at.str("usrName", user);
    at.str("domain", domain);
    at.str("src", facts::first_evidence(a, |e| e.ip_address.as_ref()));
    at.str("url", facts::first_evidence(a, |e| e.url.as_ref()));
    at.str("alertId", a.id.as_deref());
    at.str("title", a.title.as_deref());
    at.str("status", a.status.as_ref().map(|s| s.as_str()));
    at.str(
        "detectionSource",
        a.detection_source.as_ref().map(|d| d.as_str()),
    );
    let threat = a.threat_name.as_deref().or(a.threat_family_name.as_deref());
    at.str("threatName", threat);
    at.str("machineId", a.machine_id.as_deref());
    at.str("deviceGroup", a.rbac_group_name.as_deref());
    at.num("incidentId", a.incident_id);
    let techniques = a.mitre_techniques.as_ref().map(|t| t.join(","));
    at.str("mitreTechniques", techniques.as_deref());
    if let Some(file) = facts::first_file(a) {
        at.str("fileName", file.file_name.as_deref());
        at.str("filePath", file.file_path.as_deref());
        at.str("sha1", file.sha1.as_deref());
        at.str("sha256", file.sha256.as_deref());
    }
    at.time("alertCreationTime", a.alert_creation_time);
    at.time("firstEventTime", a.first_event_time);
    at.time("lastEventTime", a.last_event_time);
    let link = facts::portal_link(record, &opts.portal_base);
    at.str("link", link.as_ref().map(Url::as_str));
    at.str("description", a.description.as_deref());
    at.str("tenantId", Some(record.tenant.id.as_str()));
    at.key("tenantName");
    leef_value(at.out, &record.tenant.name, opts.delimiter);
}
