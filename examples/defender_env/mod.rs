//! Settings shared by the `consent` and `list_alerts` examples, read from
#![allow(dead_code)]
//! the environment as a real deployment would.

use std::error::Error;

use defender_siem::cloud::{Cloud, Endpoints};
use defender_siem::models::Timestamp;
use defender_siem::{Secret, TenantId};
use url::Url;

pub type BoxError = Box<dyn Error + Send + Sync>;

/// `DEFENDER_*` settings.
pub struct Settings {
    pub tenant: Option<TenantId>,
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    pub endpoints: Endpoints,
    pub since: Option<Timestamp>,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// `login.microsoftonline.us` or a full URL.
fn host_or_url(name: &str, value: &str) -> Result<Url, BoxError> {
    let text = if value.contains("://") {
        value.to_owned()
    } else {
        format!("https://{value}")
    };
    Url::parse(&text).map_err(|e| format!("{name}: `{value}` is not a host or URL: {e}").into())
}

impl Settings {
    /// Reads `DEFENDER_TENANT_ID`, `DEFENDER_CLIENT_ID`,
    /// `DEFENDER_CLIENT_SECRET`, `DEFENDER_CLOUD` (public|gcc|gcc-high|dod),
    /// `DEFENDER_AUTHORITY_HOST`, `DEFENDER_API_BASE` and `DEFENDER_SINCE`
    /// (RFC 3339); all optional here, each tool says what it needs.
    pub fn from_env() -> Result<Settings, BoxError> {
        let cloud: Cloud = match var("DEFENDER_CLOUD") {
            Some(c) => c.parse().map_err(|e| format!("DEFENDER_CLOUD: {e}"))?,
            None => Cloud::Public,
        };
        let mut endpoints = Endpoints::new(cloud);
        if let Some(host) = var("DEFENDER_AUTHORITY_HOST") {
            endpoints = endpoints.with_authority(host_or_url("DEFENDER_AUTHORITY_HOST", &host)?);
        }
        if let Some(base) = var("DEFENDER_API_BASE") {
            endpoints = endpoints.with_mde_api(host_or_url("DEFENDER_API_BASE", &base)?);
        }
        let tenant = match var("DEFENDER_TENANT_ID") {
            Some(t) => Some(TenantId::new(t).map_err(|e| format!("DEFENDER_TENANT_ID: {e}"))?),
            None => None,
        };
        let since = match var("DEFENDER_SINCE") {
            Some(s) => Some(
                s.parse::<Timestamp>()
                    .map_err(|e| format!("DEFENDER_SINCE: {e}"))?,
            ),
            None => None,
        };
        Ok(Settings {
            tenant,
            client_id: var("DEFENDER_CLIENT_ID"),
            client_secret: var("DEFENDER_CLIENT_SECRET").map(Secret::new),
            endpoints,
            since,
        })
    }
}

/// Logs to stderr; `RUST_LOG=defender_siem=debug` shows more.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
