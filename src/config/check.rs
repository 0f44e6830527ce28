//! From the file as written ([`super::raw`]) to the checked configuration.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};
use url::Url;

use super::raw::{RawDefaults, RawFile, RawFilter, RawTenant};
use super::sink::{plain_url, sink_config};
use super::text::Text;
use super::{Defaults, FilterConfig, ForwarderConfig, TenantConfig};
use crate::cloud::Cloud;
use crate::error::{Error, Result};
use crate::models::{AlertStatus, DetectionSource, Severity, Timestamp};
use crate::secret::Secret;
use crate::tenant::{TenantId, TenantInfo};
use crate::transport::Proxy;

/// Where in the file: the origin, a line and a key, for error messages.
pub(super) struct Place<'a> {
    pub(super) origin: &'a str,
    text: &'a str,
}

impl Place<'_> {
    pub(super) fn line_of(&self, offset: usize) -> usize {
        self.text.as_bytes()[..offset.min(self.text.len())]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1
    }

    pub(super) fn error(&self, line: usize, key: &str, message: impl std::fmt::Display) -> Error {
        Error::Config(format!("{}:{line}: `{key}`: {message}", self.origin))
    }

    /// A TOML syntax or type error at its line, followed by `context` and
    /// the line quoted (which names the key; values of secret keys are
    /// replaced, since the line may hold one).
    pub(super) fn toml_error(&self, e: &toml::de::Error, context: &str) -> Error {
        let line = e.span().map_or(1, |s| self.line_of(s.start));
        let quoted = self
            .text
            .lines()
            .nth(line - 1)
            .map(|l| l.trim())
            .filter(|l| !l.is_empty())
            .map(redact_line)
            .map_or(String::new(), |l| format!(" (in `{l}`)"));
        Error::Config(format!(
            "{}:{line}: {}{context}{quoted}",
            self.origin,
            e.message().trim_end()
        ))
    }
}

pub(super) fn check(text: &str, origin: &str) -> Result<ForwarderConfig> {
    let place = Place { origin, text };
    // The sinks are read apart, each by the settings of its type.
    let mut document = DeTable::parse(text).map_err(|e| place.toml_error(&e, ""))?;
    let raw_sinks = document.get_mut().remove("sinks");
    let raw = RawFile::deserialize(toml::de::Deserializer::from(document))
        .map_err(|e| place.toml_error(&e, ""))?;
    let defaults = defaults(&place, raw.defaults)?;
    if raw.tenants.is_empty() {
        return Err(place.error(1, "tenants", "at least one [[tenants]] entry is needed"));
    }
    let mut tenants = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, tenant) in raw.tenants.into_iter().enumerate() {
        let tenant = tenant_config(&place, i, tenant, &defaults.1)?;
        if !seen.insert(tenant.info.id.clone()) {
            return Err(Error::Config(format!(
                "{origin}: tenant {} is listed twice",
                tenant.info.id
            )));
        }
        tenants.push(tenant);
    }
    let entries = match raw_sinks.map(|s| (s.span(), s.into_inner())) {
        None => Vec::new(),
        Some((_, DeValue::Array(mut entries))) => entries
            .iter_mut()
            .map(|e| {
                Spanned::new(
                    e.span(),
                    std::mem::replace(e.get_mut(), DeValue::Boolean(false)),
                )
            })
            .collect(),
        Some((span, _)) => {
            return Err(place.error(
                place.line_of(span.start),
                "sinks",
                "must be a list of tables ([[sinks]])",
            ));
        }
    };
    if entries.is_empty() {
        return Err(place.error(1, "sinks", "at least one [[sinks]] entry is needed"));
    }
    let mut sinks = Vec::new();
    let mut names = BTreeSet::new();
    for (i, sink) in entries.into_iter().enumerate() {
        let sink = sink_config(&place, i, sink, defaults.0.allow_plain_http)?;
        if !names.insert(sink.name.clone()) {
            return Err(place.error(
                sink.line,
                &format!("sinks[{i}].name"),
                format!(
                    "`{}` is used twice; sink names key the checkpoints",
                    sink.name
                ),
            ));
        }
        sinks.push(sink);
    }
    Ok(ForwarderConfig {
        defaults: defaults.0,
        tenants,
        sinks,
    })
}

/// A line of the file fit to quote in an error. A line that may hold a
/// secret (it mentions a secret key anywhere, in any spelling: quoted,
/// upper case, inside an inline table; or a URL with user info) is cut to
/// its key: `key = …`.
fn redact_line(line: &str) -> String {
    const SECRET_WORDS: [&str; 5] = ["secret", "token", "password", "credential", "proxy"];
    let lower = line.to_ascii_lowercase();
    let url_with_userinfo = lower.contains("://") && lower.contains('@');
    if url_with_userinfo || SECRET_WORDS.iter().any(|w| lower.contains(w)) {
        return match line.split_once('=') {
            Some((key, _)) => format!("{} = …", key.trim().chars().take(60).collect::<String>()),
            None => "…".to_owned(),
        };
    }
    line.chars().take(120).collect()
}

/// The MSSP app's credential from `[defaults]`, used by tenants that set none.
struct AppCredential {
    client_id: Option<String>,
    client_secret: Option<Secret>,
}

/// The checked defaults, and the default app credential for tenants.
fn defaults(place: &Place<'_>, raw: RawDefaults) -> Result<(Defaults, AppCredential)> {
    let line_at = |s: &Spanned<Text>| place.line_of(s.span().start);
    let cloud = match &raw.cloud {
        Some(c) => c
            .get_ref()
            .0
            .parse::<Cloud>()
            .map_err(|e| place.error(line_at(c), "defaults.cloud", e))?,
        None => Cloud::Public,
    };
    let allow_plain_http = raw.allow_plain_http.unwrap_or(false);
    // A credential or a token is sent to each of these URLs.
    let url = |value: &Option<Spanned<Text>>, key: &str| -> Result<Option<Url>> {
        value
            .as_ref()
            .map(|v| {
                let url = Url::parse(&v.get_ref().0)
                    .map_err(|e| place.error(line_at(v), key, format!("not a URL: {e}")))?;
                plain_url(&url).map_err(|m| place.error(line_at(v), key, m))?;
                let setting = format!("{}:{}: `{key}`", place.origin, line_at(v));
                crate::transport::check_cleartext(&url, &setting, allow_plain_http)?;
                Ok(url)
            })
            .transpose()
    };
    let since = raw
        .since
        .as_ref()
        .map(|v| {
            v.get_ref()
                .0
                .parse::<Timestamp>()
                .map_err(|e| place.error(line_at(v), "defaults.since", e))
        })
        .transpose()?;
    let page_size = raw.page_size.as_ref().map_or(1_000, |p| *p.get_ref());
    if !(1..=10_000).contains(&page_size) {
        let line = raw
            .page_size
            .as_ref()
            .map_or(1, |p| place.line_of(p.span().start));
        return Err(place.error(line, "defaults.page_size", "must be 1 to 10000"));
    }
    for (value, key) in [
        (&raw.batch_size, "defaults.batch_size"),
        (&raw.tenant_concurrency, "defaults.tenant_concurrency"),
    ] {
        if let Some(v) = value
            && *v.get_ref() == 0
        {
            return Err(place.error(place.line_of(v.span().start), key, "must be at least 1"));
        }
    }
    let (proxy, no_proxy) = proxy(place, &raw)?;
    let limits = limits(place, &raw)?;
    let checkpoint_dir = raw
        .checkpoint_dir
        .map_or_else(|| PathBuf::from("./checkpoints"), |t| PathBuf::from(t.0));
    let quarantine_file = raw.quarantine_file.map_or_else(
        || checkpoint_dir.join("quarantine.jsonl"),
        |t| PathBuf::from(t.0),
    );
    let defaults = Defaults {
        cloud,
        authority_host: url(&raw.authority_host, "defaults.authority_host")?,
        api_base: url(&raw.api_base, "defaults.api_base")?,
        ca_cert: raw.ca_cert.map(|t| PathBuf::from(t.0)),
        poll_interval: raw.poll_interval.map_or(Duration::from_secs(60), |s| s.0),
        overlap: raw.overlap.map_or(Duration::from_secs(600), |s| s.0),
        page_size,
        batch_size: raw.batch_size.map_or(500, |b| b.into_inner()),
        tenant_concurrency: raw.tenant_concurrency.map_or(8, |b| b.into_inner()),
        checkpoint_dir,
        quarantine_file,
        since,
        user_agent: raw.user_agent.map_or_else(
            || {
                format!(
                    "MdatpPartner-DefenderSiem-Forwarder/{}",
                    env!("CARGO_PKG_VERSION")
                )
            },
            |t| t.0,
        ),
        proxy,
        no_proxy,
        allow_plain_http,
        limits,
    };
    if defaults.poll_interval.is_zero() {
        return Err(Error::Config(format!(
            "{}: `defaults.poll_interval` must be more than zero",
            place.origin
        )));
    }
    let app = AppCredential {
        client_id: raw.client_id.map(|t| t.0),
        client_secret: raw.client_secret.map(|t| Secret::new(t.0)),
    };
    Ok((defaults, app))
}

/// `defaults.max_response_bytes`, `defaults.max_pages_per_poll` and
/// `defaults.max_retry_wait_per_poll`.
fn limits(place: &Place<'_>, raw: &RawDefaults) -> Result<crate::client::Limits> {
    let mut limits = crate::client::Limits::default();
    if let Some(v) = &raw.max_response_bytes {
        if *v.get_ref() == 0 {
            let line = place.line_of(v.span().start);
            return Err(place.error(line, "defaults.max_response_bytes", "must be at least 1"));
        }
        limits.max_response_bytes = *v.get_ref();
    }
    if let Some(v) = &raw.max_pages_per_poll {
        if *v.get_ref() == 0 {
            let line = place.line_of(v.span().start);
            return Err(place.error(line, "defaults.max_pages_per_poll", "must be at least 1"));
        }
        limits.max_pages_per_poll = *v.get_ref();
    }
    if let Some(wait) = &raw.max_retry_wait_per_poll {
        limits.max_retry_wait_per_poll = wait.0;
    }
    Ok(limits)
}

/// `defaults.proxy` and `defaults.no_proxy`.
fn proxy(place: &Place<'_>, raw: &RawDefaults) -> Result<(Proxy, Vec<String>)> {
    let proxy = match &raw.proxy {
        None => Proxy::None,
        Some(v) => {
            let line = place.line_of(v.span().start);
            let text = v.get_ref().0.trim();
            if text == "environment" {
                Proxy::Environment
            } else {
                // Url's own message never repeats the input, which may hold
                // a password.
                let url = Url::parse(text).map_err(|e| {
                    place.error(
                        line,
                        "defaults.proxy",
                        format!("not a URL ({e}); write \"http://host:port\" or \"environment\""),
                    )
                })?;
                if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
                    return Err(place.error(
                        line,
                        "defaults.proxy",
                        "must be an http:// or https:// proxy URL, or \"environment\"",
                    ));
                }
                Proxy::Url(url)
            }
        }
    };
    let Some(list) = &raw.no_proxy else {
        return Ok((proxy, Vec::new()));
    };
    let line = place.line_of(list.span().start);
    if !matches!(proxy, Proxy::Url(_)) {
        return Err(place.error(
            line,
            "defaults.no_proxy",
            "only applies with `proxy = \"http://…\"` (with \"environment\", set NO_PROXY)",
        ));
    }
    let mut hosts = Vec::new();
    for (i, host) in list.get_ref().iter().enumerate() {
        let host = host.0.trim();
        let ok = is_network(host)
            || !host.is_empty()
                && !host.contains(|c: char| c == ',' || c == '/' || c.is_whitespace());
        if !ok {
            return Err(place.error(
                line,
                &format!("defaults.no_proxy[{i}]"),
                "must be a host name, an IP address or a network such as 10.0.0.0/8",
            ));
        }
        hosts.push(host.to_owned());
    }
    Ok((proxy, hosts))
}

/// `10.0.0.0/8`, `fd00::/8`: an address, a slash and a prefix length.
fn is_network(text: &str) -> bool {
    text.split_once('/').is_some_and(|(ip, bits)| {
        ip.parse::<std::net::IpAddr>().is_ok() && bits.parse::<u8>().is_ok_and(|b| b <= 128)
    })
}

fn tenant_config(
    place: &Place<'_>,
    i: usize,
    raw: Spanned<RawTenant>,
    app: &AppCredential,
) -> Result<TenantConfig> {
    let line = place.line_of(raw.span().start);
    let raw = raw.into_inner();
    let key = |k: &str| format!("tenants[{i}].{k}");
    let id = TenantId::new(&raw.id.get_ref().0)
        .map_err(|e| place.error(place.line_of(raw.id.span().start), &key("id"), e))?;
    let client_id = raw
        .client_id
        .map(|t| t.0)
        .or_else(|| app.client_id.clone())
        .ok_or_else(|| {
            place.error(
                line,
                &key("client_id"),
                "missing (set it here or in [defaults])",
            )
        })?;
    let client_secret = raw
        .client_secret
        .map(|t| Secret::new(t.0))
        .or_else(|| app.client_secret.clone())
        .ok_or_else(|| {
            place.error(
                line,
                &key("client_secret"),
                "missing (set it here or in [defaults])",
            )
        })?;
    if client_secret.is_empty() {
        return Err(place.error(line, &key("client_secret"), "is empty"));
    }
    let name = raw.name.map_or_else(|| id.to_string(), |t| t.0);
    Ok(TenantConfig {
        info: TenantInfo::new(id, name),
        client_id,
        client_secret,
    })
}

/// Reads an enum value in any case, naming the choices when it is unknown.
fn one_of<T>(
    value: &str,
    known: &[&str],
    from_wire: fn(&str) -> T,
    what: &str,
) -> Result<T, String> {
    known
        .iter()
        .find(|k| k.eq_ignore_ascii_case(value))
        .map(|k| from_wire(k))
        .ok_or_else(|| format!("`{value}` is not a {what} (one of {})", known.join(", ")))
}

pub(crate) fn severities(values: Option<Vec<Text>>) -> Result<Vec<Severity>, String> {
    values
        .unwrap_or_default()
        .iter()
        .map(|t| one_of(&t.0, Severity::KNOWN, Severity::from_wire, "severity"))
        .collect()
}

pub(crate) fn tenants(values: Option<Vec<Text>>) -> Result<Vec<TenantId>, String> {
    values
        .unwrap_or_default()
        .iter()
        .map(|t| TenantId::new(&t.0).map_err(|e| e.to_string()))
        .collect()
}

pub(crate) fn strings(values: Option<Vec<Text>>) -> Vec<String> {
    values
        .unwrap_or_default()
        .into_iter()
        .map(|t| t.0)
        .collect()
}

pub(super) fn filter_config(raw: RawFilter) -> Result<FilterConfig, String> {
    Ok(FilterConfig {
        min_severity: raw
            .min_severity
            .map(|t| one_of(&t.0, Severity::KNOWN, Severity::from_wire, "severity"))
            .transpose()?,
        severities: severities(raw.severities)?,
        statuses: raw
            .statuses
            .unwrap_or_default()
            .iter()
            .map(|t| one_of(&t.0, AlertStatus::KNOWN, AlertStatus::from_wire, "status"))
            .collect::<Result<_, _>>()?,
        tenants: tenants(raw.tenants)?,
        device_groups: strings(raw.device_groups),
        categories: strings(raw.categories),
        // Detection sources are an open set: unknown names are kept as given.
        detection_sources: strings(raw.detection_sources)
            .iter()
            .map(|s| {
                DetectionSource::KNOWN
                    .iter()
                    .find(|k| k.eq_ignore_ascii_case(s))
                    .map_or_else(
                        || DetectionSource::from_wire(s),
                        |k| DetectionSource::from_wire(k),
                    )
            })
            .collect(),
    })
}
