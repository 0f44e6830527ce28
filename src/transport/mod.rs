//! HTTP plumbing: [`HttpSettings`], the one builder of every HTTP client of
//! the crate (timeouts, [`Proxy`], extra CA, user agent, TLS checking), and
//! the errors a Defender, Graph or Entra call can end in ([`ApiError`],
//! [`TransportError`]).
//!
//! The Defender client, the Entra token providers and the Splunk HEC and
//! Sentinel sinks all build their clients with [`HttpSettings`]
//! (`DefenderClientBuilder::proxy`/`http`, `with_http_client` on the
//! credentials, `http` on the sink builders). Every such client uses rustls
//! (the Mozilla roots plus any extra CA you add), never follows redirects,
//! so a bearer token is never sent to a host it was not meant for, and uses
//! no proxy unless one is set: proxy environment variables are read only
//! with [`Proxy::Environment`]. Certificate verification is on unless
//! [`HttpSettings::danger_accept_invalid_certs`] turns it off, which logs
//! a warning. (The syslog and e-mail sinks do not speak HTTP and have their
//! own TLS settings.)

mod api_error;
mod auth_header;
mod cleartext;
mod scrub;
mod setters;
mod settings;
mod transport_error;

pub use api_error::{ApiError, Service};
pub use settings::{HttpSettings, Proxy};
pub use transport_error::{TransportError, TransportKind};

pub(crate) use api_error::clip;
pub(crate) use auth_header::bearer_header;
pub(crate) use cleartext::{check_cleartext, is_loopback};
pub(crate) use scrub::{server_body, server_field, server_text};
pub(crate) use setters::http_setters;

/// The request header naming the tenant a Defender or Graph call is made
/// for (the tenant id or domain the caller configured). The APIs ignore it;
/// the simulator checks it against the tenant of the bearer token and
/// refuses (401) a token that was issued for another tenant, so tests can
/// prove that one tenant's token never serves another's request.
pub const TENANT_HEADER: &str = "x-defender-siem-tenant";

/// `base` with `segments` appended to its path (each one percent-encoded),
/// without query or fragment.
pub(crate) fn join_path(base: &url::Url, segments: &[&str]) -> crate::Result<url::Url> {
    let mut url = base.clone();
    url.set_query(None);
    url.set_fragment(None);
    url.path_segments_mut()
        .map_err(|()| crate::Error::Config(format!("`{base}` cannot be used as a base URL")))?
        .pop_if_empty()
        .extend(segments);
    Ok(url)
}
