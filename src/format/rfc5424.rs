//! RFC 5424 syslog messages.
//!
//! ```text
//! <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [defender@32473 tenantId="…" alertId="…" severity="…"] MSG
//! ```
//!
//! * PRI = facility × 8 + severity; facility default `local0`, severity
//!   from the alert: `critical` 2, High 3, Medium 4, Low 5, else 6.
//! * TIMESTAMP is the alert's `lastUpdateTime` (else `alertCreationTime`,
//!   else `-`) in UTC with at most 6 fraction digits.
//! * HOSTNAME (≤ 255), APP-NAME (≤ 48, default `defender-siem`), PROCID
//!   (≤ 128, default `-`) and MSGID (≤ 32, default `alert`) hold printable
//!   US-ASCII only: other characters become `_`, empty values `-`.
//! * PARAM-VALUEs escape `"`, `\` and `]` with a backslash; CR/LF become
//!   `\r`/`\n`, TAB a space, other control characters U+FFFD.
//! * MSG is the payload (JSON by default, or CEF or LEEF), which never
//!   holds a raw CR or LF.
//!
//! **BOM.** RFC 5424 lets MSG be any octets (MSG-ANY) or a BOM followed by
//! UTF-8. By default no BOM is written: a BOM in front of a JSON or CEF
//! payload breaks the parsers that read the payload (Splunk, QRadar and
//! jq see three stray bytes). Receivers that want the MSG-UTF8 form get it
//! with [`Rfc5424Options::bom`].
//!
//! **Truncation.** When a size limit is given and the message would exceed
//! it, the payload (never the header) is cut on a character boundary,
//! [`TRUNCATION_MARKER`](super::TRUNCATION_MARKER) is appended, and the SD
//! element gains `truncated="<original payload bytes>"`.

use super::facts;
use super::syslog::{Facility, Hostname, Payload, truncate_payload};
use super::text::{int, print_us_ascii, rfc3339_micros, sd_value};
use crate::record::AlertRecord;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// RFC 5424 header fields and the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Rfc5424Options {
    facility: Facility,
    hostname: Hostname,
    app_name: String,
    procid: String,
    msgid: String,
    sd_id: String,
    bom: bool,
    payload: Payload,
}

impl Default for Rfc5424Options {
    fn default() -> Self {
        Rfc5424Options {
            facility: Facility::LOCAL0,
            hostname: Hostname::Device,
            app_name: "defender-siem".into(),
            procid: String::new(),
            msgid: "alert".into(),
            sd_id: "defender@32473".into(),
            bom: false,
            payload: Payload::Json,
        }
    }
}

impl Rfc5424Options {
    /// True when the payload is the raw alert JSON (plain or in the tenant
    /// envelope), not a text format made from the typed view.
    pub fn carries_raw_json(&self) -> bool {
        matches!(self.payload, Payload::Json | Payload::JsonEnvelope)
    }

    /// Facility. Default `local0`.
    pub fn facility(mut self, facility: Facility) -> Self {
        self.facility = facility;
        self
    }
    /// HOSTNAME source. Default the alert's device.
    pub fn hostname(mut self, hostname: Hostname) -> Self {
        self.hostname = hostname;
        self
    }
    /// APP-NAME. Default `defender-siem`.
    pub fn app_name(mut self, name: impl Into<String>) -> Self {
        self.app_name = name.into();
        self
    }
    /// PROCID. Default `-`.
    pub fn procid(mut self, procid: impl Into<String>) -> Self {
        self.procid = procid.into();
        self
    }
    /// MSGID. Default `alert`.
    pub fn msgid(mut self, msgid: impl Into<String>) -> Self {
        self.msgid = msgid.into();
        self
    }
    /// SD-ID of the structured-data element. Default `defender@32473`
    /// (32473 is the example enterprise number of RFC 5612; use your own).
    /// Characters not allowed in an SD-NAME become `_`.
    pub fn sd_id(mut self, id: impl Into<String>) -> Self {
        self.sd_id = id.into();
        self
    }
    /// Writes the UTF-8 BOM before MSG. Default off (see the module docs).
    pub fn bom(mut self, bom: bool) -> Self {
        self.bom = bom;
        self
    }
    /// The payload. Default JSON.
    pub fn payload(mut self, payload: Payload) -> Self {
        self.payload = payload;
        self
    }
}

/// Appends one RFC 5424 message (no framing).
pub fn encode(record: &AlertRecord, opts: &Rfc5424Options, out: &mut Vec<u8>) {
    encode_limited(record, opts, None, out);
}

/// Appends one RFC 5424 message of at most `limit` bytes (when the header
/// alone fits). Returns the payload's original length when it was cut.
pub fn encode_limited(
    record: &AlertRecord,
    opts: &Rfc5424Options,
    limit: Option<usize>,
    out: &mut Vec<u8>,
) -> Option<usize> {
    let start = out.len();
    let a = &record.alert;
    let severity = facts::syslog_severity(a.severity.as_ref());
    out.push(b'<');
    int(out, i64::from(opts.facility.code() * 8 + severity));
    out.extend_from_slice(b">1 ");
    match facts::event_time(a) {
        Some(t) => rfc3339_micros(out, t),
        None => out.push(b'-'),
    }
    out.push(b' ');
    print_us_ascii(out, opts.hostname.pick(record), 255);
    out.push(b' ');
    print_us_ascii(out, &opts.app_name, 48);
    out.push(b' ');
    print_us_ascii(out, &opts.procid, 128);
    out.push(b' ');
    print_us_ascii(out, &opts.msgid, 32);
    out.extend_from_slice(b" [");
    sd_name(out, &opts.sd_id);
    out.extend_from_slice(b" tenantId=\"");
    sd_value(out, record.tenant.id.as_str());
    out.extend_from_slice(b"\" alertId=\"");
    sd_value(out, a.id.as_deref().unwrap_or(""));
    out.extend_from_slice(b"\" severity=\"");
    sd_value(out, a.severity.as_ref().map_or("", |s| s.as_str()));
    out.push(b'"');
    let sd_end = out.len();
    out.extend_from_slice(b"] ");
    if opts.bom {
        out.extend_from_slice(BOM);
    }
    let payload_start = out.len();
    opts.payload.encode(record, out);
    let limit = limit?;
    if out.len() - start <= limit {
        return None;
    }
    let original = out.len() - payload_start;
    let param = format!(" truncated=\"{original}\"");
    truncate_payload(
        out,
        payload_start,
        (start + limit).saturating_sub(param.len()),
    );
    out.splice(sd_end..sd_end, param.into_bytes());
    Some(original)
}

/// An SD-NAME: printable US-ASCII except `=`, space, `]` and `"`, 1–32
/// characters (the part after `@` included).
fn sd_name(out: &mut Vec<u8>, s: &str) {
    let begin = out.len();
    for c in s.chars().take(32) {
        let ok = ('!'..='~').contains(&c) && !matches!(c, '=' | ']' | '"');
        out.push(if ok { c as u8 } else { b'_' });
    }
    if out.len() == begin {
        out.extend_from_slice(b"defender@32473");
    }
}
