//! [`SyslogSink`]: the `AlertSink` over UDP, TCP or TLS.

use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use chrono::Utc;
use tokio::net::UdpSocket;
use tokio::sync::Mutex;

use super::config::{SyslogBuilder, Transport};
use super::encode::Frames;
use super::tls;
use super::transport::{Connector, Stream, udp_socket};
use crate::error::Error;
use crate::sink::{AlertRecord, AlertSink, SinkError, SinkErrorKind};

const NAME: &str = "syslog";

/// Counters of a [`SyslogSink`] since it was built.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SyslogStats {
    /// Messages written completely.
    pub sent: u64,
    /// Messages whose payload was cut to fit the size limit.
    pub truncated: u64,
    /// Connections (re-)established.
    pub connects: u64,
}

#[derive(Debug, Default)]
struct State {
    stream: Option<Stream>,
    udp: Option<UdpSocket>,
    frames: Frames,
}

/// Sends alerts as syslog messages; see the [module docs](super).
#[derive(Debug)]
pub struct SyslogSink {
    config: SyslogBuilder,
    connector: Option<Connector>,
    state: Mutex<State>,
    sent: AtomicU64,
    truncated: AtomicU64,
    connects: AtomicU64,
}

impl SyslogSink {
    /// Settings for UDP to `address` (`host:port`, usually port 514).
    pub fn udp(address: &str) -> SyslogBuilder {
        SyslogBuilder::new(Transport::Udp, address, "")
    }

    /// Settings for plain TCP to `address` (`host:port`, often 514 or 601).
    pub fn tcp(address: &str) -> SyslogBuilder {
        SyslogBuilder::new(Transport::Tcp, address, "")
    }

    /// Settings for TLS to `address` (`host:port`, usually 6514); the
    /// certificate must be valid for `server_name`.
    pub fn tls(address: &str, server_name: &str) -> SyslogBuilder {
        SyslogBuilder::new(Transport::Tls, address, server_name)
    }

    pub(super) fn from_builder(config: SyslogBuilder) -> Result<Self, Error> {
        let connector = match config.transport {
            Transport::Udp => None,
            Transport::Tcp => Some(Connector::Tcp),
            Transport::Tls => Some(Connector::Tls(
                tls::client_config(&config)?,
                tls::server_name(&config.server_name)?,
            )),
        };
        Ok(SyslogSink {
            config,
            connector,
            state: Mutex::new(State::default()),
            sent: AtomicU64::new(0),
            truncated: AtomicU64::new(0),
            connects: AtomicU64::new(0),
        })
    }

    /// What the sink has done so far.
    pub fn stats(&self) -> SyslogStats {
        SyslogStats {
            sent: self.sent.load(Ordering::Relaxed),
            truncated: self.truncated.load(Ordering::Relaxed),
            connects: self.connects.load(Ordering::Relaxed),
        }
    }

    /// A failed connect or write: retryable, a timeout when it timed out.
    fn io_error(&self, what: &str, e: &std::io::Error) -> SinkError {
        let kind = if e.kind() == std::io::ErrorKind::TimedOut {
            SinkErrorKind::Timeout
        } else {
            SinkErrorKind::Connection
        };
        SinkError::new(NAME, kind, true, format!("{what}: {e}"))
    }

    /// Writes the encoded frames over the stream, one attempt: connects
    /// when there is no live connection; on a failure drops the stream (the
    /// next `send` reconnects) and reports the frames written completely as
    /// accepted.
    async fn send_stream(&self, state: &mut State) -> Result<(), SinkError> {
        let Some(connector) = &self.connector else {
            return Err(SinkError::config(NAME, "no stream transport"));
        };
        if state.stream.as_ref().is_some_and(Stream::peer_closed) {
            tracing::info!(
                sink = NAME,
                "the receiver closed the connection; reconnecting"
            );
            state.stream = None;
        }
        let stream = match state.stream.as_mut() {
            Some(stream) => stream,
            None => {
                let stream = connector
                    .connect(&self.config.address, self.config.connect_timeout)
                    .await
                    .map_err(|e| self.io_error("cannot connect", &e))?;
                self.connects.fetch_add(1, Ordering::Relaxed);
                state.stream.insert(stream)
            }
        };
        let total = state.frames.buf.len();
        let mut offset = 0;
        let mut done = 0;
        while offset < total {
            let chunk = &state.frames.buf[offset..total];
            let result =
                tokio::time::timeout(self.config.write_timeout, stream.write_flushed(chunk)).await;
            let result = result.unwrap_or_else(|_| {
                Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "write timed out",
                ))
            });
            match result {
                Ok(n) => {
                    offset += n;
                    let now_done = state.frames.complete_before(offset);
                    self.sent
                        .fetch_add((now_done - done) as u64, Ordering::Relaxed);
                    done = now_done;
                }
                Err(e) => {
                    // The frame in flight was not written whole: the receiver
                    // drops it with the connection; the caller sends it again,
                    // from its first byte, on a new connection.
                    state.stream = None;
                    return Err(self.io_error("lost the connection", &e).with_accepted(done));
                }
            }
        }
        Ok(())
    }

    /// Sends one datagram per frame, one attempt; on a failure drops the
    /// socket and reports the datagrams sent as accepted.
    async fn send_udp(&self, state: &mut State) -> Result<(), SinkError> {
        let socket = match state.udp.as_ref() {
            Some(socket) => socket,
            None => {
                let socket = udp_socket(&self.config.address)
                    .await
                    .map_err(|e| self.io_error("cannot open a UDP socket", &e))?;
                self.connects.fetch_add(1, Ordering::Relaxed);
                state.udp.insert(socket)
            }
        };
        for done in 0..state.frames.ends.len() {
            if let Err(e) = socket.send(state.frames.frame(done)).await {
                state.udp = None;
                return Err(self.io_error("cannot send", &e).with_accepted(done));
            }
            self.sent.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }
}

#[async_trait]
impl AlertSink for SyslogSink {
    fn name(&self) -> &str {
        NAME
    }

    /// Every record, but one whose typed view could not be read
    /// ([`AlertRecord::is_malformed`]) only when the format carries the raw
    /// JSON ([`super::MessageFormat::carries_raw_json`]).
    fn accepts(&self, record: &AlertRecord) -> bool {
        !record.is_malformed() || self.config.format.carries_raw_json()
    }

    /// One attempt: on a connect or write failure the error is retryable
    /// and [`SinkError::accepted`] is the number of messages written
    /// completely; the next `send` (of the rest) reconnects.
    async fn send(&self, batch: &[AlertRecord]) -> Result<(), SinkError> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut guard = self.state.lock().await;
        let state = &mut *guard;
        let framing = (self.config.transport != Transport::Udp).then_some(self.config.framing);
        state.frames.encode(
            batch,
            &self.config.format,
            framing,
            self.config.max_message_bytes,
            Utc::now(),
        );
        for &(i, original) in &state.frames.truncated {
            self.truncated.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                sink = NAME,
                tenant = %batch[i].tenant.id,
                alert_id = batch[i].alert_id(),
                original_bytes = original,
                limit = self.config.max_message_bytes,
                "syslog message too long: payload truncated and marked"
            );
        }
        let sent = match self.config.transport {
            Transport::Udp => self.send_udp(state).await,
            Transport::Tcp | Transport::Tls => self.send_stream(state).await,
        };
        sent.map_err(|e| e.at(&self.config.address))
    }

    async fn health(&self) -> Result<(), SinkError> {
        let Some(connector) = &self.connector else {
            return udp_socket(&self.config.address)
                .await
                .map(|_| ())
                .map_err(|e| {
                    self.io_error("cannot open a UDP socket", &e)
                        .at(&self.config.address)
                });
        };
        let mut state = self.state.lock().await;
        if state.stream.as_ref().is_some_and(|s| !s.peer_closed()) {
            return Ok(());
        }
        let stream = connector
            .connect(&self.config.address, self.config.connect_timeout)
            .await
            .map_err(|e| self.io_error("cannot connect", &e).at(&self.config.address))?;
        self.connects.fetch_add(1, Ordering::Relaxed);
        state.stream = Some(stream);
        Ok(())
    }

    async fn flush(&self) -> Result<(), SinkError> {
        Ok(())
    }
}

impl SyslogSink {
    /// Closes the connection politely (TLS close_notify). The next send
    /// opens a new one.
    pub async fn close(&self) {
        if let Some(stream) = self.state.lock().await.stream.take() {
            stream.close().await;
        }
    }
}
