//! [`SyslogBuilder`]: settings of a [`SyslogSink`].

use std::time::Duration;

use super::sink::SyslogSink;
use crate::error::Error;
use crate::format::{Rfc3164Options, Rfc5424Options};

/// How messages travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Transport {
    /// One message per datagram (RFC 5426).
    Udp,
    /// Plain TCP (RFC 6587).
    Tcp,
    /// TLS (RFC 5425).
    Tls,
}

/// How messages are delimited on TCP and TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Framing {
    /// `LEN SP MSG` (RFC 6587 octet counting). The default.
    #[default]
    OctetCounting,
    /// `MSG LF` (non-transparent framing; safe here because no message
    /// ever holds a raw LF).
    LineFeed,
}

/// Which syslog message format, with its payload.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MessageFormat {
    /// RFC 5424.
    Rfc5424(Rfc5424Options),
    /// RFC 3164 (BSD).
    Rfc3164(Rfc3164Options),
}

impl MessageFormat {
    /// True when the payload is the raw alert JSON, which still carries an
    /// alert whose typed view could not be read.
    pub fn carries_raw_json(&self) -> bool {
        match self {
            MessageFormat::Rfc5424(o) => o.carries_raw_json(),
            MessageFormat::Rfc3164(o) => o.carries_raw_json(),
        }
    }
}

/// Settings of a [`SyslogSink`]; see [`SyslogSink::udp`],
/// [`SyslogSink::tcp`] and [`SyslogSink::tls`].
#[derive(Clone)]
#[must_use]
pub struct SyslogBuilder {
    pub(super) transport: Transport,
    pub(super) address: String,
    pub(super) server_name: String,
    pub(super) format: MessageFormat,
    pub(super) framing: Framing,
    pub(super) max_message_bytes: Option<usize>,
    pub(super) extra_ca_pem: Option<Vec<u8>>,
    pub(super) client_cert: Option<(Vec<u8>, crate::Secret)>,
    pub(super) accept_invalid_certs: bool,
    pub(super) connect_timeout: Duration,
    pub(super) write_timeout: Duration,
}

impl std::fmt::Debug for SyslogBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyslogBuilder")
            .field("transport", &self.transport)
            .field("address", &self.address)
            .field("server_name", &self.server_name)
            .field("format", &self.format)
            .field("framing", &self.framing)
            .field("max_message_bytes", &self.max_message_bytes)
            .field("client_cert", &self.client_cert.as_ref().map(|_| "(set)"))
            .field("accept_invalid_certs", &self.accept_invalid_certs)
            .finish_non_exhaustive()
    }
}

impl SyslogBuilder {
    pub(super) fn new(transport: Transport, address: &str, server_name: &str) -> Self {
        SyslogBuilder {
            transport,
            address: address.to_owned(),
            server_name: server_name.to_owned(),
            format: MessageFormat::Rfc5424(Rfc5424Options::default()),
            framing: Framing::OctetCounting,
            max_message_bytes: (transport == Transport::Udp).then_some(2048),
            extra_ca_pem: None,
            client_cert: None,
            accept_invalid_certs: false,
            connect_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(30),
        }
    }

    /// RFC 5424 messages with these options (the default, JSON payload).
    pub fn rfc5424(mut self, options: Rfc5424Options) -> Self {
        self.format = MessageFormat::Rfc5424(options);
        self
    }
    /// RFC 3164 messages with these options.
    pub fn rfc3164(mut self, options: Rfc3164Options) -> Self {
        self.format = MessageFormat::Rfc3164(options);
        self
    }
    /// TCP/TLS framing. Default octet counting.
    pub fn framing(mut self, framing: Framing) -> Self {
        self.framing = framing;
        self
    }
    /// Largest message (without framing); longer payloads are cut and
    /// marked. Default 2048 on UDP, no limit on TCP/TLS. At least 480.
    pub fn max_message_bytes(mut self, bytes: Option<usize>) -> Self {
        self.max_message_bytes = bytes;
        self
    }
    /// Trusts this CA (PEM) besides the web PKI roots.
    pub fn extra_ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.extra_ca_pem = Some(pem.into());
        self
    }
    /// Presents this client certificate chain and key (PEM) for mutual TLS.
    pub fn client_cert_pem(
        mut self,
        chain: impl Into<Vec<u8>>,
        key: impl Into<crate::Secret>,
    ) -> Self {
        self.client_cert = Some((chain.into(), key.into()));
        self
    }
    /// **Turns TLS certificate verification off**: anyone on the path can
    /// read and change the alerts. Lab use only; logs a warning. Default off.
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> Self {
        self.accept_invalid_certs = accept;
        self
    }
    /// Time allowed to connect (and finish the TLS handshake). Default 10 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }
    /// Time allowed for one write. Default 30 s.
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// Checks the settings and builds the sink. Nothing connects yet.
    pub fn build(self) -> Result<SyslogSink, Error> {
        if self.address.trim().is_empty() {
            return Err(Error::Config("syslog: the address is empty".into()));
        }
        if self.max_message_bytes.is_some_and(|m| m < 480) {
            return Err(Error::Config(
                "syslog: max_message_bytes must be at least 480 (RFC 5426)".into(),
            ));
        }
        SyslogSink::from_builder(self)
    }
}

// ---------------------------------------------------------------------------
// The `[[sinks]]` settings of the configuration file (their own imports
// here, so that this section stays apart from the builder above).

use std::path::PathBuf;
use std::sync::Arc;

use serde::Deserialize;

use crate::config::{SinkAt, SinkContext, SinkSettings, Text, read_pem};
use crate::format::{CefOptions, LeefOptions, Payload};
use crate::sink::AlertSink;

/// The `[[sinks]]` settings of a `type = "syslog"` sink in the forwarder's
/// configuration file. The choices are kept lower-cased, as checked.
///
/// ```toml
/// [[sinks]]
/// name = "syslog"
/// type = "syslog"
/// address = "siem.example:6514"
/// transport = "tls"            # udp | tcp | tls (default)
/// framing = "octet-counting"   # octet-counting (default) | lf
/// protocol = "rfc5424"         # rfc5424 (default) | rfc3164
/// format = "cef"               # json (default) | cef | leef
/// max_message_size = 2048      # optional (UDP)
/// ca_cert = "siem-ca.pem"      # optional
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SyslogSettings {
    /// `address`, `host:port`.
    pub address: String,
    /// `transport`: `udp`, `tcp` or `tls` (default).
    pub transport: String,
    /// `framing`: `octet-counting` (default) or `lf`.
    pub framing: String,
    /// `protocol`: `rfc5424` (default) or `rfc3164`.
    pub protocol: String,
    /// `format`: `json` (default), `cef` or `leef`.
    pub format: String,
    /// `max_message_size` (UDP).
    pub max_message_size: Option<usize>,
    /// `ca_cert`: an extra trusted CA (PEM).
    pub ca_cert: Option<PathBuf>,
}

/// The keys of a syslog sink as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSyslog {
    address: Option<Text>,
    transport: Option<Text>,
    framing: Option<Text>,
    protocol: Option<Text>,
    format: Option<Text>,
    max_message_size: Option<usize>,
    ca_cert: Option<Text>,
}

impl SinkSettings for SyslogSettings {
    type Raw = RawSyslog;

    fn check(raw: RawSyslog, at: &SinkAt<'_>) -> Result<Self, Error> {
        Ok(SyslogSettings {
            address: at.required(raw.address, "address")?,
            transport: at.one_of(raw.transport, "transport", &["tls", "tcp", "udp"])?,
            framing: at.one_of(raw.framing, "framing", &["octet-counting", "lf"])?,
            protocol: at.one_of(raw.protocol, "protocol", &["rfc5424", "rfc3164"])?,
            format: at.one_of(raw.format, "format", &["json", "cef", "leef"])?,
            max_message_size: raw.max_message_size,
            ca_cert: raw.ca_cert.map(|t| PathBuf::from(t.0)),
        })
    }

    fn build(&self, at: &SinkContext<'_>) -> Result<Arc<dyn AlertSink>, Error> {
        let address = self.address.as_str();
        let host = address.rsplit_once(':').map_or(address, |(h, _)| h);
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let mut b = match self.transport.as_str() {
            "udp" => SyslogSink::udp(address),
            "tcp" => SyslogSink::tcp(address),
            _ => SyslogSink::tls(address, host),
        };
        let payload = match self.format.as_str() {
            "cef" => Payload::Cef(CefOptions::default()),
            "leef" => Payload::Leef(LeefOptions::default()),
            _ => Payload::Json,
        };
        b = if self.protocol == "rfc3164" {
            b.rfc3164(Rfc3164Options::default().payload(payload))
        } else {
            b.rfc5424(Rfc5424Options::default().payload(payload))
        };
        b = b.framing(if self.framing == "lf" {
            Framing::LineFeed
        } else {
            Framing::OctetCounting
        });
        if self.max_message_size.is_some() {
            b = b.max_message_bytes(self.max_message_size);
        }
        if let Some(path) = &self.ca_cert {
            b = b.extra_ca_pem(read_pem(path)?);
        }
        Ok(at.named(b.build()?))
    }
}

#[cfg(test)]
mod settings_tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use crate::config::SinkKind;
    use crate::config::testing::{parse_sink, refused};

    const SYSLOG: &str =
        "[[sinks]]\nname = \"s\"\ntype = \"syslog\"\naddress = \"siem.example:6514\"\n";

    #[test]
    fn reads_the_keys_with_their_defaults() {
        let config = parse_sink(&format!("{SYSLOG}format = \"CEF\"\n")).unwrap();
        let SinkKind::Syslog(syslog) = &config.kind else {
            panic!("{config:?}")
        };
        assert_eq!(
            [
                &syslog.transport,
                &syslog.framing,
                &syslog.protocol,
                &syslog.format
            ],
            ["tls", "octet-counting", "rfc5424", "cef"]
        );
    }

    #[test]
    fn refuses_unknown_and_foreign_keys_and_bad_choices() {
        refused(
            &format!("{SYSLOG}port = 514\n"),
            &["f.toml:9: unknown field `port` in sink `s` (type syslog)"],
        );
        refused(
            &format!("{SYSLOG}client_secret = \"${{TEST_SECRET}}\"\n"),
            &[
                "f.toml:5: `sinks[0].client_secret`: does not apply to type syslog (line 9; it is a key of type sentinel)",
            ],
        );
        refused(
            &format!("{SYSLOG}transport = \"quic\"\n"),
            &["f.toml:5: `sinks[0].transport`: `quic` is not one of tls, tcp, udp"],
        );
    }
}
