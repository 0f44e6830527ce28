//! RFC 3164 (BSD) syslog messages, for receivers that predate RFC 5424.
//!
//! ```text
//! <PRI>Mmm dd hh:mm:ss HOSTNAME TAG: MSG
//! ```
//!
//! * PRI as in [`rfc5424`](super::rfc5424) (facility default `local0`).
//! * The timestamp is the alert's `lastUpdateTime` (else
//!   `alertCreationTime`, else the `now` the caller passes) in **UTC**:
//!   RFC 3164 has no zone, and a forwarder serving many tenants has no
//!   single local time to pick.
//! * HOSTNAME is printable US-ASCII (others → `_`, empty → `-`), ≤ 255.
//! * TAG (default `defender-siem`) keeps letters, digits, `-`, `_` and `.`
//!   (others → `_`), ≤ 32 characters.
//! * MSG is the payload (JSON, CEF or LEEF). RFC 3164 suggests 1024 bytes
//!   per packet; the formatter never cuts by itself, the syslog sink's size
//!   limit does (before framing, marked).

use chrono::{DateTime, Utc};

use super::facts;
use super::syslog::{Facility, Hostname, Payload, truncate_payload};
use super::text::{bsd_timestamp, int, print_us_ascii};
use crate::record::AlertRecord;

/// RFC 3164 header fields and the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Rfc3164Options {
    facility: Facility,
    hostname: Hostname,
    tag: String,
    payload: Payload,
}

impl Default for Rfc3164Options {
    fn default() -> Self {
        Rfc3164Options {
            facility: Facility::LOCAL0,
            hostname: Hostname::Device,
            tag: "defender-siem".into(),
            payload: Payload::Json,
        }
    }
}

impl Rfc3164Options {
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
    /// TAG. Default `defender-siem`.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tag = tag.into();
        self
    }
    /// The payload. Default JSON.
    pub fn payload(mut self, payload: Payload) -> Self {
        self.payload = payload;
        self
    }
}

/// Appends one RFC 3164 message (no framing). `now` is used only for an
/// alert that carries no time at all.
pub fn encode(record: &AlertRecord, opts: &Rfc3164Options, now: DateTime<Utc>, out: &mut Vec<u8>) {
    encode_limited(record, opts, now, None, out);
}

/// Appends one RFC 3164 message of at most `limit` bytes (when the header
/// fits). Returns the payload's original length when it was cut.
pub fn encode_limited(
    record: &AlertRecord,
    opts: &Rfc3164Options,
    now: DateTime<Utc>,
    limit: Option<usize>,
    out: &mut Vec<u8>,
) -> Option<usize> {
    let start = out.len();
    let a = &record.alert;
    out.push(b'<');
    int(
        out,
        i64::from(opts.facility.code() * 8 + facts::syslog_severity(a.severity.as_ref())),
    );
    out.push(b'>');
    bsd_timestamp(out, facts::event_time(a).unwrap_or(now));
    out.push(b' ');
    print_us_ascii(out, opts.hostname.pick(record), 255);
    out.push(b' ');
    let tag_start = out.len();
    for c in opts.tag.chars().take(32) {
        let ok = c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
        out.push(if ok { c as u8 } else { b'_' });
    }
    if out.len() == tag_start {
        out.extend_from_slice(b"defender-siem");
    }
    out.extend_from_slice(b": ");
    let payload_start = out.len();
    opts.payload.encode(record, out);
    let limit = limit?;
    if out.len() - start <= limit {
        return None;
    }
    let original = out.len() - payload_start;
    truncate_payload(out, payload_start, start + limit);
    Some(original)
}
