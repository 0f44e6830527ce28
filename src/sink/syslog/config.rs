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
