//! # defender-siem
//!
//! Pull Microsoft Defender for Endpoint alerts out of many customer tenants
//! and forward them to the SIEM a Managed Security Service Provider runs.
//!
//! This release holds the foundation: typed, lossless alert models and
//! fault-isolated page parsing ([`models`]), and the cloud host tables
//! ([`cloud`]). The client, the simulator, the sinks and the forwarder build
//! on them.
//!
//! [`client::DefenderClient`] reads alerts from many customer tenants with
//! per-tenant tokens and call budgets; [`auth`] holds the credentials, the
//! token cache and the onboarding check ([`auth::consent`]).
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
//! [`sink`] and [`format`].

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod auth;
pub mod checkpoint;
pub mod client;
pub mod cloud;
pub mod config;
mod error;
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

pub use error::{Error, Result};
pub use secret::Secret;
pub use tenant::{TenantId, TenantInfo};

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
