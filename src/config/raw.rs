//! The file as written: every key optional, unknown keys refused. Turned
//! into the checked [`super::ForwarderConfig`] by `super::check`. The
//! `[[sinks]]` tables are read apart, by `super::sink` and the settings of
//! each sink type.

use serde::Deserialize;
use toml::Spanned;

use super::text::{SecretText, Span, Text};

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFile {
    #[serde(default)]
    pub(crate) defaults: RawDefaults,
    #[serde(default)]
    pub(crate) tenants: Vec<Spanned<RawTenant>>,
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
    pub(crate) quarantine_file: Option<Text>,
    pub(crate) since: Option<Spanned<Text>>,
    pub(crate) user_agent: Option<Text>,
    pub(crate) client_id: Option<Text>,
    pub(crate) client_secret: Option<SecretText>,
    // May hold the proxy's `user:password@`.
    pub(crate) proxy: Option<Spanned<SecretText>>,
    pub(crate) no_proxy: Option<Spanned<Vec<Text>>>,
    pub(crate) allow_plain_http: Option<bool>,
    pub(crate) max_response_bytes: Option<Spanned<u64>>,
    pub(crate) max_pages_per_poll: Option<Spanned<u32>>,
    pub(crate) max_retry_wait_per_poll: Option<Span>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTenant {
    pub(crate) id: Spanned<Text>,
    pub(crate) name: Option<Text>,
    pub(crate) client_id: Option<Text>,
    pub(crate) client_secret: Option<SecretText>,
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
