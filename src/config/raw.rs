//! The file as written: every key optional, unknown keys refused. Turned
//! into the checked [`super::ForwarderConfig`] by `super::check`.

use serde::Deserialize;
use toml::Spanned;

use super::text::{Span, Text};

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFile {
    #[serde(default)]
    pub(crate) defaults: RawDefaults,
    #[serde(default)]
    pub(crate) tenants: Vec<Spanned<RawTenant>>,
    #[serde(default)]
    pub(crate) sinks: Vec<Spanned<RawSink>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDefaults {
    pub(crate) cloud: Option<Spanned<Text>>,
    pub(crate) authority_host: Option<Spanned<Text>>,
    pub(crate) api_base: Option<Spanned<Text>>,
    pub(crate) ca_cert: Option<Text>,
    pub(crate) poll_interval: Option<Span>,
    pub(crate) overlap: Option<Span>,
    pub(crate) page_size: Option<Spanned<u32>>,
    pub(crate) batch_size: Option<Spanned<usize>>,
    pub(crate) tenant_concurrency: Option<Spanned<usize>>,
    pub(crate) checkpoint_dir: Option<Text>,
    pub(crate) since: Option<Spanned<Text>>,
    pub(crate) user_agent: Option<Text>,
    pub(crate) client_id: Option<Text>,
    pub(crate) client_secret: Option<Text>,
    pub(crate) proxy: Option<Spanned<Text>>,
    pub(crate) no_proxy: Option<Spanned<Vec<Text>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTenant {
    pub(crate) id: Spanned<Text>,
    pub(crate) name: Option<Text>,
    pub(crate) client_id: Option<Text>,
    pub(crate) client_secret: Option<Text>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFilter {
    pub(crate) min_severity: Option<Text>,
    pub(crate) severities: Option<Vec<Text>>,
    pub(crate) statuses: Option<Vec<Text>>,
    pub(crate) tenants: Option<Vec<Text>>,
    pub(crate) device_groups: Option<Vec<Text>>,
    pub(crate) categories: Option<Vec<Text>>,
    pub(crate) detection_sources: Option<Vec<Text>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRule {
    pub(crate) name: Text,
    pub(crate) severities: Option<Vec<Text>>,
    pub(crate) device_groups: Option<Vec<Text>>,
    pub(crate) tenants: Option<Vec<Text>>,
    pub(crate) recipients: Vec<Text>,
    pub(crate) include_org_name: Option<bool>,
    pub(crate) include_portal_link: Option<bool>,
    pub(crate) include_device_info: Option<bool>,
}

/// One `[[sinks]]` table: the keys of every sink type, checked per type.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSink {
    pub(crate) name: Option<Text>,
    #[serde(rename = "type")]
    pub(crate) kind: Option<Text>,
    pub(crate) filter: Option<RawFilter>,
    // splunk_hec
    pub(crate) url: Option<Text>,
    pub(crate) token: Option<Text>,
    pub(crate) index: Option<Text>,
    pub(crate) sourcetype: Option<Text>,
    pub(crate) source: Option<Text>,
    pub(crate) gzip: Option<bool>,
    pub(crate) ack: Option<bool>,
    // sentinel
    pub(crate) endpoint: Option<Text>,
    pub(crate) dcr_immutable_id: Option<Text>,
    pub(crate) stream: Option<Text>,
    pub(crate) tenant_id: Option<Text>,
    pub(crate) client_id: Option<Text>,
    pub(crate) client_secret: Option<Text>,
    // syslog
    pub(crate) address: Option<Text>,
    pub(crate) transport: Option<Text>,
    pub(crate) framing: Option<Text>,
    pub(crate) protocol: Option<Text>,
    pub(crate) format: Option<Text>,
    pub(crate) max_message_size: Option<usize>,
    // file
    pub(crate) path: Option<Text>,
    pub(crate) rotate_bytes: Option<u64>,
    // email
    pub(crate) smtp: Option<Text>,
    pub(crate) from: Option<Text>,
    pub(crate) username: Option<Text>,
    pub(crate) password: Option<Text>,
    pub(crate) rules: Option<Vec<RawRule>>,
    // several types
    pub(crate) ca_cert: Option<Text>,
}

impl RawSink {
    /// The type-specific keys that are set, for "does not apply" errors.
    pub(crate) fn set_keys(&self) -> Vec<&'static str> {
        let mut keys = Vec::new();
        let mut note = |set: bool, key: &'static str| {
            if set {
                keys.push(key);
            }
        };
        note(self.url.is_some(), "url");
        note(self.token.is_some(), "token");
        note(self.index.is_some(), "index");
        note(self.sourcetype.is_some(), "sourcetype");
        note(self.source.is_some(), "source");
        note(self.gzip.is_some(), "gzip");
        note(self.ack.is_some(), "ack");
        note(self.endpoint.is_some(), "endpoint");
        note(self.dcr_immutable_id.is_some(), "dcr_immutable_id");
        note(self.stream.is_some(), "stream");
        note(self.tenant_id.is_some(), "tenant_id");
        note(self.client_id.is_some(), "client_id");
        note(self.client_secret.is_some(), "client_secret");
        note(self.address.is_some(), "address");
        note(self.transport.is_some(), "transport");
        note(self.framing.is_some(), "framing");
        note(self.protocol.is_some(), "protocol");
        note(self.format.is_some(), "format");
        note(self.max_message_size.is_some(), "max_message_size");
        note(self.path.is_some(), "path");
        note(self.rotate_bytes.is_some(), "rotate_bytes");
        note(self.smtp.is_some(), "smtp");
        note(self.from.is_some(), "from");
        note(self.username.is_some(), "username");
        note(self.password.is_some(), "password");
        note(self.rules.is_some(), "rules");
        note(self.ca_cert.is_some(), "ca_cert");
        keys
    }
}
