//! The one rule for every URL a credential is sent to: `https`, or plain
//! `http` only to a loopback host (`127.0.0.0/8`, `::1`, `localhost`),
//! unless the caller explicitly allowed plain HTTP (`allow_plain_http`),
//! which logs a warning naming the setting and the host.
//!
//! Used by the Defender client's base URLs, the Entra authority of every
//! credential, the Splunk HEC and Sentinel endpoints, and the
//! configuration file's checks.

use tracing::warn;
use url::{Host, Url};

use crate::error::{Error, Result};

/// True when `url` names a loopback host: an IPv4 address in
/// `127.0.0.0/8`, `::1` (or an IPv4-mapped loopback), or `localhost`.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        // A URL of a scheme the url crate does not know (`smtp+plain://`)
        // keeps an IPv4 address as an opaque host name.
        Some(Host::Domain(d)) => match d.parse::<std::net::Ipv4Addr>() {
            Ok(ip) => ip.is_loopback(),
            Err(_) => d.trim_end_matches('.').eq_ignore_ascii_case("localhost"),
        },
        None => false,
    }
}

/// Checks that a credential may be sent to `url`, the value of `setting`
/// (a builder setter or a configuration key, named in the error with the
/// host, never the path or query). `https` with a host passes; `http` to a
/// loopback host passes; `http` elsewhere passes only when
/// `allow_plain_http` is set, with a warning; anything else is refused.
pub(crate) fn check_cleartext(url: &Url, setting: &str, allow_plain_http: bool) -> Result<()> {
    let host = url.host_str().unwrap_or_default();
    match url.scheme() {
        "https" if !host.is_empty() => Ok(()),
        "http" if !host.is_empty() && is_loopback(url) => Ok(()),
        "http" if !host.is_empty() && allow_plain_http => {
            warn!(
                setting,
                host,
                "plain http allowed (allow_plain_http): credentials and alerts cross the \
                 network in clear"
            );
            Ok(())
        }
        "http" if !host.is_empty() => Err(Error::Config(format!(
            "{setting}: `http://{host}` would send a credential in clear text; use https:// \
             (plain http is accepted only to a loopback host, or with allow_plain_http = true)"
        ))),
        scheme => Err(Error::Config(format!(
            "{setting}: `{scheme}://{host}` must be an https:// URL with a host"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(url: &str, allow: bool) -> Result<()> {
        check_cleartext(&Url::parse(url).unwrap(), "the setting", allow)
    }

    #[test]
    fn https_anywhere_and_http_only_to_loopback() {
        for ok in [
            "https://splunk.example:8088",
            "http://127.0.0.1:8088",
            "http://127.9.9.9",
            "http://[::1]:9",
            "http://[::ffff:127.0.0.1]:9",
            "http://localhost:8088/x",
            "http://LOCALHOST.",
        ] {
            assert!(check(ok, false).is_ok(), "{ok}");
        }
        for refused in [
            "http://splunk.example:8088",
            "http://10.0.0.5",
            "http://localhost.example",
            "http://128.0.0.1",
            "http://[::2]",
        ] {
            let e = check(refused, false).unwrap_err().to_string();
            assert!(e.contains("the setting: `http://"), "{e}");
            assert!(e.contains("allow_plain_http"), "{e}");
        }
        assert!(check("ftp://h", true).is_err());
        assert!(check("file:///etc/passwd", true).is_err());
    }

    #[test]
    fn loopback_hosts_of_other_schemes() {
        for (url, loopback) in [
            ("smtp+plain://127.0.0.1:25", true),
            ("smtp+plain://localhost", true),
            ("smtp+plain://[::1]:25", true),
            ("smtp+plain://mail.example", false),
            ("smtp+plain://10.1.1.1", false),
        ] {
            assert_eq!(is_loopback(&Url::parse(url).unwrap()), loopback, "{url}");
        }
    }

    #[test]
    fn allow_plain_http_lets_any_host_through() {
        assert!(check("http://splunk.example:8088", true).is_ok());
    }

    #[test]
    fn the_error_names_the_host_but_not_path_or_query() {
        let e = check("http://splunk.example:8088/p4th?key=s3cr3t", false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("`http://splunk.example`"), "{e}");
        assert!(!e.contains("s3cr3t") && !e.contains("p4th"), "{e}");
    }
}
