//! What the two HTTP sinks (Splunk HEC, Sentinel) share besides their
//! client (which [`crate::transport::HttpSettings`] builds): gzip,
//! `Retry-After`, errors without URLs, and the request bodies kept for reuse.

use std::io::Write as _;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;

use flate2::Compression;
use flate2::write::GzEncoder;
use reqwest::header::HeaderMap;
use url::Url;

use crate::error::Error;
use crate::retry::parse_retry_after;
use crate::sink::{SinkError, SinkErrorKind};

/// Checks an endpoint: http(s), no user info, no query, no fragment.
pub(crate) fn check_endpoint(sink: &str, url: &str) -> Result<Url, Error> {
    let parsed = Url::parse(url)
        .map_err(|e| Error::Config(format!("{sink}: the endpoint is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "https" | "http") {
        return Err(Error::Config(format!(
            "{sink}: the endpoint must start with https:// (or http:// to a loopback host)"
        )));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Error::Config(format!(
            "{sink}: the endpoint must not hold credentials"
        )));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(Error::Config(format!(
            "{sink}: the endpoint must not have a query string or fragment"
        )));
    }
    Ok(parsed)
}

/// `url` without its query string, for messages.
#[cfg_attr(not(feature = "sentinel"), allow(dead_code))]
pub(crate) fn display_url(url: &Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.to_string()
}

/// The error for a 3xx answer: redirects are never followed.
pub(crate) fn redirect_refused(sink: &str, status: u16) -> SinkError {
    SinkError::new(
        sink,
        SinkErrorKind::Config,
        false,
        format!(
            "the endpoint answered {status} (a redirect), which is never followed so that the \
             token and the alerts only go to the configured host: set the endpoint to the final URL"
        ),
    )
    .with_status(status)
}

/// How many sent bodies a sink keeps for reuse.
const SPARE_BODIES: usize = 4;

/// Request bodies already sent, kept for the next batches: a fresh
/// megabyte-sized buffer costs a page fault per 4 KiB the first time it is
/// written, more than encoding into it. At most [`SPARE_BODIES`] are kept.
#[derive(Debug, Default)]
pub(crate) struct SpareBodies(Mutex<Vec<Vec<u8>>>);

impl SpareBodies {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Vec<u8>>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes every kept buffer, to encode the next bodies into.
    pub(crate) fn take(&self) -> Vec<Vec<u8>> {
        std::mem::take(&mut *self.lock())
    }

    /// Keeps `bodies` (the ones an encoder did not use, or sent ones).
    pub(crate) fn keep(&self, bodies: impl IntoIterator<Item = Vec<u8>>) {
        let mut spare = self.lock();
        let room = SPARE_BODIES.saturating_sub(spare.len());
        spare.extend(bodies.into_iter().take(room));
    }

    /// Takes back the buffer of a sent body when the request no longer
    /// holds it (otherwise it is simply dropped).
    pub(crate) fn reclaim(&self, body: Bytes) {
        if let Ok(unique) = body.try_into_mut() {
            self.keep([Vec::from(unique)]);
        }
    }
}

/// `body` in a gzip container.
pub fn gzip(body: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::with_capacity(body.len() / 4 + 64), Compression::fast());
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(body);
    enc.finish().unwrap_or_default()
}

/// The `Retry-After` of a response.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    parse_retry_after(value, chrono::Utc::now())
}

/// A reqwest error and its causes in one line (a certificate problem is
/// only named by a cause), without the URL.
fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// A transport error as a sink error (timeout or connection, both
/// retryable), without the URL.
pub(crate) fn transport(sink: &str, e: reqwest::Error) -> SinkError {
    let e = e.without_url();
    if e.is_timeout() {
        SinkError::new(
            sink,
            SinkErrorKind::Timeout,
            true,
            format!("request timed out: {}", describe(&e)),
        )
    } else {
        let message = format!("connection failed: {}", describe(&e));
        SinkError::connection(sink, message).with_source(e)
    }
}

/// `host:port` of `url` (the port the scheme implies when none is given),
/// for [`SinkError::at`]: no path, no query string.
pub(crate) fn host_port(url: &Url) -> String {
    let host = url.host().map_or_else(|| "?".to_owned(), |h| h.to_string());
    match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    }
}

/// What a backend answered to one request.
pub(crate) struct Answer {
    pub status: u16,
    pub retry_after: Option<Duration>,
    pub body: Bytes,
}

/// Sends `req` once (with `Content-Encoding: gzip` when `gzipped`) and
/// reads the answer; a transport failure is a retryable sink error.
pub(crate) async fn send_once(
    sink: &str,
    mut req: reqwest::RequestBuilder,
    gzipped: bool,
) -> Result<Answer, SinkError> {
    if gzipped {
        req = req.header(reqwest::header::CONTENT_ENCODING, "gzip");
    }
    let resp = req.send().await.map_err(|e| transport(sink, e))?;
    let status = resp.status().as_u16();
    let retry_after = retry_after(resp.headers());
    let body = resp.bytes().await.unwrap_or_default();
    Ok(Answer {
        status,
        retry_after,
        body,
    })
}

/// What a receiver answered, as it may appear in an error: the credential
/// the request carried cut out (a proxy or a receiver may echo it), control
/// and format characters escaped, at most `max` characters. See
/// [`crate::transport::server_text`].
#[cfg_attr(not(any(feature = "splunk", feature = "sentinel")), allow(dead_code))]
pub(crate) fn reply_text(body: &[u8], credential: &str, max: usize) -> String {
    crate::transport::server_body(body, &[credential], max)
}
