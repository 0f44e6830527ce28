//! A local Defender for Endpoint API, Graph `alerts_v2` API and Entra ID
//! token endpoint with synthetic customer tenants, so everything runs and
//! is tested without a real tenant (cargo feature `simulator`).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use defender_siem::simulator::Simulator;
//!
//! let sim = Simulator::builder()
//!     .tenants(2)
//!     .alerts_per_tenant(20)
//!     .seed(7)
//!     .manual_clock()
//!     .start()
//!     .await?;
//! let tenant = &sim.tenants()[0];
//! let token_url = sim.authority_url().join(&format!("{}/oauth2/v2.0/token", tenant.id))?;
//! assert_eq!(token_url.scheme(), "http");
//! let before = sim.ground_truth(&tenant.id).unwrap_or_default().len();
//! sim.advance(Duration::from_secs(6 * 3600));
//! assert!(sim.ground_truth(&tenant.id).unwrap_or_default().len() > before);
//! sim.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # What it serves
//!
//! One port serves everything; [`Simulator::authority_url`],
//! [`Simulator::api_base`] and [`Simulator::graph_base`] all point at it.
//!
//! | route | imitates |
//! |---|---|
//! | `POST /{tenant}/oauth2/v2.0/token` | Entra v2 client credentials (secret, HTTP Basic, or `client_assertion`) with `scope=<resource>/.default` |
//! | `POST /{tenant}/oauth2/token` | Entra v1 client credentials and `refresh_token` grants with `resource=`; refresh tokens rotate |
//! | `GET /{tenant}/v2.0/.well-known/openid-configuration` | OpenID discovery (enough for MSAL) |
//! | `GET /{tenant}/adminconsent` | admin consent: marks the tenant consented, redirects with `admin_consent=True` |
//! | `GET /api/alerts`, `/api/v1.0/alerts` | MDE list alerts: `$filter`, `$top` ≤ 10,000, `$skip`, `$expand=evidence`, no `@odata.nextLink` |
//! | `GET /api/alerts/{id}` | MDE get one alert (with evidence) |
//! | `GET /v1.0/security/alerts_v2` | Graph alerts: `$filter`, `$top` ≤ 1,000, `@odata.nextLink` paging |
//! | `GET /_sim/stats`, `/_sim/alerts?tenant=`, `/_sim/refresh_token?tenant=` | introspection, no token needed |
//!
//! The tenant of an API call is the `tid` of its bearer token. Tokens are
//! JWT-shaped with `tid`, `aud`, `roles`, `appid`, `iss`, `iat`, `nbf` and
//! `exp`; `roles` holds `Alert.Read.All` for the MDE resources and
//! `SecurityAlert.Read.All` for Graph. API errors: 401 for a missing,
//! malformed, expired or foreign token (one this simulator did not sign);
//! 403 for a token of another audience or without the role; 404 for an
//! unknown alert; 400 `ODataError` for a bad query; 429 `TooManyRequests`
//! with `Retry-After` when the tenant's budget is spent. Entra errors carry
//! the real JSON shape and AADSTS codes (7000215 wrong secret, 7000218 no
//! credential, 90002 unknown tenant, 700016 unknown app or no consent,
//! 70011 bad scope, 500011 unknown v1 resource, 700082 expired, reused or
//! unknown refresh token, 90033 injected failure).
//!
//! # Living data and what "visible" means
//!
//! Every tenant starts with
//! [`alerts_per_tenant`](SimulatorBuilder::alerts_per_tenant) alerts spread
//! over the [`history`](SimulatorBuilder::history) before the start, and
//! gains [`new_alerts_per_hour`](SimulatorBuilder::new_alerts_per_hour)
//! afterwards. Each alert has up to three *versions*: `New` (created),
//! `InProgress` (assigned, a comment added) and `Resolved` (classification,
//! determination, `resolvedTime`, a closing comment); each version has its
//! own `lastUpdateTime`. A version is *visible* from its `lastUpdateTime`
//! on, except that a share ([`late_rate`](SimulatorBuilder::late_rate)) of
//! versions becomes visible only some minutes later
//! ([`late_delay`](SimulatorBuilder::late_delay)), carrying a
//! `lastUpdateTime` already in the past, as real late alerts do.
//!
//! At any instant an alert shows its **newest visible version**; an alert
//! none of whose versions is visible yet does not exist for the API. The
//! list and get routes, [`Simulator::ground_truth`] and `/_sim/alerts` all
//! use this rule with the simulator's clock, so a forwarder test can
//! compare the `(id, lastUpdateTime)` pairs it delivered with the ground
//! truth taken after its last poll. A late version can hide an earlier one
//! for a while (the older version is never seen) and is seen after it.
//!
//! Everything is a pure function of the [`seed`](SimulatorBuilder::seed)
//! and the clock: with a [manual clock](SimulatorBuilder::manual_clock) the
//! same seed and the same calls give byte-identical answers. Tenants cost
//! nothing until first contacted; then their alerts are planned in a few
//! hundred bytes each, and JSON is rendered only for the alerts returned.
//!
//! # Throttling and faults
//!
//! Each tenant has a sliding-window budget per API (default 100 calls per
//! minute and 1,500 per hour, like the real API). Faults
//! ([`FaultKind`]) are drawn from the seed, the tenant and the call's
//! number within that tenant, so a given sequence of calls meets the same
//! faults every run.

// Handlers return `Result<_, Response>` so that `?` ends a request with its
// error response; a response is built once per request, its size is moot.
#![allow(clippy::result_large_err)]

mod api;
mod builder;
mod catalog;
mod clock;
mod credentials;
mod data;
mod details;
mod entra;
mod errors;
mod evidence;
mod faults;
mod filter;
mod gate;
mod graph;
mod graph_render;
mod handle;
mod introspect;
mod odata;
mod query;
mod render;
mod rng;
mod server;
mod state;
mod stats;
mod templates;
mod tenant;
mod throttle;
mod tls;
mod token;
mod token_endpoint;

pub use builder::{DEFAULT_MANUAL_START, SimulatorBuilder};
pub use clock::SimClock;
pub use faults::FaultKind;
#[doc(hidden)]
pub use filter::fuzz_filter;
pub use handle::Simulator;
pub use stats::{Stats, TenantStats};
pub use tenant::{SimTenant, TenantSetup};
