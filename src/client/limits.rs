//! [`Limits`]: how much one server may make the client read and wait, and
//! [`LimitError`], the error when it tries for more.
//!
//! Every bound here is the crate's, not the server's: a page may not hold
//! more than [`Limits::max_response_bytes`] bytes (counted while the body
//! streams in, so it is never buffered whole first), one poll may not read
//! more than [`Limits::max_pages_per_poll`] pages, and the retries of one
//! poll may not wait more than [`Limits::max_retry_wait_per_poll`] in all.
//! A limit that is hit ends that tenant's poll with a [`LimitError`] naming
//! the tenant, the limit and the setting that raises it; the forwarder then
//! moves no checkpoint, so the next poll reads the same alerts again.

use std::fmt;
use std::time::Duration;

use crate::tenant::TenantId;

/// Default of [`Limits::max_response_bytes`]: 128 MiB. A `$top=10000` page
/// of alerts with evidence runs to some 30–60 MB (an alert with three
/// evidence items is about 5 KB), so this leaves room for heavy evidence
/// while a hostile page cannot take more than a bounded share of memory.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 128 * 1024 * 1024;

/// Default of [`Limits::max_pages_per_poll`]: 2,000 pages, more than an
/// hour of the Defender API's 1,500 calls per hour for one tenant (two
/// million alert versions at the default page size).
pub const DEFAULT_MAX_PAGES_PER_POLL: u32 = 2_000;

/// Default of [`Limits::max_retry_wait_per_poll`]: 15 minutes, room for one
/// `Retry-After` as long as [`crate::retry::RetryPolicy::max_retry_after`]
/// allows (10 minutes) and some back-off besides.
pub const DEFAULT_MAX_RETRY_WAIT_PER_POLL: Duration = Duration::from_secs(15 * 60);

/// The bounds of [`super::DefenderClientBuilder`]; see the module docs.
///
/// ```
/// use std::time::Duration;
/// use defender_siem::client::Limits;
///
/// let limits = Limits::default();
/// assert_eq!(limits.max_response_bytes(), 128 * 1024 * 1024);
/// assert_eq!(limits.max_pages_per_poll(), 2_000);
/// assert_eq!(limits.max_retry_wait_per_poll(), Duration::from_secs(900));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub(crate) max_response_bytes: u64,
    pub(crate) max_pages_per_poll: u32,
    pub(crate) max_retry_wait_per_poll: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            max_pages_per_poll: DEFAULT_MAX_PAGES_PER_POLL,
            max_retry_wait_per_poll: DEFAULT_MAX_RETRY_WAIT_PER_POLL,
        }
    }
}

impl Limits {
    /// Largest body of one response, in bytes, as read (the crate never
    /// asks for, nor decodes, a compressed body).
    pub fn max_response_bytes(&self) -> u64 {
        self.max_response_bytes
    }

    /// Most pages one poll (one [`super::AlertQuery::stream`] or
    /// [`super::GraphAlertQuery::stream`]) reads.
    pub fn max_pages_per_poll(&self) -> u32 {
        self.max_pages_per_poll
    }

    /// Most time the retries of one poll wait in all (`Retry-After` and
    /// back-off together).
    pub fn max_retry_wait_per_poll(&self) -> Duration {
        self.max_retry_wait_per_poll
    }

    pub(crate) fn check(&self) -> crate::Result<()> {
        let zero = if self.max_response_bytes == 0 {
            Some(Limit::ResponseBytes(0))
        } else if self.max_pages_per_poll == 0 {
            Some(Limit::PagesPerPoll(0))
        } else {
            None
        };
        match zero {
            Some(limit) => Err(crate::Error::Config(format!(
                "`{}` must be at least 1",
                limit.setting()
            ))),
            None => Ok(()),
        }
    }
}

/// Which limit was hit, with its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Limit {
    /// [`Limits::max_response_bytes`].
    ResponseBytes(u64),
    /// [`Limits::max_pages_per_poll`].
    PagesPerPoll(u32),
    /// [`Limits::max_retry_wait_per_poll`].
    RetryWaitPerPoll(Duration),
}

impl Limit {
    /// The setting that raises it: the [`super::DefenderClientBuilder`]
    /// method and the `[defaults]` key of the configuration file.
    pub fn setting(&self) -> &'static str {
        match self {
            Limit::ResponseBytes(_) => "max_response_bytes",
            Limit::PagesPerPoll(_) => "max_pages_per_poll",
            Limit::RetryWaitPerPoll(_) => "max_retry_wait_per_poll",
        }
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Limit::ResponseBytes(n) => write!(f, "{} = {n} bytes", self.setting()),
            Limit::PagesPerPoll(n) => write!(f, "{} = {n}", self.setting()),
            Limit::RetryWaitPerPoll(d) => write!(f, "{} = {} s", self.setting(), d.as_secs()),
        }
    }
}

/// A server made a tenant's poll go past one of the client's [`Limits`].
///
/// ```
/// use defender_siem::client::{Limit, LimitError};
/// use defender_siem::TenantId;
///
/// let e = LimitError::new(TenantId::new("contoso.com")?, Limit::PagesPerPoll(3), "the server kept sending next pages");
/// assert_eq!(
///     e.to_string(),
///     "tenant contoso.com: the server kept sending next pages; stopped at the limit max_pages_per_poll = 3 \
///      (raise it with `defaults.max_pages_per_poll` or DefenderClientBuilder::max_pages_per_poll if this is legitimate)"
/// );
/// # Ok::<(), defender_siem::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitError {
    tenant: TenantId,
    limit: Limit,
    detail: String,
}

impl LimitError {
    /// `tenant` hit `limit`; `detail` says how (no secret, no URL query).
    pub fn new(tenant: TenantId, limit: Limit, detail: impl Into<String>) -> Self {
        LimitError {
            tenant,
            limit,
            detail: detail.into(),
        }
    }

    /// The tenant whose poll hit the limit.
    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    /// The limit, with its value.
    pub fn limit(&self) -> Limit {
        self.limit
    }
}

impl fmt::Display for LimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "tenant {}: {}; stopped at the limit {} (raise it with `defaults.{}` or \
             DefenderClientBuilder::{} if this is legitimate)",
            self.tenant,
            self.detail,
            self.limit,
            self.limit.setting(),
            self.limit.setting()
        )
    }
}

impl std::error::Error for LimitError {}
