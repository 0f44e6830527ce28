//! [`SentinelBuilder`]: settings of a [`SentinelSink`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

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
    /// Timeout of one request. Default 60 s. A forward onto
    /// [`HttpSettings::timeout`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.http = self.http.timeout(timeout);
        self
    }
    /// Trusts this CA (PEM) besides the web PKI roots (for a TLS-inspecting
    /// proxy). Each call adds one. A forward onto
    /// [`HttpSettings::add_root_certificate_pem`].
    pub fn extra_ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.http = self.http.add_root_certificate_pem(pem);
        self
    }
    /// **Turns TLS certificate verification off**, exposing the bearer
    /// token to anyone on the path. Lab use only; logs a warning.
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> Self {
        self.http = self.http.danger_accept_invalid_certs(accept);
        self
    }
    /// Sends this sink's requests through this HTTP(S) proxy. Default:
    /// none, and `HTTPS_PROXY` and the like are ignored (for them, pass
    /// [`Proxy::Environment`](crate::transport::Proxy::Environment) to
    /// [`HttpSettings::proxy_mode`] and the settings to `http`). A forward
    /// onto [`HttpSettings::proxy`].
    pub fn proxy(mut self, proxy: Url) -> Self {
        self.http = self.http.proxy(proxy);
        self
    }
    /// All HTTP settings at once (timeouts, proxy, extra CAs, TLS
    /// checking), replacing those set before; the setters above change
    /// single ones. Default [`HttpSettings::for_uploads`] (60 s per
    /// request). The client is named `sentinel` in warnings and errors.
    pub fn http(mut self, http: HttpSettings) -> Self {
        self.http = http;
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
