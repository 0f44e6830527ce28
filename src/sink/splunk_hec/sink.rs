//! [`SplunkHecSink`]: the `AlertSink` over HEC.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::ops::Range;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use async_trait::async_trait;
use bytes::Bytes;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use serde::Deserialize;
use url::Url;

use super::codes::{hec_code, status_retryable};
use super::config::{InvalidEvents, SplunkHecBuilder};
use super::encode::{encode_batches_reusing, encode_range};
use crate::error::Error;
use crate::sink::http::{self, SpareBodies, gzip};
use crate::sink::{AlertRecord, AlertSink, SinkError, SinkErrorKind};

pub(super) const NAME: &str = "splunk_hec";
pub(super) const CHANNEL_HEADER: &str = "X-Splunk-Request-Channel";

/// An alert Splunk refused and the sink set aside (see
/// [`InvalidEvents::SetAside`]).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SetAside {
    /// The record.
    pub record: AlertRecord,
    /// Splunk's reason (text and code).
    pub reason: String,
}

/// Sends alerts to Splunk's HTTP Event Collector; see the
/// [module docs](super).
pub struct SplunkHecSink {
    pub(super) config: SplunkHecBuilder,
    pub(super) client: reqwest::Client,
    pub(super) auth: HeaderValue,
    pub(super) channel: HeaderValue,
    pub(super) event_url: Url,
    pub(super) ack_url: Url,
    health_url: Url,
    /// `host:port`, for errors.
    at: String,
    set_aside: Mutex<VecDeque<SetAside>>,
    set_aside_total: AtomicU64,
    /// Set-aside records dropped because `keep_set_aside` were kept.
    set_aside_dropped: AtomicU64,
    /// Bodies already sent, kept for the next batches.
    spare: SpareBodies,
}

impl fmt::Debug for SplunkHecSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SplunkHecSink")
            .field("config", &self.config)
            .field("channel", &self.channel)
            .finish_non_exhaustive()
    }
}

/// The HEC reply body.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Reply {
    pub text: Option<String>,
    pub code: Option<i64>,
    #[serde(rename = "invalid-event-number")]
    pub invalid_event: Option<usize>,
    #[serde(rename = "ackId")]
    pub ack_id: Option<u64>,
}

/// How one POST of one range ended.
enum Posted {
    Accepted(Option<u64>),
    TooLarge,
    InvalidEvent(usize, SinkError),
}

/// A range of the batch Splunk took, with its ack id when indexer
/// acknowledgement is on.
pub(super) struct Sent {
    pub range: Range<usize>,
    pub ack: Option<u64>,
}
type Boxed<'a, T> = Pin<Box<dyn Future<Output = Result<T, SinkError>> + Send + 'a>>;

impl SplunkHecSink {
    /// Settings for a sink posting to `endpoint` (`https://host:8088`) with
    /// HEC token `token`.
    pub fn builder(endpoint: &str, token: impl Into<crate::Secret>) -> SplunkHecBuilder {
        SplunkHecBuilder::new(endpoint, token.into())
    }

    pub(super) fn from_builder(config: SplunkHecBuilder) -> Result<Self, Error> {
        let base = http::check_endpoint(NAME, &config.endpoint)?;
        crate::transport::check_cleartext(
            &base,
            "splunk_hec: the endpoint (SplunkHecSink::builder)",
            config.allow_plain_http,
        )?;
        let join = |path: &str| {
            base.join(path)
                .map_err(|e| Error::Config(format!("{NAME}: bad endpoint: {e}")))
        };
        let mut auth = HeaderValue::from_str(&format!("Splunk {}", config.token.expose()))
            .map_err(|_| {
                Error::Config(format!("{NAME}: the HEC token holds invalid characters"))
            })?;
        auth.set_sensitive(true);
        let channel = config
            .channel
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let channel = HeaderValue::from_str(&channel)
            .map_err(|_| Error::Config(format!("{NAME}: the channel is not a GUID")))?;
        Ok(SplunkHecSink {
            client: config.http.clone().component(NAME).build_client()?,
            event_url: join("services/collector/event")?,
            ack_url: join("services/collector/ack")?,
            health_url: join("services/collector/health")?,
            at: http::host_port(&base),
            auth,
            channel,
            config,
            set_aside: Mutex::new(VecDeque::new()),
            set_aside_total: AtomicU64::new(0),
            set_aside_dropped: AtomicU64::new(0),
            spare: SpareBodies::default(),
        })
    }

    /// The channel GUID this sink sends.
    pub fn channel(&self) -> &str {
        self.channel.to_str().unwrap_or("")
    }

    /// Takes the records set aside so far and still kept (see
    /// [`InvalidEvents`] and [`SplunkHecBuilder::keep_set_aside`]), oldest
    /// first.
    pub fn take_set_aside(&self) -> Vec<SetAside> {
        std::mem::take(
            &mut *self
                .set_aside
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        )
        .into()
    }

    /// How many records were set aside since the sink was built, kept or
    /// dropped.
    pub fn set_aside_count(&self) -> u64 {
        self.set_aside_total.load(Ordering::Relaxed)
    }

    /// How many set-aside records were dropped, oldest first, because
    /// [`SplunkHecBuilder::keep_set_aside`] were already kept.
    pub fn set_aside_dropped(&self) -> u64 {
        self.set_aside_dropped.load(Ordering::Relaxed)
    }

    /// Keeps `aside`, dropping the oldest kept record when the cap is
    /// reached.
    fn keep_aside(&self, aside: SetAside) {
        let cap = self.config.keep_set_aside;
        let mut kept = self
            .set_aside
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut dropped = 0u64;
        while kept.len() >= cap && kept.pop_front().is_some() {
            dropped += 1;
        }
        if cap == 0 {
            dropped += 1;
        } else {
            kept.push_back(aside);
        }
        drop(kept);
        if dropped > 0 {
            let before = self.set_aside_dropped.fetch_add(dropped, Ordering::Relaxed);
            if before == 0 {
                tracing::warn!(
                    sink = NAME,
                    keep = cap,
                    "more alerts set aside than are kept; the oldest are dropped (each was logged when refused)"
                );
            }
        }
    }

    pub(super) fn rejected(&self, status: u16, reply: &Reply) -> SinkError {
        if (300..400).contains(&status) {
            return http::redirect_refused(NAME, status);
        }
        let known = reply.code.and_then(hec_code);
        let text = reply
            .text
            .as_deref()
            .or(known.map(|k| k.text))
            .unwrap_or("no HEC reply");
        let fix = known.map_or("", |k| k.fix);
        let retryable = known.map_or(status_retryable(status), |k| {
            k.retryable || status_retryable(status)
        });
        let text = http::reply_text(text.as_bytes(), self.config.token.expose(), 300);
        let message = if fix.is_empty() {
            format!("Splunk refused the request: {text}")
        } else {
            format!("Splunk refused the request: {text}; {fix}")
        };
        let mut e =
            SinkError::new(NAME, SinkErrorKind::Rejected, retryable, message).with_status(status);
        if let Some(code) = reply.code {
            e = e.with_code(code);
        }
        e
    }

    /// One POST of `body` to `url`: one attempt. A 2xx, 400 or 413 reply
    /// is returned for the caller to read; every other answer is an error
    /// carrying the status and `Retry-After`.
    pub(super) async fn post(
        &self,
        url: &Url,
        body: Bytes,
        gzipped: bool,
    ) -> Result<(u16, Reply), SinkError> {
        let req = self
            .client
            .post(url.clone())
            .header(AUTHORIZATION, self.auth.clone())
            .header(CHANNEL_HEADER, self.channel.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(body);
        let answer = http::send_once(NAME, req, gzipped).await?;
        let status = answer.status;
        let reply: Reply = serde_json::from_slice(&answer.body).unwrap_or_default();
        if (200..300).contains(&status) || status == 400 || status == 413 {
            return Ok((status, reply));
        }
        Err(self
            .rejected(status, &reply)
            .with_retry_after(answer.retry_after))
    }

    async fn post_once(&self, records: &[AlertRecord], body: Vec<u8>) -> Result<Posted, SinkError> {
        let (body, gzipped) = if self.config.gzip {
            let compressed = gzip(&body);
            self.spare.keep([body]);
            (compressed, true)
        } else {
            (body, false)
        };
        let body = Bytes::from(body);
        let posted = self.post(&self.event_url, body.clone(), gzipped).await;
        // The request is done with the bytes; take the buffer back when
        // nothing else holds it.
        if !gzipped {
            self.spare.reclaim(body);
        }
        let (status, reply) = posted?;
        match status {
            200..=299 => Ok(Posted::Accepted(reply.ack_id)),
            413 => Ok(Posted::TooLarge),
            _ => {
                let e = self.rejected(status, &reply);
                match reply.invalid_event {
                    Some(n) if n < records.len() => Ok(Posted::InvalidEvent(n, e)),
                    _ => Err(e),
                }
            }
        }
    }

    /// Delivers `records[range]` (whose body is `body`), one attempt per
    /// request: splits on 413, sets a refused event aside (or fails at it).
    /// Every range Splunk took is pushed onto `sent`, in batch order, so
    /// that on an error `sent` says how far the batch got.
    pub(super) fn post_range<'a>(
        &'a self,
        records: &'a [AlertRecord],
        range: Range<usize>,
        body: Vec<u8>,
        sent: &'a mut Vec<Sent>,
    ) -> Boxed<'a, ()> {
        Box::pin(async move {
            let slice = &records[range.clone()];
            match self.post_once(slice, body).await? {
                Posted::Accepted(ack) => {
                    sent.push(Sent { range, ack });
                    Ok(())
                }
                Posted::TooLarge if range.len() > 1 => {
                    let mid = range.start + range.len() / 2;
                    tracing::warn!(sink = NAME, events = range.len(), "HTTP 413: splitting the batch");
                    let left = encode_range(&records[range.start..mid], &self.config.envelope);
                    self.post_range(records, range.start..mid, left, sent).await?;
                    let right = encode_range(&records[mid..range.end], &self.config.envelope);
                    self.post_range(records, mid..range.end, right, sent).await
                }
                Posted::TooLarge => Err(SinkError::new(
                    NAME,
                    SinkErrorKind::Rejected,
                    false,
                    format!(
                        "alert {} alone is larger than Splunk accepts (HTTP 413); raise max_content_length in limits.conf",
                        records[range.start].alert_id()
                    ),
                )
                .with_status(413)),
                Posted::InvalidEvent(n, error) => {
                    // Splunk indexed the events before the refused one.
                    let bad = range.start + n;
                    if bad > range.start {
                        sent.push(Sent { range: range.start..bad, ack: None });
                    }
                    self.refused(&records[bad], error)?;
                    sent.push(Sent { range: bad..bad + 1, ack: None });
                    let rest = bad + 1..range.end;
                    if rest.is_empty() {
                        return Ok(());
                    }
                    let body = encode_range(&records[rest.clone()], &self.config.envelope);
                    self.post_range(records, rest, body, sent).await
                }
            }
        })
    }

    /// One attempt at the whole batch; see [`AlertSink::send`].
    async fn send_batch(&self, batch: &[AlertRecord]) -> Result<(), SinkError> {
        let c = &self.config;
        let mut spare = self.spare.take();
        let batches = encode_batches_reusing(
            batch,
            &c.envelope,
            c.max_batch_bytes,
            c.max_batch_events,
            &mut spare,
        );
        self.spare.keep(spare);
        let mut sent = Vec::new();
        let mut failed = None;
        for b in batches {
            if let Err(e) = self.post_range(batch, b.range, b.body, &mut sent).await {
                failed = Some(e);
                break;
            }
        }
        // With indexer acks on, only what the indexers confirmed counts,
        // also when a later request failed.
        let (confirmed, poll_error) = self.confirmed(&sent).await;
        match failed.or(poll_error) {
            Some(e) => Err(e.with_accepted(confirmed)),
            None if confirmed >= batch.len() => Ok(()),
            None => Err(SinkError::new(
                NAME,
                SinkErrorKind::Unconfirmed,
                true,
                format!(
                    "the indexers did not acknowledge {} of the {} alerts within the ack \
                     timeout; sending them again may index some twice",
                    batch.len() - confirmed,
                    batch.len()
                ),
            )
            .with_accepted(confirmed)),
        }
    }

    fn refused(&self, record: &AlertRecord, error: SinkError) -> Result<(), SinkError> {
        tracing::error!(
            sink = NAME,
            tenant = %record.tenant.id,
            alert_id = record.alert_id(),
            error = %error,
            "Splunk refused one alert"
        );
        match self.config.invalid_events {
            InvalidEvents::Fail => {
                let mut e = SinkError::new(
                    NAME,
                    SinkErrorKind::Rejected,
                    false,
                    format!(
                        "alert {} was refused and the alerts after it were not sent: {}",
                        record.alert_id(),
                        error.message()
                    ),
                )
                .with_status(error.status().unwrap_or(400));
                if let Some(code) = error.code() {
                    e = e.with_code(code);
                }
                Err(e)
            }
            InvalidEvents::SetAside => {
                self.set_aside_total.fetch_add(1, Ordering::Relaxed);
                let code = error
                    .code()
                    .map(|c| format!(" (code {c})"))
                    .unwrap_or_default();
                self.keep_aside(SetAside {
                    record: record.clone(),
                    reason: format!("{}{code}", error.message()),
                });
                Ok(())
            }
        }
    }
}

#[async_trait]
impl AlertSink for SplunkHecSink {
    fn name(&self) -> &str {
        NAME
    }

    /// One attempt per request. On an error,
    /// [`SinkError::accepted`] is the prefix of the batch Splunk took (and,
    /// with indexer acks, confirmed); an event set aside counts as taken.
    async fn send(&self, batch: &[AlertRecord]) -> Result<(), SinkError> {
        if batch.is_empty() {
            return Ok(());
        }
        self.send_batch(batch).await.map_err(|e| e.at(&self.at))
    }

    async fn health(&self) -> Result<(), SinkError> {
        let resp = self
            .client
            .get(self.health_url.clone())
            .header(AUTHORIZATION, self.auth.clone())
            .send()
            .await
            .map_err(|e| http::transport(NAME, e).at(&self.at))?;
        let status = resp.status().as_u16();
        let wait = http::retry_after(resp.headers());
        let bytes = resp.bytes().await.unwrap_or_default();
        let reply: Reply = serde_json::from_slice(&bytes).unwrap_or_default();
        if status == 200 {
            return Ok(());
        }
        Err(self
            .rejected(status, &reply)
            .with_retry_after(wait)
            .at(&self.at))
    }
}
