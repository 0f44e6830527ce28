//! The forwarder's configuration file (TOML), checked before anything runs.
//!
//! ```toml
//! [defaults]
//! cloud = "public"                 # public | gcc | gcc-high | dod
//! poll_interval = "60s"
//! overlap = "10m"
//! page_size = 1000
//! checkpoint_dir = "./checkpoints"
//! quarantine_file = "./checkpoints/quarantine.jsonl"  # alerts that cannot be read (the default)
//! client_id = "00000000-0000-0000-0000-000000000000"  # the MSSP's multi-tenant app
//! client_secret = "${DEFENDER_CLIENT_SECRET}"
//! proxy = "http://proxy.mssp.example:3128"  # or "environment"; default none
//! no_proxy = ["siem.mssp.internal"]         # reached directly
//! # allow_plain_http = true  # only for a test rig: see below
//!
//! [[tenants]]
//! id = "a839b112-1253-6432-9bf6-94542403f21c"
//! name = "Contoso"
//!
//! [[sinks]]
//! name = "archive"
//! type = "file"
//! path = "alerts.jsonl"
//! ```
//!
//! `${NAME}` in any string is replaced by the environment variable `NAME`
//! (`$${` writes a literal `${`). Every error names the file, the line and
//! the key (and, in a `[[sinks]]` entry, the sink); an error about a secret
//! key (`client_secret`, `token`, `password`) never shows any part of its
//! value. The full key reference is in the README.
//!
//! No credential in clear text: every URL a credential or token goes to
//! (`authority_host`, `api_base`, a Splunk HEC `url`, a Sentinel
//! `endpoint`) must be `https://`, or plain `http://` to a loopback host
//! (`127.0.0.0/8`, `::1`, `localhost`), unless `[defaults]
//! allow_plain_http = true`, which logs a warning for each such host. An
//! e-mail sink's `smtp+plain://` with a `username`/`password` must go to
//! a loopback host. No URL key may hold user info (`user:password@`) or a
//! query string: credentials have their own keys. `Debug` shows URLs as
//! `scheme://host:port/path` only.
//!
//! ```
//! use defender_siem::config::ForwarderConfig;
//!
//! let text = |url: &str| format!(r#"
//!     [[tenants]]
//!     id = "contoso.onmicrosoft.com"
//!     client_id = "app"
//!     client_secret = "s"
//!     [[sinks]]
//!     name = "splunk"
//!     type = "splunk_hec"
//!     url = "{url}"
//!     token = "t"
//! "#);
//! let e = ForwarderConfig::parse(&text("http://splunk.example:8088"), "f.toml").unwrap_err();
//! assert!(e.to_string().contains("`sinks[0].url`: `http://splunk.example` would send"), "{e}");
//! assert!(ForwarderConfig::parse(&text("http://127.0.0.1:8088"), "f.toml").is_ok());
//! ```
//!
//! Every `[[sinks]]` entry has a `name`, a `type` and an optional `filter`;
//! the other keys belong to the type and are read by its settings, which
//! live beside the sink and are the payload of [`SinkKind`]:
//!
//! | `type` | settings | feature |
//! |---|---|---|
//! | `splunk_hec` | `sink::splunk_hec::SplunkHecSettings` | `splunk` |
//! | `sentinel` | `sink::sentinel::SentinelSettings` | `sentinel` |
//! | `syslog` | `sink::syslog::SyslogSettings` | `syslog` |
//! | `file` | [`FileSinkSettings`](crate::sink::FileSinkSettings) | always |
//! | `email` | `sink::email::EmailSinkSettings` | `email` |
//!
//! ```
//! use defender_siem::config::{ForwarderConfig, SinkKind};
//!
//! let text = r#"
//!     [[tenants]]
//!     id = "contoso.onmicrosoft.com"
//!     client_id = "app"
//!     client_secret = "s"
//!     [[sinks]]
//!     name = "archive"
//!     type = "file"
//!     path = "alerts.jsonl"
//!     rotate_bytes = 104857600
//! "#;
//! let config = ForwarderConfig::parse(text, "inline")?;
//! let SinkKind::File(file) = &config.sinks[0].kind else { unreachable!() };
//! assert_eq!(file.rotate_bytes, Some(104_857_600));
//!
//! // A key of another sink type is refused, naming it, the sink and the line.
//! let wrong = text.replace("rotate_bytes", "token");
//! let error = ForwarderConfig::parse(&wrong, "inline").unwrap_err().to_string();
//! assert!(error.contains("`sinks[0].token`: does not apply to type file"), "{error}");
//! # Ok::<(), defender_siem::Error>(())
//! ```

mod build;
mod check;
mod file_mode;
mod raw;
mod sink;
mod text;

use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

use crate::cloud::Cloud;
use crate::error::{Error, Result};
use crate::models::{AlertStatus, DetectionSource, Severity, Timestamp};
use crate::secret::Secret;
use crate::tenant::{TenantId, TenantInfo};
use crate::transport::Proxy;

pub use sink::SinkKind;
pub use text::parse_duration;

// For the settings of each sink type, beside the sink.
#[cfg(feature = "email")]
pub(crate) use check::{severities, strings, tenants};
#[cfg(any(feature = "splunk", feature = "sentinel", feature = "syslog"))]
pub(crate) use sink::read_pem;
#[cfg(test)]
pub(crate) use sink::testing;
pub(crate) use sink::{SinkAt, SinkContext, SinkSettings};
pub(crate) use text::{SecretText, Text};

/// A checked forwarder configuration.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ForwarderConfig {
    /// `[defaults]`.
    pub defaults: Defaults,
    /// `[[tenants]]`, at least one.
    pub tenants: Vec<TenantConfig>,
    /// `[[sinks]]`, at least one, with unique names.
    pub sinks: Vec<SinkConfig>,
}

/// `[defaults]`: settings for every tenant.
#[derive(Clone)]
#[non_exhaustive]
pub struct Defaults {
    /// `cloud`: `public` (default), `gcc`, `gcc-high` or `dod`.
    pub cloud: Cloud,
    /// `authority_host`: replaces the Entra sign-in URL.
    pub authority_host: Option<Url>,
    /// `api_base`: replaces the Defender API URL (a regional host or a simulator).
    pub api_base: Option<Url>,
    /// `ca_cert`: an extra trusted CA (PEM) for the Defender and Entra calls.
    pub ca_cert: Option<PathBuf>,
    /// `poll_interval`, default `60s`.
    pub poll_interval: Duration,
    /// `overlap`, default `10m`.
    pub overlap: Duration,
    /// `page_size`, 1–10,000, default 1,000.
    pub page_size: u32,
    /// `batch_size`, default 500.
    pub batch_size: usize,
    /// `tenant_concurrency`, default 8.
    pub tenant_concurrency: usize,
    /// `checkpoint_dir`, default `./checkpoints`.
    pub checkpoint_dir: PathBuf,
    /// `quarantine_file`: the dead-letter file for alerts that cannot be
    /// read ([`ForwarderBuilder::quarantine_file`](crate::forward::ForwarderBuilder::quarantine_file));
    /// default `quarantine.jsonl` in `checkpoint_dir`.
    pub quarantine_file: PathBuf,
    /// `since`: where a first run starts; default 24 hours ago.
    pub since: Option<Timestamp>,
    /// `user_agent`, default `MdatpPartner-DefenderSiem-Forwarder/<version>`.
    pub user_agent: String,
    /// `proxy`: `"http://host:port"` (or `https://`) sends the Defender,
    /// Entra, Splunk HEC and Sentinel requests through that proxy;
    /// `"environment"` uses `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`/`NO_PROXY`;
    /// absent, the default, means no proxy (the environment is ignored).
    pub proxy: Proxy,
    /// `no_proxy`: hosts reached directly although `proxy` is a URL.
    pub no_proxy: Vec<String>,
    /// `allow_plain_http`, default false: accept plain `http://` to hosts
    /// other than loopback in `authority_host`, `api_base` and the Splunk
    /// HEC and Sentinel endpoints, so that credentials and alerts cross the
    /// network in clear (a warning is logged for each such host). Only for
    /// a test rig.
    pub allow_plain_http: bool,
    /// `max_response_bytes` (default 128 MiB), `max_pages_per_poll`
    /// (default 2,000) and `max_retry_wait_per_poll` (default `15m`): what
    /// a server may make one tenant's poll read and wait; see
    /// [`Limits`](crate::client::Limits).
    pub limits: crate::client::Limits,
}

/// A URL as `Debug` shows it: `scheme://host:port/path`, never user info
/// or a query string (either may hold a secret).
pub(crate) fn shown_url(url: &Url) -> String {
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    format!(
        "{}://{}{port}{}",
        url.scheme(),
        url.host_str().unwrap_or_default(),
        url.path()
    )
}

impl std::fmt::Debug for Defaults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Defaults")
            .field("cloud", &self.cloud)
            .field(
                "authority_host",
                &self.authority_host.as_ref().map(shown_url),
            )
            .field("api_base", &self.api_base.as_ref().map(shown_url))
            .field("ca_cert", &self.ca_cert)
            .field("poll_interval", &self.poll_interval)
            .field("overlap", &self.overlap)
            .field("page_size", &self.page_size)
            .field("batch_size", &self.batch_size)
            .field("tenant_concurrency", &self.tenant_concurrency)
            .field("checkpoint_dir", &self.checkpoint_dir)
            .field("since", &self.since)
            .field("user_agent", &self.user_agent)
            .field("proxy", &self.proxy)
            .field("no_proxy", &self.no_proxy)
            .field("allow_plain_http", &self.allow_plain_http)
            .field("limits", &self.limits)
            .finish()
    }
}

/// One `[[tenants]]` entry.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TenantConfig {
    /// `id` and `name` (the name defaults to the id).
    pub info: TenantInfo,
    /// `client_id`, or the one in `[defaults]`.
    pub client_id: String,
    /// `client_secret`, or the one in `[defaults]`.
    pub client_secret: Secret,
}

/// One `[[sinks]]` entry.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SinkConfig {
    /// `name`: unique; keys the checkpoints.
    pub name: String,
    /// `filter`.
    pub filter: FilterConfig,
    /// `type` and its keys.
    pub kind: SinkKind,
    /// The line of the entry in the file.
    pub line: usize,
}

/// A sink's `filter = { … }`: which alerts it gets. Empty lists mean all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FilterConfig {
    /// `min_severity`.
    pub min_severity: Option<Severity>,
    /// `severities`.
    pub severities: Vec<Severity>,
    /// `statuses`.
    pub statuses: Vec<AlertStatus>,
    /// `tenants`.
    pub tenants: Vec<TenantId>,
    /// `device_groups` (`rbacGroupName`).
    pub device_groups: Vec<String>,
    /// `categories`.
    pub categories: Vec<String>,
    /// `detection_sources`.
    pub detection_sources: Vec<DetectionSource>,
}

impl ForwarderConfig {
    /// Reads and checks a configuration file. A file that group or others
    /// may read is read all the same, with a warning naming it and its mode.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        file_mode::warn_if_open_to_others(path);
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Checks configuration text; `origin` (a file name) starts every error.
    /// `${NAME}` references are read from the process environment.
    pub fn parse(text: &str, origin: &str) -> Result<Self> {
        check::check(text, origin)
    }

    /// Like [`ForwarderConfig::parse`], with `lookup` answering `${NAME}`
    /// references instead of the environment (a secret store, or tests).
    ///
    /// ```
    /// use defender_siem::config::ForwarderConfig;
    ///
    /// let text = r#"
    ///     [[tenants]]
    ///     id = "contoso.onmicrosoft.com"
    ///     client_id = "app"
    ///     client_secret = "${CONTOSO_SECRET}"
    ///     [[sinks]]
    ///     name = "archive"
    ///     type = "file"
    ///     path = "alerts.jsonl"
    /// "#;
    /// let config = ForwarderConfig::parse_with_lookup(text, "inline", |name| {
    ///     (name == "CONTOSO_SECRET").then(|| "from-the-vault".to_owned())
    /// })?;
    /// assert_eq!(config.tenants[0].client_secret.expose(), "from-the-vault");
    /// # Ok::<(), defender_siem::Error>(())
    /// ```
    pub fn parse_with_lookup(
        text: &str,
        origin: &str,
        lookup: impl Fn(&str) -> Option<String> + 'static,
    ) -> Result<Self> {
        text::with_lookup(std::rc::Rc::new(lookup), || check::check(text, origin))
    }
}
