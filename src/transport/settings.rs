//! [`HttpSettings`]: how every HTTP client of the crate is built.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use url::Url;

use crate::error::{Error, Result};

/// Which proxy, if any, an HTTP client sends its requests through.
///
/// The default is [`Proxy::None`]: a client talks to its hosts directly and
/// ignores `HTTPS_PROXY` and the like, so that a bearer token or an HEC
/// token never goes to a proxy nobody configured for this program.
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Proxy {
    /// No proxy; proxy environment variables are ignored. The default.
    #[default]
    None,
    /// Every request goes through this proxy (`http://user:pass@host:port`
    /// or `https://…`), loopback hosts included, except the hosts named in
    /// [`HttpSettings::no_proxy`]. [`HttpSettings::proxy`] sets this.
    Url(Url),
    /// The proxy the environment names, as reqwest reads it:
    /// `ALL_PROXY`, `HTTPS_PROXY` (https targets), `HTTP_PROXY` (http
    /// targets; ignored when `REQUEST_METHOD` is set, as in CGI), each also
    /// in lower case, and `NO_PROXY` for the exceptions. There is no
    /// built-in exception: without `NO_PROXY`, requests to `127.0.0.1` and
    /// `localhost` go through the proxy too.
    Environment,
}

impl From<Url> for Proxy {
    fn from(url: Url) -> Self {
        Proxy::Url(url)
    }
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Proxy::None => f.write_str("None"),
            Proxy::Url(url) => f.debug_tuple("Url").field(&redacted(url)).finish(),
            Proxy::Environment => f.write_str("Environment"),
        }
    }
}

/// Timeouts, proxy, trusted CAs, TLS checking and user agent of an HTTP
/// client. Every client of the crate is made by
/// [`HttpSettings::build_client`]: the Defender client, the Entra token
/// providers and the Splunk HEC and Sentinel sinks.
///
/// Every client uses rustls with the Mozilla roots plus any extra CA added
/// here, and never follows a redirect, so a token only goes to the host it
/// was meant for; there is no setting to change that.
///
/// Default timeouts: [`HttpSettings::new`] allows 30 s per request and
/// 10 s to connect, which suits the Defender API's GETs and token requests.
/// [`HttpSettings::for_uploads`] allows 60 s per request, because a sink's
/// POST of up to 1 MiB (gzipped) to a busy indexer can take longer than a
/// GET; the HEC and Sentinel sinks start from it. The connect timeout is
/// the same for both: a connection that takes more than 10 s is not coming,
/// and the retry policy tries again.
///
/// ```
/// use std::time::Duration;
/// use defender_siem::transport::{HttpSettings, Proxy};
///
/// let client = HttpSettings::new()
///     .timeout(Duration::from_secs(20))
///     .proxy_mode(Proxy::Url("http://proxy.example:3128".parse()?))
///     .no_proxy(["login.microsoftonline.com"])
///     .build_client()?;
/// # drop(client);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
#[must_use]
pub struct HttpSettings {
    timeout: Duration,
    connect_timeout: Duration,
    proxy: Proxy,
    no_proxy: Vec<String>,
    extra_roots: Vec<Vec<u8>>,
    user_agent: String,
    accept_invalid_certs: bool,
    component: Cow<'static, str>,
}

/// The request timeout of [`HttpSettings::new`].
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The request timeout of [`HttpSettings::for_uploads`].
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(60);
/// The connect timeout of both.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: CONNECT_TIMEOUT,
            proxy: Proxy::None,
            no_proxy: Vec::new(),
            extra_roots: Vec::new(),
            user_agent: concat!("defender-siem/", env!("CARGO_PKG_VERSION")).to_owned(),
            accept_invalid_certs: false,
            component: Cow::Borrowed("http"),
        }
    }
}

impl HttpSettings {
    /// The defaults listed on each setter: 30 s per request, 10 s to
    /// connect, no proxy.
    pub fn new() -> Self {
        HttpSettings::default()
    }

    /// The defaults, with 60 s per request instead of 30 s: for the sinks,
    /// which post bodies of up to 1 MiB.
    pub fn for_uploads() -> Self {
        HttpSettings::default().timeout(UPLOAD_TIMEOUT)
    }

    /// Time allowed for a whole request, response body included. Default
    /// 30 s ([`HttpSettings::for_uploads`]: 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Time allowed to open a connection. Default 10 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sends every request through this proxy (`http://user:pass@host:port`):
    /// short for `proxy_mode(Proxy::Url(proxy))`. Default: none (the
    /// `HTTPS_PROXY` environment variable is ignored).
    pub fn proxy(self, proxy: Url) -> Self {
        self.proxy_mode(Proxy::Url(proxy))
    }

    /// Which proxy to use: [`Proxy::None`] (the default: no proxy, and the
    /// environment is ignored), [`Proxy::Url`] or [`Proxy::Environment`].
    pub fn proxy_mode(mut self, proxy: Proxy) -> Self {
        self.proxy = proxy;
        self
    }

    /// Hosts reached directly although a [`Proxy::Url`] is set: a domain
    /// (which covers its subdomains), an IP address, a network such as
    /// `10.0.0.0/8`, or `*` for every host. Ports are not matched. Replaces
    /// the list set before. Ignored with [`Proxy::Environment`], which
    /// reads `NO_PROXY` instead. Default: none.
    pub fn no_proxy<S: Into<String>>(mut self, hosts: impl IntoIterator<Item = S>) -> Self {
        self.no_proxy = hosts.into_iter().map(Into::into).collect();
        self
    }

    /// Trusts the certificates of this PEM bundle in addition to the
    /// built-in roots (a corporate TLS proxy, a private CA, a local
    /// simulator). Each call adds a bundle. Checked by
    /// [`HttpSettings::build_client`]. Default: none.
    pub fn add_root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.extra_roots.push(pem.into());
        self
    }

    /// The `User-Agent` header. Default `defender-siem/<crate version>`
    /// (the Defender client sets its own partner user agent).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// **Turns TLS certificate verification off.** Anyone on the network
    /// path can then read and change what the client sends, tokens
    /// included. For lab setups only; building the client logs a warning
    /// naming the [component](HttpSettings::component). Default off.
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> Self {
        self.accept_invalid_certs = accept;
        self
    }

    /// The name of what uses the client (`splunk_hec`, `defender`,
    /// `entra`), put in warnings and errors. Default `http`.
    pub fn component(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.component = name.into();
        self
    }

    /// The request timeout.
    pub fn request_timeout(&self) -> Duration {
        self.timeout
    }

    /// The proxy setting.
    pub fn proxy_setting(&self) -> &Proxy {
        &self.proxy
    }

    /// Builds a client with these settings, checking them first.
    pub fn build_client(&self) -> Result<reqwest::Client> {
        let component = &*self.component;
        let fail = |message: String| Error::Config(format!("{component}: {message}"));
        if self.timeout.is_zero() || self.connect_timeout.is_zero() {
            return Err(fail("HTTP timeouts must be greater than zero".into()));
        }
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .https_only(false)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .user_agent(self.user_agent.as_str());
        builder = match &self.proxy {
            // `no_proxy()` also switches off reading the environment.
            Proxy::None => builder.no_proxy(),
            Proxy::Url(url) => {
                if !matches!(url.scheme(), "http" | "https") {
                    return Err(fail(format!(
                        "proxy `{}` must be an http:// or https:// URL",
                        redacted(url)
                    )));
                }
                let mut proxy = reqwest::Proxy::all(url.as_str()).map_err(|_| {
                    fail(format!(
                        "proxy `{}` is not a usable proxy URL",
                        redacted(url)
                    ))
                })?;
                if !self.no_proxy.is_empty() {
                    proxy = proxy.no_proxy(reqwest::NoProxy::from_string(&self.no_proxy.join(",")));
                }
                // An explicit proxy also switches off reading the environment.
                builder.proxy(proxy)
            }
            // reqwest's default: the environment, read when the client is built.
            Proxy::Environment => builder,
        };
        for (i, pem) in self.extra_roots.iter().enumerate() {
            let mut found = 0;
            for der in CertificateDer::pem_slice_iter(pem) {
                let der =
                    der.map_err(|e| fail(format!("extra CA bundle #{i} is not valid PEM: {e}")))?;
                let cert = reqwest::Certificate::from_der(der.as_ref()).map_err(|_| {
                    fail(format!(
                        "extra CA bundle #{i} holds an unreadable certificate"
                    ))
                })?;
                builder = builder.add_root_certificate(cert);
                found += 1;
            }
            if found == 0 {
                return Err(fail(format!(
                    "extra CA bundle #{i} holds no PEM certificate"
                )));
            }
        }
        if self.accept_invalid_certs {
            tracing::warn!(
                component,
                "TLS certificate verification is OFF (danger_accept_invalid_certs): \
                 anyone on the network path can read and change what {component} sends"
            );
            builder = builder.danger_accept_invalid_certs(true);
        }
        builder.build().map_err(|e| {
            fail(format!(
                "the HTTP client could not be built: {}",
                e.without_url()
            ))
        })
    }
}

/// A URL with its password replaced and no query, for messages and `Debug`.
pub(crate) fn redacted(url: &Url) -> String {
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
            .field("proxy", &self.proxy)
            .field("no_proxy", &self.no_proxy)
            .field("extra_roots", &self.extra_roots.len())
            .field("user_agent", &self.user_agent)
            .field("accept_invalid_certs", &self.accept_invalid_certs)
            .field("component", &self.component)
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
    fn errors_hide_proxy_password_and_refuse_other_schemes() {
        let err = HttpSettings::new()
            .component("splunk_hec")
            .proxy(Url::parse("ftp://bob:hunter2@proxy:21").unwrap())
            .build_client()
            .unwrap_err()
            .to_string();
        assert!(!err.contains("hunter2"), "{err}");
        assert!(err.contains("splunk_hec: proxy `ftp://bob:***@"), "{err}");
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

    #[test]
    fn upload_timeout_is_longer() {
        assert_eq!(HttpSettings::new().request_timeout(), DEFAULT_TIMEOUT);
        assert_eq!(
            HttpSettings::for_uploads().request_timeout(),
            UPLOAD_TIMEOUT
        );
        assert_eq!(HttpSettings::new().proxy_setting(), &Proxy::None);
    }

    /// A proxy on loopback that answers every request itself with 200 and
    /// counts what it got; the target is an unused port, so only a request
    /// that went through the proxy can succeed.
    async fn counting_proxy() -> (Url, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
        let count = Arc::new(AtomicUsize::new(0));
        let seen = count.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                seen.fetch_add(1, Ordering::SeqCst);
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf).await;
                let _ = stream
                    .write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                    )
                    .await;
            }
        });
        (url, count)
    }

    #[tokio::test]
    async fn no_proxy_hosts_bypass_the_proxy() {
        use std::sync::atomic::Ordering;
        let (proxy, count) = counting_proxy().await;
        // Nothing listens on port 9 of loopback.
        let target = "http://127.0.0.1:9/x";
        let via = HttpSettings::new()
            .proxy(proxy.clone())
            .build_client()
            .unwrap();
        let reply = via.get(target).send().await.unwrap();
        assert_eq!(reply.status(), 200);
        assert_eq!(count.load(Ordering::SeqCst), 1);

        for hosts in [vec!["127.0.0.1"], vec!["10.0.0.0/8", "127.0.0.0/8"]] {
            let direct = HttpSettings::new()
                .proxy(proxy.clone())
                .no_proxy(hosts)
                .connect_timeout(Duration::from_secs(2))
                .build_client()
                .unwrap();
            let err = direct.get(target).send().await.unwrap_err();
            assert!(err.is_connect(), "{err}");
            assert_eq!(count.load(Ordering::SeqCst), 1, "bypassed the proxy");
        }
    }
}
