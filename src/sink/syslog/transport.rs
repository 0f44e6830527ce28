//! Connections: TCP, TLS over TCP, and a connected UDP socket.

use std::io;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use tokio::io::{AsyncWriteExt, ReadBuf};
use tokio::net::{TcpStream, UdpSocket};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::ClientConfig;
use tokio_rustls::rustls::pki_types::ServerName;

/// An open stream to the receiver.
#[derive(Debug)]
pub(crate) enum Stream {
    Tcp(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

/// How to open a stream.
#[derive(Debug, Clone)]
pub(crate) enum Connector {
    Tcp,
    Tls(Arc<ClientConfig>, ServerName<'static>),
}

fn timed_out(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, format!("{what} timed out"))
}

impl Connector {
    pub async fn connect(&self, address: &str, timeout: Duration) -> io::Result<Stream> {
        let tcp = tokio::time::timeout(timeout, TcpStream::connect(address))
            .await
            .map_err(|_| timed_out("connect"))??;
        tcp.set_nodelay(true)?;
        match self {
            Connector::Tcp => Ok(Stream::Tcp(tcp)),
            Connector::Tls(config, name) => {
                let tls = tokio::time::timeout(
                    timeout,
                    TlsConnector::from(config.clone()).connect(name.clone(), tcp),
                )
                .await
                .map_err(|_| timed_out("TLS handshake"))??;
                Ok(Stream::Tls(Box::new(tls)))
            }
        }
    }
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Tcp(s) => s,
            Stream::Tls(s) => s.get_ref().0,
        }
    }

    /// True when the receiver has closed (or reset) the connection. Checked
    /// without blocking before a batch, so nothing is written into a socket
    /// the peer already gave up. A syslog receiver never sends data; any
    /// byte on a TLS stream is a close or an alert, so it counts as closed.
    pub fn peer_closed(&self) -> bool {
        let mut byte = [0u8; 1];
        let mut buf = ReadBuf::new(&mut byte);
        let mut cx = Context::from_waker(Waker::noop());
        match self.tcp().poll_peek(&mut cx, &mut buf) {
            Poll::Pending => false,
            Poll::Ready(Ok(0)) | Poll::Ready(Err(_)) => true,
            Poll::Ready(Ok(_)) => matches!(self, Stream::Tls(_)),
        }
    }

    /// Writes some of `buf` and flushes it to the socket.
    pub async fn write_flushed(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = match self {
            Stream::Tcp(s) => s.write(buf).await?,
            Stream::Tls(s) => s.write(buf).await?,
        };
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::WriteZero,
                "the connection took no bytes",
            ));
        }
        match self {
            Stream::Tcp(s) => s.flush().await?,
            Stream::Tls(s) => s.flush().await?,
        }
        Ok(n)
    }

    /// Closes the stream politely (TLS close_notify), ignoring errors.
    pub async fn close(mut self) {
        let _ = match &mut self {
            Stream::Tcp(s) => s.shutdown().await,
            Stream::Tls(s) => s.shutdown().await,
        };
    }
}

/// A UDP socket connected to the receiver.
pub(crate) async fn udp_socket(address: &str) -> io::Result<UdpSocket> {
    let target = tokio::net::lookup_host(address)
        .await?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "the address did not resolve"))?;
    let local = if target.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let socket = UdpSocket::bind(local).await?;
    socket.connect(target).await?;
    Ok(socket)
}
