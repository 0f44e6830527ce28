//! [`HttpSettings`]: how HTTP clients are built.

use std::fmt;
use std::time::Duration;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use url::Url;

use crate::error::{Error, Result};

/// Timeouts, proxy, extra trusted CA and user agent of an HTTP client.
///
/// TLS verification is always on and redirects are never followed; there is
/// no setting to change either.
///
/// ```
/// use std::time::Duration;
/// use defender_siem::transport::HttpSettings;
///
/// let client = HttpSettings::new()
///     .timeout(Duration::from_secs(20))
///     .build_client()?;
/// # drop(client);
/// # Ok::<(), defender_siem::Error>(())
/// ```
#[derive(Clone)]
#[must_use]
pub struct HttpSettings {
    timeout: Duration,
    connect_timeout: Duration,
    proxy: Option<Url>,
    extra_roots: Vec<Vec<u8>>,
    user_agent: Option<String>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            proxy: None,
            extra_roots: Vec::new(),
            user_agent: None,
        }
    }
}

impl HttpSettings {
    /// The defaults listed on each setter.
    pub fn new() -> Self {
        HttpSettings::default()
    }

    /// Time allowed for a whole request, response body included. Default 30 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Time allowed to open a connection. Default 10 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sends every request through this proxy (`http://user:pass@host:port`).
    /// Default: none (the `HTTPS_PROXY` environment variable is ignored).
    pub fn proxy(mut self, proxy: Url) -> Self {
        self.proxy = Some(proxy);
        self
    }

    /// Trusts the certificates of this PEM bundle in addition to the
    /// built-in roots (a corporate TLS proxy, a local simulator). Checked by
    /// [`HttpSettings::build_client`]. Default: none.
    pub fn add_root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.extra_roots.push(pem.into());
        self
    }

    /// The `User-Agent` header. Default: reqwest's.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// The request timeout.
    pub fn request_timeout(&self) -> Duration {
        self.timeout
    }

    /// Builds a client with these settings, checking them first.
    pub fn build_client(&self) -> Result<reqwest::Client> {
        if self.timeout.is_zero() || self.connect_timeout.is_zero() {
            return Err(Error::Config(
                "HTTP timeouts must be greater than zero".into(),
            ));
        }
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .https_only(false)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .no_proxy();
        if let Some(ua) = &self.user_agent {
            builder = builder.user_agent(ua.as_str());
        }
        if let Some(proxy) = &self.proxy {
            let proxy = reqwest::Proxy::all(proxy.as_str()).map_err(|_| {
                Error::Config(format!(
                    "proxy `{}` is not a usable proxy URL",
                    redacted(proxy)
                ))
            })?;
            builder = builder.proxy(proxy);
        }
        for (i, pem) in self.extra_roots.iter().enumerate() {
            let mut found = 0;
            for der in CertificateDer::pem_slice_iter(pem) {
                let der = der.map_err(|e| {
                    Error::Config(format!("extra CA bundle #{i} is not valid PEM: {e}"))
                })?;
                let cert = reqwest::Certificate::from_der(der.as_ref()).map_err(|_| {
                    Error::Config(format!(
                        "extra CA bundle #{i} holds an unreadable certificate"
                    ))
                })?;
                builder = builder.add_root_certificate(cert);
                found += 1;
            }
            if found == 0 {
                return Err(Error::Config(format!(
                    "extra CA bundle #{i} holds no PEM certificate"
                )));
            }
        }
        builder.build().map_err(|e| {
            Error::Config(format!(
                "HTTP client could not be built: {}",
                e.without_url()
            ))
        })
    }
}

/// A URL with its password replaced, for messages and `Debug`.
fn redacted(url: &Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        let _ = shown.set_password(Some("***"));
    }
    shown.set_query(None);
    shown.to_string()
}

impl fmt::Debug for HttpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpSettings")
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("proxy", &self.proxy.as_ref().map(redacted))
            .field("extra_roots", &self.extra_roots.len())
            .field("user_agent", &self.user_agent)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_proxy_password() {
        let s = HttpSettings::new().proxy(Url::parse("http://bob:hunter2@proxy:3128").unwrap());
        let text = format!("{s:?}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("proxy:3128"));
    }

    #[test]
    fn rejects_bad_ca_and_zero_timeout() {
        let err = HttpSettings::new()
            .add_root_certificate_pem("not pem")
            .build_client()
            .unwrap_err();
        assert!(err.to_string().contains("no PEM certificate"), "{err}");
        let err = HttpSettings::new()
            .timeout(Duration::ZERO)
            .build_client()
            .unwrap_err();
        assert!(err.to_string().contains("timeouts"));
    }
}
