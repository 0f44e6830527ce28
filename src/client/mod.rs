//! [`DefenderClient`]: alerts of many customer tenants, through one client.
//!
//! * **Queries.** [`DefenderClient::alerts`] builds a Defender for Endpoint
//!   `GET /api/alerts` query ([`AlertQuery`]): `$filter` on `lastUpdateTime`
//!   and `alertCreationTime` ([`Cmp`]), severity, status, detection source,
//!   category, incident; `$top` (≤ 10,000), `$skip`, `$expand=evidence`.
//!   [`DefenderClient::graph_alerts`] does the same for Graph `alerts_v2`
//!   ([`GraphAlertQuery`], `$top` ≤ 1,000). `send()` returns one
//!   [`crate::models::Page`]; `stream()` every alert across pages, each with
//!   its raw bytes, a malformed alert as an `Err` item that does not stop the
//!   stream.
//! * **Paging strategy.** Follow `@odata.nextLink` when the server sends one
//!   (same host only, the token never goes elsewhere); otherwise `$skip` by
//!   `$top`; a short page ends; when `$skip` would reach 10,000 the
//!   `lastUpdateTime` window is split in two at the middle of the times
//!   seen, and each half is read again from `$skip=0`, skipping ids already
//!   yielded. No result order is assumed, because `$orderby` is not
//!   documented for either API. Details in the `paging` source.
//! * **Budgets.** Each tenant has its own sliding-window budget
//!   ([`RateLimits`], default 100 calls/min and 1,500/hour for Defender,
//!   150/min for Graph); waiting for one tenant never blocks another.
//! * **Retries.** Through [`crate::retry::RetryPolicy`]: 429 waits
//!   `Retry-After`; 5xx, timeouts and broken connections back off with
//!   jitter; 400/403/404 fail at once with the API's `code`, `message` and
//!   `target` ([`crate::Error::Api`]); a 401 drops the cached token and
//!   retries once.
//! * **Safety.** TLS verification is always on, redirects are never
//!   followed, plain `http` is accepted only for loopback hosts (unless
//!   `allow_plain_http`, which warns), the `Authorization` header is marked
//!   sensitive, and no error or log line holds a token or a query string.

mod alerts;
mod builder;
mod core;
mod filter;
mod graph;
mod limits;
mod paging;
mod pin;
mod rate;
mod request;

pub use alerts::{AlertQuery, AlertStream, MAX_TOP};
pub use builder::{DEFAULT_PAGE_SIZE, DefenderClientBuilder};
pub use core::DefenderClient;
pub use filter::Cmp;
pub use graph::{GRAPH_MAX_TOP, GraphAlertQuery};
pub use limits::{
    DEFAULT_MAX_PAGES_PER_POLL, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_MAX_RETRY_WAIT_PER_POLL, Limit,
    LimitError, Limits,
};
pub use rate::RateLimits;
