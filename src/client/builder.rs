//! [`DefenderClientBuilder`]: settings of a [`DefenderClient`], checked in
//! [`DefenderClientBuilder::build`].

use std::fmt;
use std::sync::Arc;

use super::core::{DefenderClient, Inner};
use super::limits::Limits;
use super::rate::{RateBudgets, RateLimits};
use crate::auth::TokenProvider;
use crate::cloud::Endpoints;
use crate::error::{Error, Result};
use crate::retry::RetryPolicy;
use crate::transport::{HttpSettings, check_cleartext};

/// Page size of [`super::AlertQuery::stream`] when the query sets no `$top`.
pub const DEFAULT_PAGE_SIZE: u32 = 1_000;

/// Builds a [`DefenderClient`].
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use defender_siem::auth::StaticTokenProvider;
/// use defender_siem::client::{DefenderClient, RateLimits};
/// use defender_siem::cloud::{Cloud, Endpoints, Region};
///
/// let client = DefenderClient::builder()
///     .token_provider(Arc::new(StaticTokenProvider::new("t")))
///     .endpoints(Endpoints::new(Cloud::Public).region(Region::Eu))
///     .user_agent("MdatpPartner-Contoso-AlertBridge/2.1.0")
///     .timeout(Duration::from_secs(60))
///     .rate_limits(RateLimits::new(Some(50), Some(1_000)))
///     .build()?;
/// assert_eq!(client.user_agent(), "MdatpPartner-Contoso-AlertBridge/2.1.0");
///
/// let bad = DefenderClient::builder()
///     .token_provider(Arc::new(StaticTokenProvider::new("t")))
///     .user_agent("curl/8.0")
///     .build();
/// assert!(bad.is_err());
/// # Ok::<(), defender_siem::Error>(())
/// ```
#[must_use]
pub struct DefenderClientBuilder {
    tokens: Option<Arc<dyn TokenProvider>>,
    endpoints: Endpoints,
    http: HttpSettings,
    user_agent: String,
    retry: RetryPolicy,
    rate_limits: RateLimits,
    graph_rate_limits: RateLimits,
    page_size: u32,
    allow_plain_http: bool,
    limits: Limits,
}

impl DefenderClientBuilder {
    pub(crate) fn new() -> Self {
        DefenderClientBuilder {
            tokens: None,
            endpoints: Endpoints::default(),
            http: HttpSettings::new(),
            user_agent: format!(
                "MdatpPartner-DefenderSiem-DefenderSiem/{}",
                env!("CARGO_PKG_VERSION")
            ),
            retry: RetryPolicy::default(),
            rate_limits: RateLimits::default(),
            graph_rate_limits: RateLimits::graph_default(),
            page_size: DEFAULT_PAGE_SIZE,
            allow_plain_http: false,
            limits: Limits::default(),
        }
    }

    /// Where tokens come from (required), usually a
    /// [`crate::auth::CachedTokenProvider`].
    pub fn token_provider(mut self, tokens: Arc<dyn TokenProvider>) -> Self {
        self.tokens = Some(tokens);
        self
    }

    /// The base URLs: a cloud, a region, or local overrides for tests and
    /// the simulator. Plain `http` is accepted for loopback hosts only
    /// (unless [`DefenderClientBuilder::allow_plain_http`]).
    /// Default: the public cloud.
    pub fn endpoints(mut self, endpoints: Endpoints) -> Self {
        self.endpoints = endpoints;
        self
    }

    crate::transport::http_setters!("the Defender and Graph API calls", "new");

    /// Trusts the CA certificates of this PEM bundle as well as the
    /// built-in roots: the same as `extra_ca_pem`. Default: none.
    pub fn add_root_certificate_pem(self, pem: impl Into<Vec<u8>>) -> Self {
        self.extra_ca_pem(pem)
    }

    /// The `User-Agent`, which Microsoft asks partners to set as
    /// `MdatpPartner-<Company>-<Product>/<Version>`; checked by `build`.
    /// Default: `MdatpPartner-DefenderSiem-DefenderSiem/<crate version>`.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// How failed calls are retried. Default: [`RetryPolicy::default`].
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Each tenant's Defender API budget. Default: 100/min, 1,500/hour.
    pub fn rate_limits(mut self, limits: RateLimits) -> Self {
        self.rate_limits = limits;
        self
    }

    /// Each tenant's Graph budget. Default: 150/min.
    pub fn graph_rate_limits(mut self, limits: RateLimits) -> Self {
        self.graph_rate_limits = limits;
        self
    }

    /// `$top` of streamed Defender pages when the query sets none
    /// (1 to 10,000). Default 1,000.
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = page_size;
        self
    }

    /// Accepts plain `http://` base URLs to hosts other than loopback, so
    /// that the bearer token and the alerts cross the network in clear:
    /// only for a test rig behind its own protection. `build` logs a
    /// warning naming each such host. Default: off.
    pub fn allow_plain_http(mut self, allow: bool) -> Self {
        self.allow_plain_http = allow;
        self
    }

    /// Largest body one response may have, in bytes, counted while it
    /// streams in; a `Content-Length` above it is refused before reading.
    /// At least 1. Default [`super::DEFAULT_MAX_RESPONSE_BYTES`] (128 MiB).
    pub fn max_response_bytes(mut self, bytes: u64) -> Self {
        self.limits.max_response_bytes = bytes;
        self
    }

    /// Most pages one poll (one `stream()`) reads before it ends with a
    /// [`super::LimitError`]. At least 1. Default
    /// [`super::DEFAULT_MAX_PAGES_PER_POLL`] (2,000).
    pub fn max_pages_per_poll(mut self, pages: u32) -> Self {
        self.limits.max_pages_per_poll = pages;
        self
    }

    /// Most time the retries of one poll (one `stream()`) may wait in all,
    /// `Retry-After` and back-off together; a wait that would pass it ends
    /// the poll with a [`super::LimitError`]. Default
    /// [`super::DEFAULT_MAX_RETRY_WAIT_PER_POLL`] (15 minutes).
    pub fn max_retry_wait_per_poll(mut self, wait: std::time::Duration) -> Self {
        self.limits.max_retry_wait_per_poll = wait;
        self
    }

    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<DefenderClient> {
        let tokens = self.tokens.ok_or_else(|| {
            Error::Config(
                "a token provider is required (DefenderClient::builder().token_provider(…))".into(),
            )
        })?;
        check_user_agent(&self.user_agent)?;
        self.limits.check()?;
        if !(1..=super::alerts::MAX_TOP).contains(&self.page_size) {
            return Err(Error::Config(format!(
                "page size {} is outside 1..=10000",
                self.page_size
            )));
        }
        for (what, url) in [
            ("the authority URL (endpoints)", self.endpoints.authority()),
            ("the Defender API URL (endpoints)", self.endpoints.mde_api()),
            ("the Graph URL (endpoints)", self.endpoints.graph()),
        ] {
            check_cleartext(url, what, self.allow_plain_http)?;
        }
        let http = self
            .http
            .clone()
            .user_agent(self.user_agent.clone())
            .component("defender")
            .build_client()?;
        Ok(DefenderClient::from_inner(Inner {
            http,
            tokens,
            endpoints: self.endpoints,
            retry: self.retry,
            mde_budget: RateBudgets::new(self.rate_limits),
            graph_budget: RateBudgets::new(self.graph_rate_limits),
            user_agent: self.user_agent,
            page_size: self.page_size,
            pins: Default::default(),
            limits: self.limits,
        }))
    }
}

/// `MdatpPartner-<Company>-<Product>/<Version>`.
pub(crate) fn check_user_agent(ua: &str) -> Result<()> {
    let word = |s: &str, extra: &[u8]| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || extra.contains(&b))
    };
    let ok = ua
        .strip_prefix("MdatpPartner-")
        .and_then(|rest| rest.split_once('/'))
        .and_then(|(name, version)| name.split_once('-').map(|(c, p)| (c, p, version)))
        .is_some_and(|(company, product, version)| {
            word(company, &[])
                && word(product, b"-")
                && word(version, b"-+")
                && version.starts_with(|c: char| c.is_ascii_digit())
        });
    if ok {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "user agent `{}` is not of the form MdatpPartner-<Company>-<Product>/<Version>",
            crate::transport::clip(ua, 100)
        )))
    }
}

impl fmt::Debug for DefenderClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DefenderClientBuilder")
            .field("tokens", &self.tokens)
            .field("endpoints", &self.endpoints)
            .field("http", &self.http)
            .field("user_agent", &self.user_agent)
            .field("retry", &self.retry)
            .field("rate_limits", &self.rate_limits)
            .field("graph_rate_limits", &self.graph_rate_limits)
            .field("page_size", &self.page_size)
            .field("allow_plain_http", &self.allow_plain_http)
            .field("limits", &self.limits)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use url::Url;

    #[test]
    fn user_agents() {
        for ok in [
            "MdatpPartner-Contoso-AlertBridge/1.0.0",
            "MdatpPartner-HyperSecurity-Hyper-Siem/2.0.1-beta",
        ] {
            assert!(check_user_agent(ok).is_ok(), "{ok}");
        }
        for bad in [
            "curl/8",
            "MdatpPartner-Contoso/1.0",
            "MdatpPartner-Contoso-Bridge/",
            "MdatpPartner-Contoso-Bridge/v1",
            "MdatpPartner-Con toso-Bridge/1.0",
        ] {
            assert!(check_user_agent(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn plain_http_only_to_loopback_unless_allowed() {
        let with_api = |api: &str, allow: bool| {
            DefenderClient::builder()
                .token_provider(Arc::new(crate::auth::StaticTokenProvider::new("t")))
                .endpoints(Endpoints::default().with_mde_api(Url::parse(api).unwrap()))
                .allow_plain_http(allow)
                .build()
                .map(|_| ())
        };
        assert!(with_api("http://127.0.0.1:8080", false).is_ok());
        assert!(with_api("http://localhost", false).is_ok());
        assert!(with_api("https://api.example.com", false).is_ok());
        let e = with_api("http://api.example.com", false)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("the Defender API URL (endpoints): `http://api.example.com`"),
            "{e}"
        );
        assert!(with_api("http://api.example.com", true).is_ok());
    }
}
