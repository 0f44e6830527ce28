//! Syslog sink (feature `syslog`): UDP, TCP or TLS.
//!
//! * **Messages**: RFC 5424 (default) or RFC 3164, from
//!   [`format::rfc5424`](crate::format::rfc5424) /
//!   [`format::rfc3164`](crate::format::rfc3164), with a JSON (default),
//!   CEF or LEEF payload. No message ever holds a raw CR or LF.
//! * **Framing on TCP/TLS**: octet counting (RFC 6587 / RFC 5425, the
//!   default: `LEN SP MSG`) or LF after each message.
//! * **Size limit**: UDP has an explicit maximum message size (default
//!   2048 bytes, what RFC 5426 says every receiver should take; rsyslog
//!   accepts 8 KiB by default). A longer message has its *payload* cut on a
//!   character boundary, before framing, and is marked: the payload ends in
//!   [`TRUNCATION_MARKER`](crate::format::TRUNCATION_MARKER), RFC 5424 adds
//!   `truncated="<original bytes>"` to the SD element, a warning is logged
//!   with the alert id, and [`SyslogStats::truncated`] counts it. TCP and
//!   TLS have no limit unless one is set.
//! * **Connections** (TCP/TLS) are kept open between batches and checked
//!   before each batch (a peer that closed is noticed before anything is
//!   written into a dead socket). The sink makes one attempt per `send`: a
//!   failed connect or write drops the connection and returns a retryable
//!   error whose [`SinkError::accepted`](crate::sink::SinkError::accepted)
//!   is the number of messages written and flushed completely; the caller
//!   ([`sink::deliver`](crate::sink::deliver), the forwarder) sends only the
//!   rest again, and that `send` reconnects. The message that was cut by the
//!   failure is sent again from its first byte. (TCP itself cannot say what
//!   the receiver read before a reset; for end-to-end acknowledgement use
//!   HEC with indexer acks.) UDP likewise counts the datagrams sent.
//! * **TLS**: rustls (ring), the web PKI roots plus an optional extra CA,
//!   optional client certificate; verification is on unless turned off with
//!   the explicitly named `danger_accept_invalid_certs` (logs a warning).
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use defender_siem::format::{CefOptions, Payload, Rfc5424Options};
//! use defender_siem::sink::AlertSink;
//! use defender_siem::sink::syslog::SyslogSink;
//!
//! let sink = SyslogSink::tls("siem.example.com:6514", "siem.example.com")
//!     .rfc5424(Rfc5424Options::default().payload(Payload::Cef(CefOptions::default())))
//!     .extra_ca_pem(std::fs::read("/etc/ssl/siem-ca.pem")?)
//!     .build()?;
//! # let batch = [];
//! sink.send(&batch).await?;
//! # Ok(()) }
//! ```

mod config;
mod encode;
mod sink;
mod tls;
mod transport;

pub use config::{Framing, MessageFormat, SyslogBuilder, SyslogSettings, Transport};
pub use sink::{SyslogSink, SyslogStats};
