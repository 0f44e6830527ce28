//! [`SentinelBuilder`]: settings of a [`SentinelSink`].

use std::fmt;
use std::sync::Arc;

use url::Url;

use super::sink::SentinelSink;
use crate::auth::TokenProvider;
use crate::error::Error;
use crate::format::SentinelRow;
use crate::tenant::TenantId;
use crate::transport::HttpSettings;

/// The Logs Ingestion scope on the public cloud.
pub const DEFAULT_SCOPE: &str = "https://monitor.azure.com//.default";

/// Settings of a [`SentinelSink`]; see [`SentinelSink::builder`].
#[derive(Clone)]
#[must_use]
pub struct SentinelBuilder {
    pub(super) endpoint: String,
    pub(super) dcr_id: String,
    pub(super) stream: String,
    pub(super) tokens: Arc<dyn TokenProvider>,
    pub(super) tenant: TenantId,
    pub(super) scope: String,
    pub(super) gzip: bool,
    pub(super) max_chunk_bytes: usize,
    pub(super) row: SentinelRow,
    pub(super) http: HttpSettings,
    pub(super) allow_plain_http: bool,
}

impl fmt::Debug for SentinelBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SentinelBuilder")
            .field("endpoint", &self.endpoint)
            .field("dcr_id", &self.dcr_id)
            .field("stream", &self.stream)
            .field("tenant", &self.tenant)
            .field("scope", &self.scope)
            .field("gzip", &self.gzip)
            .field("max_chunk_bytes", &self.max_chunk_bytes)
            .field("http", &self.http)
            .field("allow_plain_http", &self.allow_plain_http)
            .finish_non_exhaustive()
    }
}

impl SentinelBuilder {
    pub(super) fn new(
        endpoint: &str,
        dcr_id: &str,
        stream: &str,
        tokens: Arc<dyn TokenProvider>,
        tenant: TenantId,
    ) -> Self {
        SentinelBuilder {
            endpoint: endpoint.to_owned(),
            dcr_id: dcr_id.to_owned(),
            stream: stream.to_owned(),
            tokens,
            tenant,
            scope: DEFAULT_SCOPE.to_owned(),
            gzip: true,
            max_chunk_bytes: 1024 * 1024,
            row: SentinelRow::default(),
            http: HttpSettings::for_uploads(),
            allow_plain_http: false,
        }
    }

    /// Token scope. Default `https://monitor.azure.com//.default`; use
    /// `https://monitor.azure.us//.default` (US Government) or
    /// `https://monitor.azure.cn//.default` (Azure China) on those clouds.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = scope.into();
        self
    }
    /// gzip request bodies. Default on.
    pub fn gzip(mut self, gzip: bool) -> Self {
        self.gzip = gzip;
        self
    }
    /// Largest chunk of uncompressed JSON. Default 1 MiB (the API limit).
    pub fn max_chunk_bytes(mut self, bytes: usize) -> Self {
        self.max_chunk_bytes = bytes;
        self
    }
    /// Portal base for the `AlertLink` column. Default the public portal.
    pub fn portal_base(mut self, base: Url) -> Self {
        self.row = self.row.portal_base(base);
        self
    }
    crate::transport::http_setters!("the rows sent to the Logs Ingestion API", "for_uploads");

    /// Accepts a plain `http://` endpoint on a host other than loopback, so
    /// that the bearer token and every alert cross the network in clear:
    /// only for a test rig. `build` logs a warning naming the host.
    /// Default: off (`build` refuses such an endpoint). The token
    /// provider's authority is checked by the credential itself.
    pub fn allow_plain_http(mut self, allow: bool) -> Self {
        self.allow_plain_http = allow;
        self
    }

    /// Checks the settings and builds the sink.
    pub fn build(self) -> Result<SentinelSink, Error> {
        let id_ok = |s: &str| {
            !s.is_empty()
                && s.len() <= 128
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if !id_ok(&self.dcr_id) {
            return Err(Error::Config(
                "sentinel: the DCR immutable id must look like `dcr-0123…` (letters, digits, `-`)"
                    .into(),
            ));
        }
        if !id_ok(&self.stream) {
            return Err(Error::Config(
                "sentinel: the stream name must look like `Custom-DefenderAlerts_CL`".into(),
            ));
        }
        if self.max_chunk_bytes < 1024 {
            return Err(Error::Config(
                "sentinel: chunks must allow at least 1 KiB".into(),
            ));
        }
        SentinelSink::from_builder(self)
    }
}

// ---------------------------------------------------------------------------
// The `[[sinks]]` settings of the configuration file (their own imports
// here, so that this section stays apart from the builder above).

use std::path::PathBuf;

use serde::Deserialize;

use crate::auth::{ClientSecretCredential, TokenSource};
use crate::config::{SecretText, SinkAt, SinkContext, SinkSettings, Text, read_pem};
use crate::secret::Secret;
use crate::sink::AlertSink;

/// The `[[sinks]]` settings of a `type = "sentinel"` sink in the
/// forwarder's configuration file: the Logs Ingestion endpoint, the DCR and
/// the ingestion app's credentials.
///
/// ```toml
/// [[sinks]]
/// name = "sentinel"
/// type = "sentinel"
/// endpoint = "https://dce-1.eastus-1.ingest.monitor.azure.com"
/// dcr_immutable_id = "dcr-000a00a000a00000a000000aa000a0aa"
/// stream = "Custom-DefenderAlerts_CL"
/// tenant_id = "b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c"
/// client_id = "22222222-2222-3333-4444-555555555555"
/// client_secret = "${INGEST_SECRET}"
/// ca_cert = "proxy-ca.pem"    # optional
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct SentinelSettings {
    /// `endpoint`: the DCE or the DCR's logs-ingestion endpoint.
    pub endpoint: Url,
    /// `dcr_immutable_id`.
    pub dcr_immutable_id: String,
    /// `stream`, for example `Custom-DefenderAlerts_CL`.
    pub stream: String,
    /// `tenant_id` of the ingestion app.
    pub tenant_id: TenantId,
    /// `client_id` of the ingestion app.
    pub client_id: String,
    /// `client_secret` of the ingestion app.
    pub client_secret: Secret,
    /// `ca_cert`: an extra trusted CA (PEM).
    pub ca_cert: Option<PathBuf>,
}

impl fmt::Debug for SentinelSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL without user info or query (either may hold a secret).
        f.debug_struct("SentinelSettings")
            .field("endpoint", &crate::config::shown_url(&self.endpoint))
            .field("dcr_immutable_id", &self.dcr_immutable_id)
            .field("stream", &self.stream)
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("ca_cert", &self.ca_cert)
            .finish()
    }
}

/// The keys of a Sentinel sink as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSentinel {
    endpoint: Option<Text>,
    dcr_immutable_id: Option<Text>,
    stream: Option<Text>,
    tenant_id: Option<Text>,
    client_id: Option<Text>,
    client_secret: Option<SecretText>,
    ca_cert: Option<Text>,
}

impl SinkSettings for SentinelSettings {
    type Raw = RawSentinel;

    fn check(raw: RawSentinel, at: &SinkAt<'_>) -> Result<Self, Error> {
        Ok(SentinelSettings {
            endpoint: at.required_credential_url(raw.endpoint, "endpoint")?,
            dcr_immutable_id: at.required(raw.dcr_immutable_id, "dcr_immutable_id")?,
            stream: at.required(raw.stream, "stream")?,
            tenant_id: TenantId::new(at.required(raw.tenant_id, "tenant_id")?)
                .map_err(|e| at.error("tenant_id", e))?,
            client_id: at.required(raw.client_id, "client_id")?,
            client_secret: Secret::new(
                at.required(raw.client_secret.map(Text::from), "client_secret")?,
            ),
            ca_cert: raw.ca_cert.map(|t| PathBuf::from(t.0)),
        })
    }

    fn build(&self, at: &SinkContext<'_>) -> Result<Arc<dyn AlertSink>, Error> {
        let tokens: Arc<dyn TokenProvider> = Arc::new(
            ClientSecretCredential::new(&self.client_id, self.client_secret.clone())?
                .with_endpoints(at.endpoints())
                .allow_plain_http(at.allow_plain_http())
                .with_http_client(at.entra())
                .cached(),
        );
        let mut b = SentinelSink::builder(
            self.endpoint.as_str(),
            &self.dcr_immutable_id,
            &self.stream,
            tokens,
            self.tenant_id.clone(),
        )
        .http(at.http())
        .allow_plain_http(at.allow_plain_http())
        .portal_base(at.endpoints().portal().clone());
        if let Some(path) = &self.ca_cert {
            b = b.extra_ca_pem(read_pem(path)?);
        }
        Ok(at.named(b.build()?))
    }
}

#[cfg(test)]
mod settings_tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use crate::config::SinkKind;
    use crate::config::testing::{SECRET, parse_sink, refused};

    const SENTINEL: &str = "[[sinks]]\nname = \"s\"\ntype = \"sentinel\"\nendpoint = \"https://dce.example\"\ndcr_immutable_id = \"dcr-0\"\nstream = \"Custom-A_CL\"\ntenant_id = \"t2.example\"\nclient_id = \"app\"\nclient_secret = \"${TEST_SECRET}\"\n";

    #[test]
    fn reads_the_keys_and_hides_the_client_secret() {
        let config = parse_sink(SENTINEL).unwrap();
        let SinkKind::Sentinel(sentinel) = &config.kind else {
            panic!("{config:?}")
        };
        assert_eq!(sentinel.client_secret.expose(), SECRET);
        assert_eq!(sentinel.tenant_id.as_str(), "t2.example");
        assert!(!format!("{config:?} {config:#?}").contains(SECRET));
    }

    #[test]
    fn refuses_unknown_and_foreign_keys_and_bad_values() {
        refused(
            &format!("{SENTINEL}scope = \"x\"\n"),
            &["f.toml:14: unknown field `scope` in sink `s` (type sentinel)"],
        );
        refused(
            &format!("{SENTINEL}token = \"${{TEST_SECRET}}\"\n"),
            &[
                "f.toml:5: `sinks[0].token`: does not apply to type sentinel (line 14; it is a key of type splunk_hec)",
            ],
        );
        refused(
            &SENTINEL.replace("t2.example", "not a tenant"),
            &[
                "f.toml:5: `sinks[0].tenant_id`: invalid configuration: `not a tenant` is not a tenant id",
            ],
        );
        refused(
            &SENTINEL.replace("https://dce.example", "dce"),
            &["f.toml:5: `sinks[0].endpoint`: not a URL"],
        );
    }
}
