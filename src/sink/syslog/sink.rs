//! [`SyslogSink`]: the `AlertSink` over UDP, TCP or TLS.

use std::hash::{DefaultHasher, Hash, Hasher};
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
use crate::retry::{Decision, Failure};
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
    /// (batch fingerprint, frames of it known written) after a failed send.
    resume: Option<(u64, usize)>,
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

fn fingerprint(batch: &[AlertRecord]) -> u64 {
    let mut h = DefaultHasher::new();
    for r in batch {
        r.tenant.id.as_str().hash(&mut h);
        r.raw.get().hash(&mut h);
    }
    h.finish()
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

    fn io_error(&self, what: &str, e: &std::io::Error) -> (Failure, SinkError) {
        let failure = if e.kind() == std::io::ErrorKind::TimedOut {
            Failure::Timeout
        } else {
            Failure::Connection
        };
        let message = format!("{what} {}: {e}", self.config.address);
        (
            failure,
            SinkError::new(NAME, SinkErrorKind::Connection, true, message),
        )
    }

    /// Waits as the policy says, or gives up with `error`.
    async fn back_off(
        &self,
        attempt: &mut u32,
        failure: Failure,
        error: SinkError,
    ) -> Result<(), SinkError> {
        *attempt += 1;
        match self.config.retry.decide(*attempt, failure) {
            Decision::RetryAfter(wait) => {
                tracing::warn!(sink = NAME, attempt = *attempt, error = %error, ?wait, "retrying");
                tokio::time::sleep(wait).await;
                Ok(())
            }
            Decision::GiveUp => Err(error),
        }
    }

    async fn send_stream(
        &self,
        state: &mut State,
        fp: u64,
        mut done: usize,
    ) -> Result<(), SinkError> {
        let Some(connector) = &self.connector else {
            return Err(SinkError::config(NAME, "no stream transport"));
        };
        let mut offset = state.frames.start_of(done);
        let total = state.frames.buf.len();
        let mut attempt = 0;
        while offset < total {
            if state.stream.as_ref().is_some_and(Stream::peer_closed) {
                tracing::info!(
                    sink = NAME,
                    "the receiver closed the connection; reconnecting"
                );
                state.stream = None;
            }
            if state.stream.is_none() {
                match connector
                    .connect(&self.config.address, self.config.connect_timeout)
                    .await
                {
                    Ok(stream) => {
                        self.connects.fetch_add(1, Ordering::Relaxed);
                        state.stream = Some(stream);
                    }
                    Err(e) => {
                        let (failure, error) = self.io_error("cannot connect to", &e);
                        state.resume = Some((fp, done));
                        self.back_off(&mut attempt, failure, error).await?;
                        continue;
                    }
                }
            }
            let Some(stream) = state.stream.as_mut() else {
                continue;
            };
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
                    // drops it with the connection, so it is sent again from
                    // its first byte on the next connection.
                    state.stream = None;
                    offset = state.frames.start_of(done);
                    state.resume = Some((fp, done));
                    let (failure, error) = self.io_error("lost the connection to", &e);
                    self.back_off(&mut attempt, failure, error).await?;
                }
            }
        }
        state.resume = None;
        Ok(())
    }

    async fn send_udp(&self, state: &mut State, fp: u64, mut done: usize) -> Result<(), SinkError> {
        let mut attempt = 0;
        while done < state.frames.ends.len() {
            if state.udp.is_none() {
                match udp_socket(&self.config.address).await {
                    Ok(socket) => {
                        self.connects.fetch_add(1, Ordering::Relaxed);
                        state.udp = Some(socket);
                    }
                    Err(e) => {
                        let (failure, error) = self.io_error("cannot open a UDP socket to", &e);
                        state.resume = Some((fp, done));
                        self.back_off(&mut attempt, failure, error).await?;
                        continue;
                    }
                }
            }
            let Some(socket) = state.udp.as_ref() else {
                continue;
            };
            match socket.send(state.frames.frame(done)).await {
                Ok(_) => {
                    done += 1;
                    self.sent.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => {
                    state.udp = None;
                    state.resume = Some((fp, done));
                    let (failure, error) = self.io_error("cannot send to", &e);
                    self.back_off(&mut attempt, failure, error).await?;
                }
            }
        }
        state.resume = None;
        Ok(())
    }
}

#[async_trait]
impl AlertSink for SyslogSink {
    fn name(&self) -> &str {
        NAME
    }

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
        let fp = fingerprint(batch);
        let done = match state.resume {
            Some((f, done)) if f == fp => {
                tracing::info!(
                    sink = NAME,
                    skipped = done,
                    "resuming a batch after the messages already written"
                );
                done
            }
            _ => 0,
        };
        match self.config.transport {
            Transport::Udp => self.send_udp(state, fp, done).await,
            Transport::Tcp | Transport::Tls => self.send_stream(state, fp, done).await,
        }
    }

    async fn health(&self) -> Result<(), SinkError> {
        let Some(connector) = &self.connector else {
            return udp_socket(&self.config.address)
                .await
                .map(|_| ())
                .map_err(|e| self.io_error("cannot open a UDP socket to", &e).1);
        };
        let mut state = self.state.lock().await;
        if state.stream.as_ref().is_some_and(|s| !s.peer_closed()) {
            return Ok(());
        }
        let stream = connector
            .connect(&self.config.address, self.config.connect_timeout)
            .await
            .map_err(|e| self.io_error("cannot connect to", &e).1)?;
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
