//! [`SplunkHecSink`]: the `AlertSink` over HEC.

use std::fmt;
use std::future::Future;
use std::ops::Range;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use async_trait::async_trait;
use bytes::Bytes;
use reqwest::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, HeaderValue};
use serde::Deserialize;
use url::Url;

use super::codes::{hec_code, status_retryable};
use super::config::{InvalidEvents, SplunkHecBuilder};
use super::encode::{encode_batches_reusing, encode_range};
use crate::error::Error;
use crate::retry::{Decision, Failure};
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
    set_aside: Mutex<Vec<SetAside>>,
    set_aside_total: AtomicU64,
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

pub(super) type Acks = Vec<(u64, Range<usize>)>;
type Boxed<'a, T> = Pin<Box<dyn Future<Output = Result<T, SinkError>> + Send + 'a>>;

impl SplunkHecSink {
    /// Settings for a sink posting to `endpoint` (`https://host:8088`) with
    /// HEC token `token`.
    pub fn builder(endpoint: &str, token: impl Into<crate::Secret>) -> SplunkHecBuilder {
        SplunkHecBuilder::new(endpoint, token.into())
    }

    pub(super) fn from_builder(config: SplunkHecBuilder) -> Result<Self, Error> {
        let base = http::check_endpoint(NAME, &config.endpoint)?;
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
            auth,
            channel,
            config,
            set_aside: Mutex::new(Vec::new()),
            set_aside_total: AtomicU64::new(0),
            spare: SpareBodies::default(),
        })
    }

    /// The channel GUID this sink sends.
    pub fn channel(&self) -> &str {
        self.channel.to_str().unwrap_or("")
    }

    /// Takes the records set aside so far (see [`InvalidEvents`]).
    pub fn take_set_aside(&self) -> Vec<SetAside> {
        std::mem::take(
            &mut *self
                .set_aside
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }

    /// How many records were set aside since the sink was built.
    pub fn set_aside_count(&self) -> u64 {
        self.set_aside_total.load(Ordering::Relaxed)
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
        let text = http::without_secret(text, self.config.token.expose());
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

    /// One POST of `body` to `url`, retried per the policy.
    pub(super) async fn post(
        &self,
        url: &Url,
        body: &Bytes,
        gzipped: bool,
    ) -> Result<(u16, Reply), SinkError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut req = self
                .client
                .post(url.clone())
                .header(AUTHORIZATION, self.auth.clone())
                .header(CHANNEL_HEADER, self.channel.clone())
                .header(CONTENT_TYPE, "application/json")
                // A retry shares the same bytes (a reference count, no copy).
                .body(body.clone());
            if gzipped {
                req = req.header(CONTENT_ENCODING, "gzip");
            }
            let (failure, error) = match req.send().await {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let wait = http::retry_after(resp.headers());
                    let bytes = resp.bytes().await.unwrap_or_default();
                    let reply: Reply = serde_json::from_slice(&bytes).unwrap_or_default();
                    if (200..300).contains(&status) || status == 400 || status == 413 {
                        return Ok((status, reply));
                    }
                    let e = self.rejected(status, &reply).with_retry_after(wait);
                    if !e.is_retryable() {
                        return Err(e);
                    }
                    (
                        Failure::Status {
                            status,
                            retry_after: wait,
                        },
                        e,
                    )
                }
                Err(e) => http::transport(NAME, e),
            };
            match self.config.retry.decide(attempt, failure) {
                Decision::RetryAfter(wait) => {
                    tracing::warn!(sink = NAME, attempt, error = %error, ?wait, "retrying");
                    tokio::time::sleep(wait).await;
                }
                Decision::GiveUp => return Err(error),
            }
        }
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
        let posted = self.post(&self.event_url, &body, gzipped).await;
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

    /// Delivers `records[range]` (whose body is `body`): splits on 413,
    /// works around a refused event. Returns the ack ids to wait for.
    pub(super) fn post_range<'a>(
        &'a self,
        records: &'a [AlertRecord],
        range: Range<usize>,
        body: Vec<u8>,
    ) -> Boxed<'a, Acks> {
        Box::pin(async move {
            let slice = &records[range.clone()];
            match self.post_once(slice, body).await? {
                Posted::Accepted(ack) => Ok(ack.map(|id| vec![(id, range)]).unwrap_or_default()),
                Posted::TooLarge if range.len() > 1 => {
                    let mid = range.start + range.len() / 2;
                    tracing::warn!(sink = NAME, events = range.len(), "HTTP 413: splitting the batch");
                    let left = encode_range(&records[range.start..mid], &self.config.envelope);
                    let mut acks = self.post_range(records, range.start..mid, left).await?;
                    let right = encode_range(&records[mid..range.end], &self.config.envelope);
                    acks.extend(self.post_range(records, mid..range.end, right).await?);
                    Ok(acks)
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
                    let bad = range.start + n;
                    let rest = bad + 1..range.end;
                    let acks = if rest.is_empty() {
                        Vec::new()
                    } else {
                        let body = encode_range(&records[rest.clone()], &self.config.envelope);
                        self.post_range(records, rest, body).await?
                    };
                    self.refused(&records[bad], error)?;
                    Ok(acks)
                }
            }
        })
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
            InvalidEvents::Fail => Err(SinkError::new(
                NAME,
                SinkErrorKind::Rejected,
                false,
                format!(
                    "alert {} was refused, the rest of the batch was delivered: {}",
                    record.alert_id(),
                    error.message()
                ),
            )
            .with_status(error.status().unwrap_or(400))),
            InvalidEvents::SetAside => {
                self.set_aside_total.fetch_add(1, Ordering::Relaxed);
                let code = error
                    .code()
                    .map(|c| format!(" (code {c})"))
                    .unwrap_or_default();
                self.set_aside
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(SetAside {
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

    async fn send(&self, batch: &[AlertRecord]) -> Result<(), SinkError> {
        if batch.is_empty() {
            return Ok(());
        }
        let c = &self.config;
        let mut pending = Vec::new();
        let mut spare = self.spare.take();
        let batches = encode_batches_reusing(
            batch,
            &c.envelope,
            c.max_batch_bytes,
            c.max_batch_events,
            &mut spare,
        );
        self.spare.keep(spare);
        for b in batches {
            pending.extend(self.post_range(batch, b.range, b.body).await?);
        }
        if c.ack.is_some() {
            self.await_acks(batch, pending).await?;
        }
        Ok(())
    }

    async fn health(&self) -> Result<(), SinkError> {
        let resp = self
            .client
            .get(self.health_url.clone())
            .header(AUTHORIZATION, self.auth.clone())
            .send()
            .await
            .map_err(|e| http::transport(NAME, e).1)?;
        let status = resp.status().as_u16();
        let wait = http::retry_after(resp.headers());
        let bytes = resp.bytes().await.unwrap_or_default();
        let reply: Reply = serde_json::from_slice(&bytes).unwrap_or_default();
        if status == 200 {
            return Ok(());
        }
        Err(self.rejected(status, &reply).with_retry_after(wait))
    }
}
