//! [`SentinelSink`]: the `AlertSink` over the Logs Ingestion API.

use std::fmt;
use std::future::Future;
use std::ops::Range;
use std::pin::Pin;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use url::Url;

use super::config::SentinelBuilder;
use super::encode::{encode_chunks, encode_chunks_reusing};
use crate::error::Error;
use crate::sink::http::{self, SpareBodies, gzip};
use crate::sink::{AlertRecord, AlertSink, SinkError, SinkErrorKind};

const NAME: &str = "sentinel";
const API_VERSION: &str = "2023-01-01";

type Boxed<'a> = Pin<Box<dyn Future<Output = Result<(), SinkError>> + Send + 'a>>;

/// Sends alerts to Microsoft Sentinel through a data collection rule; see
/// the [module docs](super).
pub struct SentinelSink {
    config: SentinelBuilder,
    client: reqwest::Client,
    url: Url,
    /// The DCE host and port, for errors.
    at: String,
    /// Bodies already sent, kept for the next chunks.
    spare: SpareBodies,
}

impl fmt::Debug for SentinelSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SentinelSink")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// How one POST ended.
enum Posted {
    Accepted,
    TooLarge,
}

impl SentinelSink {
    /// Settings for a sink posting to the DCE or DCR ingestion `endpoint`,
    /// rule `dcr_immutable_id`, stream `stream_name` (for example
    /// `Custom-DefenderAlerts_CL`), with tokens for `auth_tenant` (the
    /// tenant of the ingestion app: the MSSP's or the customer's own).
    pub fn builder(
        endpoint: &str,
        dcr_immutable_id: &str,
        stream_name: &str,
        tokens: std::sync::Arc<dyn crate::auth::TokenProvider>,
        auth_tenant: crate::TenantId,
    ) -> SentinelBuilder {
        SentinelBuilder::new(endpoint, dcr_immutable_id, stream_name, tokens, auth_tenant)
    }

    pub(super) fn from_builder(config: SentinelBuilder) -> Result<Self, Error> {
        let base = http::check_endpoint(NAME, &config.endpoint)?;
        crate::transport::check_cleartext(
            &base,
            "sentinel: the endpoint (SentinelSink::builder)",
            config.allow_plain_http,
        )?;
        let mut url = base
            .join(&format!(
                "dataCollectionRules/{}/streams/{}",
                config.dcr_id, config.stream
            ))
            .map_err(|e| Error::Config(format!("{NAME}: bad endpoint: {e}")))?;
        url.query_pairs_mut()
            .append_pair("api-version", API_VERSION);
        Ok(SentinelSink {
            at: http::host_port(&base),
            client: config.http.clone().component(NAME).build_client()?,
            url,
            config,
            spare: SpareBodies::default(),
        })
    }

    /// The ingestion URL (no secret in it).
    pub fn url(&self) -> &Url {
        &self.url
    }

    async fn bearer(&self) -> Result<HeaderValue, SinkError> {
        let token = self
            .config
            .tokens
            .token(&self.config.tenant, &self.config.scope)
            .await
            .map_err(|e| {
                SinkError::new(
                    NAME,
                    SinkErrorKind::Auth,
                    e.is_retryable(),
                    format!("cannot get a token for {}: {e}", self.config.scope),
                )
            })?;
        let mut value = HeaderValue::from_str(&format!("Bearer {}", token.secret().expose()))
            .map_err(|_| {
                SinkError::new(
                    NAME,
                    SinkErrorKind::Auth,
                    false,
                    "the token holds invalid characters",
                )
            })?;
        value.set_sensitive(true);
        Ok(value)
    }

    /// The error for a refusal; `token` (the bearer token sent) is cut out
    /// of the body, in case the server or a proxy echoed it.
    fn refused(&self, status: u16, body: &[u8], token: &str) -> SinkError {
        if (300..400).contains(&status) {
            return http::redirect_refused(NAME, status);
        }
        let c = &self.config;
        let detail = http::reply_text(body, token, 300);
        let (kind, message) = match status {
            401 => (
                SinkErrorKind::Auth,
                format!(
                    "the token was refused: check that the scope `{}` belongs to the endpoint's cloud \
                     (public: https://monitor.azure.com//.default, US Gov: https://monitor.azure.us//.default, \
                     China: https://monitor.azure.cn//.default) and that tenant {} is the app's tenant",
                    c.scope, c.tenant
                ),
            ),
            403 => (
                SinkErrorKind::Auth,
                format!(
                    "the app may not write to DCR {}: give it the \"Monitoring Metrics Publisher\" role on the DCR \
                     (new role assignments can take up to 30 minutes to apply)",
                    c.dcr_id
                ),
            ),
            404 => (
                SinkErrorKind::Config,
                format!(
                    "DCR {} or stream {} was not found at {}",
                    c.dcr_id,
                    c.stream,
                    http::display_url(&self.url)
                ),
            ),
            _ => (
                SinkErrorKind::Rejected,
                format!("Logs Ingestion refused the request: {detail}"),
            ),
        };
        let retryable = matches!(status, 408 | 429) || (status >= 500 && status != 501);
        SinkError::new(NAME, kind, retryable, message).with_status(status)
    }

    async fn post(&self, body: Vec<u8>) -> Result<Posted, SinkError> {
        let (body, gzipped) = if self.config.gzip {
            let compressed = gzip(&body);
            self.spare.keep([body]);
            (Bytes::from(compressed), true)
        } else {
            (Bytes::from(body), false)
        };
        let posted = self.post_bytes(&body, gzipped).await;
        // The request is done with the bytes; take the buffer back when
        // nothing else holds it.
        if !gzipped {
            self.spare.reclaim(body);
        }
        posted
    }

    /// One POST of `body`: one attempt, except that a 401 drops the cached
    /// token and tries once more with a fresh one (not a retry of a
    /// failure: the credential changed).
    async fn post_bytes(&self, body: &Bytes, gzipped: bool) -> Result<Posted, SinkError> {
        let mut refreshed = false;
        loop {
            let bearer = self.bearer().await?;
            let req = self
                .client
                .post(self.url.clone())
                .header(AUTHORIZATION, bearer.clone())
                .header(CONTENT_TYPE, "application/json")
                .header("x-ms-client-request-id", uuid::Uuid::new_v4().to_string())
                // The token refresh shares the same bytes (no copy).
                .body(body.clone());
            let answer = http::send_once(NAME, req, gzipped).await?;
            match answer.status {
                200..=299 => return Ok(Posted::Accepted),
                413 => return Ok(Posted::TooLarge),
                401 if !refreshed => {
                    refreshed = true;
                    self.config
                        .tokens
                        .invalidate(&self.config.tenant, &self.config.scope);
                    tracing::info!(sink = NAME, "HTTP 401: fetching a new token once");
                }
                _ => {
                    let token = bearer.to_str().unwrap_or_default();
                    let token = token.strip_prefix("Bearer ").unwrap_or(token);
                    return Err(self
                        .refused(answer.status, &answer.body, token)
                        .with_retry_after(answer.retry_after));
                }
            }
        }
    }

    /// Delivers `records[range]` (whose body is `body`), splitting on 413;
    /// `taken` is moved to the end of every range the API took, in order.
    fn post_range<'a>(
        &'a self,
        records: &'a [AlertRecord],
        range: Range<usize>,
        body: Vec<u8>,
        now: DateTime<Utc>,
        taken: &'a mut usize,
    ) -> Boxed<'a> {
        Box::pin(async move {
            match self.post(body).await? {
                Posted::Accepted => {
                    *taken = range.end;
                    Ok(())
                }
                Posted::TooLarge if range.len() > 1 => {
                    let mid = range.start + range.len() / 2;
                    tracing::warn!(sink = NAME, rows = range.len(), "HTTP 413: splitting the chunk");
                    for half in [range.start..mid, mid..range.end] {
                        let body = self.encode_one(&records[half.clone()], now);
                        self.post_range(records, half, body, now, taken).await?;
                    }
                    Ok(())
                }
                Posted::TooLarge => Err(SinkError::new(
                    NAME,
                    SinkErrorKind::Rejected,
                    false,
                    format!(
                        "the row of alert {} alone is larger than the Logs Ingestion API accepts (HTTP 413)",
                        records[range.start].alert_id()
                    ),
                )
                .with_status(413)),
            }
        })
    }

    fn encode_one(&self, records: &[AlertRecord], now: DateTime<Utc>) -> Vec<u8> {
        encode_chunks(records, &self.config.row, now, usize::MAX)
            .into_iter()
            .next()
            .map(|c| c.body)
            .unwrap_or_else(|| b"[]".to_vec())
    }
}

#[async_trait]
impl AlertSink for SentinelSink {
    fn name(&self) -> &str {
        NAME
    }

    /// One attempt per request (chunk). On an error,
    /// [`SinkError::accepted`] counts the rows of the chunks the API took.
    async fn send(&self, batch: &[AlertRecord]) -> Result<(), SinkError> {
        if batch.is_empty() {
            return Ok(());
        }
        let now = Utc::now();
        let mut spare = self.spare.take();
        let chunks = encode_chunks_reusing(
            batch,
            &self.config.row,
            now,
            self.config.max_chunk_bytes,
            &mut spare,
        );
        self.spare.keep(spare);
        let mut taken = 0;
        for chunk in chunks {
            self.post_range(batch, chunk.range, chunk.body, now, &mut taken)
                .await
                .map_err(|e| e.with_accepted(taken).at(&self.at))?;
        }
        Ok(())
    }

    /// Gets a token and posts an empty array: 204 means the endpoint, the
    /// DCR, the stream and the role are all right.
    async fn health(&self) -> Result<(), SinkError> {
        match self.post(b"[]".to_vec()).await {
            Ok(Posted::Accepted | Posted::TooLarge) => Ok(()),
            Err(e) => Err(e.at(&self.at)),
        }
    }
}
