//! The Splunk HTTP Event Collector envelope for one alert.
//!
//! ```text
//! {"time":1674538417.324,"host":"pc1.contoso.com","source":"defender-siem","sourcetype":"ms:defender:atp:alerts","index":"edr","fields":{"tenantId":"…","tenantName":"…"},"event":<raw alert>}
//! ```
//!
//! `time` is `lastUpdateTime` in epoch seconds with up to 6 fraction
//! digits (left out when the alert has no time, so Splunk uses the receipt
//! time); `host` is `computerDnsName` (left out when absent); `index` is
//! left out unless set; `event` is the alert's raw JSON, embedded as the
//! API sent it. The constant part is escaped once, when the envelope
//! settings are built.

use super::text::{epoch_seconds, json_str};
use crate::models::compact_json_into;
use crate::record::AlertRecord;

/// Envelope settings: `source`, `sourcetype`, `index`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct HecEnvelope {
    source: String,
    sourcetype: String,
    index: Option<String>,
    /// `,"source":…,"sourcetype":…[,"index":…],"fields":{"tenantId":`
    constant: Vec<u8>,
}

impl Default for HecEnvelope {
    fn default() -> Self {
        HecEnvelope::new("defender-siem", "ms:defender:atp:alerts", None)
    }
}

impl HecEnvelope {
    /// Settings with these values; the default sourcetype
    /// `ms:defender:atp:alerts` is the one Splunk's Microsoft Security
    /// add-on uses, so its CIM mappings apply.
    pub fn new(source: &str, sourcetype: &str, index: Option<&str>) -> Self {
        let mut env = HecEnvelope {
            source: source.to_owned(),
            sourcetype: sourcetype.to_owned(),
            index: index.map(str::to_owned),
            constant: Vec::new(),
        };
        env.rebuild();
        env
    }

    fn rebuild(&mut self) {
        let mut c = Vec::with_capacity(128);
        c.extend_from_slice(b",\"source\":");
        json_str(&mut c, &self.source);
        c.extend_from_slice(b",\"sourcetype\":");
        json_str(&mut c, &self.sourcetype);
        if let Some(index) = &self.index {
            c.extend_from_slice(b",\"index\":");
            json_str(&mut c, index);
        }
        c.extend_from_slice(b",\"fields\":{\"tenantId\":");
        self.constant = c;
    }

    /// `source`. Default `defender-siem`.
    pub fn source(mut self, source: impl Into<String>) -> Self {
        self.source = source.into();
        self.rebuild();
        self
    }

    /// `sourcetype`. Default `ms:defender:atp:alerts`.
    pub fn sourcetype(mut self, sourcetype: impl Into<String>) -> Self {
        self.sourcetype = sourcetype.into();
        self.rebuild();
        self
    }

    /// `index`. Default none (the token's default index).
    pub fn index(mut self, index: Option<String>) -> Self {
        self.index = index;
        self.rebuild();
        self
    }

    /// Appends the envelope for one record (no separator, no line end).
    pub fn encode(&self, record: &AlertRecord, out: &mut Vec<u8>) {
        let a = &record.alert;
        out.push(b'{');
        let mut first = true;
        if let Some(t) = a.last_update_time.or(a.alert_creation_time) {
            out.extend_from_slice(b"\"time\":");
            epoch_seconds(out, t.as_datetime());
            first = false;
        }
        if let Some(host) = a.computer_dns_name.as_deref().filter(|h| !h.is_empty()) {
            if !first {
                out.push(b',');
            }
            out.extend_from_slice(b"\"host\":");
            json_str(out, host);
            first = false;
        }
        // The constant part starts with a comma; skip it when it comes first.
        let constant = if first {
            &self.constant[1..]
        } else {
            &self.constant[..]
        };
        out.extend_from_slice(constant);
        json_str(out, record.tenant.id.as_str());
        out.extend_from_slice(b",\"tenantName\":");
        json_str(out, &record.tenant.name);
        out.extend_from_slice(b"},\"event\":");
        if record.is_malformed() {
            // An alert no reader could type (a number out of range, nesting
            // too deep) may be one Splunk's parser refuses too: its exact
            // text goes as a string event, which Splunk always takes.
            json_str(out, record.raw.get());
        } else {
            compact_json_into(record.raw.get(), out);
        }
        out.push(b'}');
    }
}
