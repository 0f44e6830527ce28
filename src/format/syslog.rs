//! What syslog messages share: the facility, the payload, the host name
//! and truncation of oversized payloads.

use std::fmt;
use std::str::FromStr;

use super::{cef, json, leef};
use crate::error::Error;
use crate::record::AlertRecord;

/// The text appended to a payload that was cut to fit a size limit.
pub const TRUNCATION_MARKER: &str = "...[truncated]";

/// A syslog facility (RFC 5424 §6.2.1). Default `local0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Facility(u8);

impl Default for Facility {
    fn default() -> Self {
        Facility::LOCAL0
    }
}

impl Facility {
    /// `local0` (16).
    pub const LOCAL0: Facility = Facility(16);
    /// `auth` (4).
    pub const AUTH: Facility = Facility(4);
    /// `authpriv` (10).
    pub const AUTHPRIV: Facility = Facility(10);
    /// `log audit` (13).
    pub const AUDIT: Facility = Facility(13);

    const NAMES: [&'static str; 24] = [
        "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
        "authpriv", "ftp", "ntp", "audit", "alert", "clock", "local0", "local1", "local2",
        "local3", "local4", "local5", "local6", "local7",
    ];

    /// The facility with this number (0–23).
    pub fn from_code(code: u8) -> Result<Self, Error> {
        if code <= 23 {
            Ok(Facility(code))
        } else {
            Err(Error::Config(format!(
                "syslog facility {code} is not in 0..=23"
            )))
        }
    }

    /// The facility number.
    pub fn code(self) -> u8 {
        self.0
    }
}

impl FromStr for Facility {
    type Err = Error;
    /// A name (`local0`, `auth`, …) or a number.
    fn from_str(s: &str) -> Result<Self, Error> {
        if let Ok(n) = s.parse::<u8>() {
            return Facility::from_code(n);
        }
        Facility::NAMES
            .iter()
            .position(|n| n.eq_ignore_ascii_case(s))
            .map(|i| Facility(i as u8))
            .ok_or_else(|| Error::Config(format!("unknown syslog facility `{s}`")))
    }
}

impl fmt::Display for Facility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            Facility::NAMES
                .get(usize::from(self.0))
                .copied()
                .unwrap_or("?"),
        )
    }
}

/// What the syslog MSG part holds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Payload {
    /// The raw alert JSON (default).
    #[default]
    Json,
    /// The raw alert JSON in the tenant envelope ([`json::encode_envelope`]).
    JsonEnvelope,
    /// A CEF record.
    Cef(cef::CefOptions),
    /// A LEEF 2.0 record.
    Leef(leef::LeefOptions),
}

impl Payload {
    /// Appends the payload for `record`.
    pub fn encode(&self, record: &AlertRecord, out: &mut Vec<u8>) {
        match self {
            Payload::Json => json::encode(record, out),
            Payload::JsonEnvelope => json::encode_envelope(record, out),
            Payload::Cef(o) => cef::encode(record, o, out),
            Payload::Leef(o) => leef::encode(record, o, out),
        }
    }
}

/// Where the HOSTNAME field comes from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Hostname {
    /// The alert's device (`computerDnsName`), the machine the event is
    /// about; `-` (RFC 5424) when the alert has none. The default.
    #[default]
    Device,
    /// A fixed name, such as the forwarder's own host name.
    Fixed(String),
}

impl Hostname {
    pub(crate) fn pick<'a>(&'a self, record: &'a AlertRecord) -> &'a str {
        match self {
            Hostname::Device => record.alert.computer_dns_name.as_deref().unwrap_or(""),
            Hostname::Fixed(name) => name,
        }
    }
}

/// Cuts the payload `out[start..]` so that it ends at most at `limit`
/// bytes of `out`, on a character boundary and never inside a backslash
/// escape, and appends [`TRUNCATION_MARKER`].
pub(crate) fn truncate_payload(out: &mut Vec<u8>, start: usize, limit: usize) {
    let mut cut = limit.saturating_sub(TRUNCATION_MARKER.len()).max(start);
    cut = cut.min(out.len());
    while cut > start && out.get(cut).is_some_and(|b| b & 0xC0 == 0x80) {
        cut -= 1;
    }
    let backslashes = out[start..cut]
        .iter()
        .rev()
        .take_while(|b| **b == b'\\')
        .count();
    if backslashes % 2 == 1 {
        cut -= 1;
    }
    out.truncate(cut);
    out.extend_from_slice(TRUNCATION_MARKER.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facility_names() {
        assert_eq!("local0".parse::<Facility>().unwrap(), Facility::LOCAL0);
        assert_eq!("LOCAL7".parse::<Facility>().unwrap().code(), 23);
        assert_eq!("4".parse::<Facility>().unwrap(), Facility::AUTH);
        assert!("local9".parse::<Facility>().is_err());
        assert!(Facility::from_code(24).is_err());
        assert_eq!(Facility::default().to_string(), "local0");
    }

    #[test]
    fn truncation_respects_characters_and_escapes() {
        let mut out = "HDR 日本\\\\x".as_bytes().to_vec();
        truncate_payload(&mut out, 4, 4 + 4 + TRUNCATION_MARKER.len());
        assert_eq!(out, format!("HDR 日{TRUNCATION_MARKER}").as_bytes());
        let mut out = b"HDR ab\\\\cd".to_vec();
        truncate_payload(&mut out, 4, 4 + 3 + TRUNCATION_MARKER.len());
        assert_eq!(out, format!("HDR ab{TRUNCATION_MARKER}").as_bytes());
    }
}
