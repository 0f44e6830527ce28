//! # defender-siem
//!
//! Pull Microsoft Defender for Endpoint alerts out of many customer tenants
//! and forward them to the SIEM a Managed Security Service Provider runs.
//!
//! * **Many tenants, one client.** [`client::DefenderClient`] reads the
//!   Defender for Endpoint alerts API and Graph `alerts_v2` of every
//!   customer tenant through the MSSP's multi-tenant app: a token per
//!   (tenant, scope), cached and refreshed before expiry ([`auth`], with the
//!   onboarding check in [`auth::consent`]), and a call budget per tenant
//!   ([`client::RateLimits`]), so one tenant's throttling or failure never
//!   touches another.
//! * **Incremental polling.** The [`forward::Forwarder`] asks each tenant
//!   for `lastUpdateTime ge checkpoint − overlap`, drops the versions a sink
//!   already has, and keeps one checkpoint per (tenant, sink) that moves only
//!   by what that sink acknowledged ([`checkpoint`]): nothing is lost, and
//!   duplicates are bounded by one batch per crash.
//! * **Lossless models.** Typed alerts that keep unknown fields and enum
//!   values, and fault-isolated page parsing: one malformed alert is
//!   reported, never fatal to its page ([`models`]). JSON sinks forward the
//!   exact bytes the API sent.
//! * **Formats and sinks.** Pure encoders (JSON, CEF, LEEF, RFC 5424 and
//!   RFC 3164 syslog, OCSF, HEC and Sentinel rows) and the sinks that use
//!   them: Splunk HEC, Microsoft Sentinel, syslog (UDP, TCP, TLS), e-mail
//!   rules, files and standard output. Your own backend is one
//!   [`impl AlertSink`](sink::AlertSink) away.
//! * **A simulator.** A local Defender API and Entra token endpoint with
//!   synthetic tenants, throttling and fault injection (feature
//!   `simulator`), so all of it runs without a customer tenant.
//!
//! ## Where is what
//!
//! | what | where |
//! |---|---|
//! | sources: reading alerts from the tenants | [`client`] ([`client::DefenderClient`], [`client::AlertQuery`], [`client::GraphAlertQuery`]); the forwarder reads through [`forward::AlertSource`] |
//! | paging | [`client`]: `@odata.nextLink` when the server sends one, else `$top`/`$skip` inside a time window (`src/client/paging.rs`) |
//! | credentials and tokens | [`auth`] ([`auth::TokenProvider`], the token cache, [`auth::consent`]); cloud hosts in [`cloud`] |
//! | models | [`models`] ([`models::Alert`], [`models::GraphAlert`], [`models::parse_page`], [`models::RawJson`]) |
//! | the record a sink receives | [`record::AlertRecord`], beneath both [`format`](mod@format) and [`sink`] (re-exported as [`sink::AlertRecord`]) |
//! | formats | [`format`](mod@format): pure encoders, no I/O |
//! | sinks | [`sink`]: the [`sink::AlertSink`] trait, filters, fan-out and one module per sink |
//! | forwarder | [`forward`]: schedules tenants, polls, de-duplicates, delivers, reports |
//! | checkpoints | [`checkpoint`]: [`checkpoint::CheckpointStore`], in-memory and file stores |
//! | retry | [`retry`]: the one [`retry::RetryPolicy`], shared by the client and the HTTP sinks |
//! | transport | [`transport`]: HTTP settings (timeouts, proxy, extra CA) and HTTP errors |
//! | config | [`config`]: the forwarder's TOML configuration file, checked before anything runs |
//! | simulator | `simulator` (feature `simulator`): the local Defender API and Entra endpoint |
//! | errors | [`Error`], [`Result`]; [`sink::SinkError`] for sinks |
//!
//! Parsing one page of alerts:
//!
//! ```
//! use defender_siem::models::{parse_page, Alert, Severity};
//!
//! let body = br#"{"value":[{"id":"da1","severity":"High","title":"Mimikatz"}]}"#;
//! let page = parse_page::<Alert>(body)?;
//! for parsed in page.parsed() {
//!     if parsed.alert.severity >= Some(Severity::Medium) {
//!         // `parsed.raw` holds the exact bytes the API sent.
//!         assert_eq!(parsed.raw.get(), r#"{"id":"da1","severity":"High","title":"Mimikatz"}"#);
//!     }
//! }
//! # Ok::<(), defender_siem::Error>(())
//! ```
//!
//! ## Cargo features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `splunk` | yes | the Splunk HTTP Event Collector sink |
//! | `sentinel` | yes | the Microsoft Sentinel (Logs Ingestion API) sink |
//! | `syslog` | yes | the syslog sink (UDP, TCP, TLS) |
//! | `email` | no | e-mail notification rules over SMTP |
//! | `simulator` | no | a local Defender API and Entra token endpoint |
//!
//! The sinks, their table and the encoders behind them are described in
//! [`sink`] and [`format`](mod@format).

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod auth;
pub mod checkpoint;
pub mod client;
pub mod cloud;
pub mod config;
mod error;
mod file_safety;
pub mod format;
pub mod forward;
pub mod models;
pub mod record;
pub mod retry;
mod secret;
#[cfg(feature = "simulator")]
#[cfg_attr(docsrs, doc(cfg(feature = "simulator")))]
pub mod simulator;
pub mod sink;
mod tenant;
pub mod transport;
mod unicode;

/// The attribute an [`impl AlertSink`](sink::AlertSink) (or any of the
/// crate's async traits) needs: the crate's traits are declared with
/// [`async_trait`](https://docs.rs/async-trait), re-exported here so a custom
/// sink needs no dependency of its own. See [`sink::AlertSink`] for a whole
/// custom sink.
pub use async_trait::async_trait;
pub use error::{Error, Result};
pub use secret::Secret;
pub use tenant::{TenantId, TenantInfo};

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
