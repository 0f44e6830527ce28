//! Pure encoders: one alert in, bytes out. No I/O and no clock; the times
//! in a record come from the alert, and the two formats that need a time
//! for an alert without one (RFC 3164, Sentinel rows) take `now` as an
//! argument.
//!
//! | format | module | what it writes |
//! |---|---|---|
//! | `json` | [`json`] | the raw alert JSON, byte for byte (layout whitespace aside) |
//! | `json-envelope` | [`json`] | `{"tenantId","tenantName","alert":<raw>}` |
//! | `cef` | [`cef`] | ArcSight CEF, Microsoft's Defender mapping |
//! | `leef` | [`leef`] | IBM QRadar LEEF 2.0 |
//! | `rfc5424` | [`rfc5424`] | syslog, RFC 5424, with structured data |
//! | `rfc3164` | [`rfc3164`] | syslog, BSD form |
//! | `ocsf` | [`ocsf`] | OCSF Detection Finding (class 2004) JSON |
//! | `hec` | [`hec`] | one Splunk HEC event envelope |
//! | `sentinel` | [`sentinel`] | one `DefenderAlerts_CL` row |
//!
//! **One record, one line.** No encoder ever writes a raw CR or LF,
//! whatever the alert holds: JSON escapes them (and layout whitespace the
//! API sent between tokens is removed); the text formats write CR and LF as
//! the two characters `\r` and `\n`, TAB as a space and other control
//! characters as U+FFFD. Non-ASCII text (Japanese, emoji, U+2028) is kept
//! as UTF-8. Each module documents its own escaping.
//!
//! ```
//! use std::sync::Arc;
//! use defender_siem::format::Format;
//! use defender_siem::sink::AlertRecord;
//! use defender_siem::{TenantId, TenantInfo};
//!
//! let tenant = Arc::new(TenantInfo::new(TenantId::new("contoso.com")?, "Contoso"));
//! let record = AlertRecord::from_json(tenant, r#"{"id":"da1","severity":"High","title":"a|b"}"#)?;
//! let format: Format = "cef".parse()?;
//! let mut line = Vec::new();
//! format.encode(&record, chrono::Utc::now(), &mut line);
//! assert!(line.starts_with(b"CEF:0|Microsoft|Microsoft Defender ATP|2.0|DefenderAlert|a\\|b|8|"));
//! # Ok::<(), defender_siem::Error>(())
//! ```

pub mod cef;
mod facts;
pub mod hec;
pub mod json;
pub mod leef;
pub mod ocsf;
pub mod rfc3164;
pub mod rfc5424;
pub mod sentinel;
mod syslog;
mod text;

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

/// Which characters the text formats show as `<U+XXXX>` instead of
/// writing them (Unicode general category Cf).
pub use crate::unicode::is_format as is_format_character;
pub use cef::CefOptions;
pub use hec::HecEnvelope;
pub use leef::LeefOptions;
pub use ocsf::OcsfOptions;
pub use rfc3164::Rfc3164Options;
pub use rfc5424::Rfc5424Options;
pub use sentinel::SentinelRow;
pub use syslog::{Facility, Hostname, Payload, TRUNCATION_MARKER};

use crate::error::Error;
use crate::record::AlertRecord;

/// Any one of the formats, with its settings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// The raw alert JSON.
    Json,
    /// The raw alert JSON in the tenant envelope.
    JsonEnvelope,
    /// CEF.
    Cef(CefOptions),
    /// LEEF 2.0.
    Leef(LeefOptions),
    /// RFC 5424 syslog.
    Rfc5424(Rfc5424Options),
    /// RFC 3164 syslog.
    Rfc3164(Rfc3164Options),
    /// OCSF Detection Finding.
    Ocsf(OcsfOptions),
    /// Splunk HEC envelope.
    Hec(HecEnvelope),
    /// Sentinel `DefenderAlerts_CL` row.
    Sentinel(SentinelRow),
}

impl Format {
    /// Every name [`Format::from_str`] accepts.
    pub const NAMES: &'static [&'static str] = &[
        "json",
        "json-envelope",
        "cef",
        "leef",
        "rfc5424",
        "rfc3164",
        "ocsf",
        "hec",
        "sentinel",
    ];

    /// The format's name.
    pub fn name(&self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::JsonEnvelope => "json-envelope",
            Format::Cef(_) => "cef",
            Format::Leef(_) => "leef",
            Format::Rfc5424(_) => "rfc5424",
            Format::Rfc3164(_) => "rfc3164",
            Format::Ocsf(_) => "ocsf",
            Format::Hec(_) => "hec",
            Format::Sentinel(_) => "sentinel",
        }
    }

    /// True when the format carries the alert's raw JSON (JSON, the JSON
    /// envelope, OCSF, HEC, Sentinel, and syslog with a JSON payload), so a
    /// record whose typed view is empty ([`AlertRecord::is_malformed`])
    /// still shows the whole alert. The others (CEF, LEEF, syslog with a
    /// CEF or LEEF payload) are made from the typed view only, and the sinks
    /// writing them skip such a record.
    ///
    /// ```
    /// use defender_siem::format::Format;
    ///
    /// assert!("json".parse::<Format>()?.carries_raw_json());
    /// assert!("rfc5424".parse::<Format>()?.carries_raw_json());
    /// assert!(!"cef".parse::<Format>()?.carries_raw_json());
    /// # Ok::<(), defender_siem::Error>(())
    /// ```
    pub fn carries_raw_json(&self) -> bool {
        match self {
            Format::Json
            | Format::JsonEnvelope
            | Format::Ocsf(_)
            | Format::Hec(_)
            | Format::Sentinel(_) => true,
            Format::Rfc5424(o) => o.carries_raw_json(),
            Format::Rfc3164(o) => o.carries_raw_json(),
            Format::Cef(_) | Format::Leef(_) => false,
        }
    }

    /// Appends one record, without a line end. `now` is only used by the
    /// formats that need a time for an alert that has none.
    pub fn encode(&self, record: &AlertRecord, now: DateTime<Utc>, out: &mut Vec<u8>) {
        match self {
            Format::Json => json::encode(record, out),
            Format::JsonEnvelope => json::encode_envelope(record, out),
            Format::Cef(o) => cef::encode(record, o, out),
            Format::Leef(o) => leef::encode(record, o, out),
            Format::Rfc5424(o) => rfc5424::encode(record, o, out),
            Format::Rfc3164(o) => rfc3164::encode(record, o, now, out),
            Format::Ocsf(o) => ocsf::encode(record, o, out),
            Format::Hec(o) => o.encode(record, out),
            Format::Sentinel(o) => o.encode(record, now, out),
        }
    }

    /// Appends one record and a `\n`.
    pub fn encode_line(&self, record: &AlertRecord, now: DateTime<Utc>, out: &mut Vec<u8>) {
        self.encode(record, now, out);
        out.push(b'\n');
    }
}

impl FromStr for Format {
    type Err = Error;
    /// One of [`Format::NAMES`], with default settings.
    fn from_str(s: &str) -> Result<Self, Error> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "json" => Format::Json,
            "json-envelope" => Format::JsonEnvelope,
            "cef" => Format::Cef(CefOptions::default()),
            "leef" => Format::Leef(LeefOptions::default()),
            "rfc5424" => Format::Rfc5424(Rfc5424Options::default()),
            "rfc3164" => Format::Rfc3164(Rfc3164Options::default()),
            "ocsf" => Format::Ocsf(OcsfOptions::default()),
            "hec" => Format::Hec(HecEnvelope::default()),
            "sentinel" => Format::Sentinel(SentinelRow::default()),
            _ => {
                return Err(Error::Config(format!(
                    "unknown format `{s}` (supported: {})",
                    Format::NAMES.join(", ")
                )));
            }
        })
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
