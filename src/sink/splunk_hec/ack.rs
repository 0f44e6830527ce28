//! Indexer acknowledgement: poll `/services/collector/ack` until every
//! ack id of a batch is true or the ack timeout passes. This is a wait for
//! confirmation, not a retry: nothing is sent again here; what stays
//! unconfirmed is reported to the caller, which sends it again.

use std::collections::HashMap;

use serde::Deserialize;
use tokio::time::Instant;

use super::sink::{NAME, Sent, SplunkHecSink};
use crate::sink::{SinkError, SinkErrorKind};

#[derive(Debug, Default, Deserialize)]
struct AckReply {
    #[serde(default)]
    acks: HashMap<String, bool>,
}

/// What one poll found.
enum Polled {
    /// These ids are now indexed.
    Acked(Vec<u64>),
    /// The token has acks off (code 14): the 200s were all Splunk gives.
    Disabled,
}

impl SplunkHecSink {
    /// How many records at the start of the batch are durable, given the
    /// ranges Splunk took (`sent`, in batch order): with acks off, all of
    /// them; with acks on, the ranges up to the first one whose ack id did
    /// not turn true within the ack timeout (a later range is not claimed
    /// even when acknowledged). The error is a poll that failed for good.
    pub(super) async fn confirmed(&self, sent: &[Sent]) -> (usize, Option<SinkError>) {
        let taken = sent.last().map_or(0, |s| s.range.end);
        let Some(cfg) = self.config.ack.as_ref() else {
            return (taken, None);
        };
        let mut pending: Vec<u64> = sent.iter().filter_map(|s| s.ack).collect();
        let deadline = Instant::now() + cfg.timeout;
        let mut failed = None;
        while !pending.is_empty() && Instant::now() < deadline {
            tokio::time::sleep(cfg.poll_interval).await;
            match self.poll_acks(&pending).await {
                Ok(Polled::Disabled) => {
                    tracing::warn!(
                        sink = NAME,
                        "the HEC token has indexer acknowledgement off (code 14); counting HTTP 200 as delivered"
                    );
                    return (taken, None);
                }
                Ok(Polled::Acked(done)) => pending.retain(|id| !done.contains(id)),
                Err(e) if e.is_retryable() => {
                    tracing::warn!(sink = NAME, error = %e, "ack poll failed; polling again");
                }
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        let first_unconfirmed = sent
            .iter()
            .find(|s| s.ack.is_some_and(|id| pending.contains(&id)));
        (first_unconfirmed.map_or(taken, |s| s.range.start), failed)
    }

    async fn poll_acks(&self, ids: &[u64]) -> Result<Polled, SinkError> {
        let body = serde_json::to_vec(&serde_json::json!({ "acks": ids })).unwrap_or_default();
        let resp = self
            .client
            .post(self.ack_url.clone())
            .header(reqwest::header::AUTHORIZATION, self.auth.clone())
            .header(super::sink::CHANNEL_HEADER, self.channel.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| crate::sink::http::transport(NAME, e))?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.unwrap_or_default();
        if (200..300).contains(&status) {
            let reply: AckReply = serde_json::from_slice(&bytes).map_err(|e| {
                SinkError::new(
                    NAME,
                    SinkErrorKind::Rejected,
                    true,
                    format!("unreadable ack reply: {e}"),
                )
            })?;
            let done = ids
                .iter()
                .copied()
                .filter(|id| reply.acks.get(&id.to_string()).copied().unwrap_or(false))
                .collect();
            return Ok(Polled::Acked(done));
        }
        let reply: super::sink::Reply = serde_json::from_slice(&bytes).unwrap_or_default();
        if status == 400 && reply.code == Some(14) {
            return Ok(Polled::Disabled);
        }
        Err(self.rejected(status, &reply))
    }
}
