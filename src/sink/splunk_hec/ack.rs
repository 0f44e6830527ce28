//! Indexer acknowledgement: poll `/services/collector/ack` until every
//! ack id of a batch is true; re-send what stays unacknowledged.

use std::collections::HashMap;

use serde::Deserialize;
use tokio::time::Instant;

use super::encode::encode_range;
use super::sink::{Acks, NAME, SplunkHecSink};
use crate::sink::{AlertRecord, SinkError, SinkErrorKind};

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
    /// Waits until every id in `pending` is acknowledged, re-sending the
    /// ranges whose ack does not come within the timeout.
    pub(super) async fn await_acks(
        &self,
        records: &[AlertRecord],
        mut pending: Acks,
    ) -> Result<(), SinkError> {
        let Some(cfg) = self.config.ack.clone() else {
            return Ok(());
        };
        let mut resends = 0;
        loop {
            let deadline = Instant::now() + cfg.timeout;
            while !pending.is_empty() && Instant::now() < deadline {
                tokio::time::sleep(cfg.poll_interval).await;
                let ids: Vec<u64> = pending.iter().map(|(id, _)| *id).collect();
                match self.poll_acks(&ids).await {
                    Ok(Polled::Disabled) => {
                        tracing::warn!(
                            sink = NAME,
                            "the HEC token has indexer acknowledgement off (code 14); counting HTTP 200 as delivered"
                        );
                        return Ok(());
                    }
                    Ok(Polled::Acked(done)) => pending.retain(|(id, _)| !done.contains(id)),
                    Err(e) if e.is_retryable() => {
                        tracing::warn!(sink = NAME, error = %e, "ack poll failed; polling again");
                    }
                    Err(e) => return Err(e),
                }
            }
            if pending.is_empty() {
                return Ok(());
            }
            if resends >= cfg.max_resends {
                return Err(SinkError::new(
                    NAME,
                    SinkErrorKind::Unconfirmed,
                    true,
                    format!(
                        "{} request(s) were not acknowledged by the indexers after {} re-sends",
                        pending.len(),
                        resends
                    ),
                ));
            }
            resends += 1;
            tracing::warn!(
                sink = NAME,
                requests = pending.len(),
                "no indexer acknowledgement within the timeout; re-sending (Splunk may index these events twice)"
            );
            let mut next = Vec::new();
            for (_, range) in std::mem::take(&mut pending) {
                let body = encode_range(&records[range.clone()], &self.config.envelope);
                next.extend(self.post_range(records, range, body).await?);
            }
            pending = next;
        }
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
            .map_err(|e| crate::sink::http::transport(NAME, e).1)?;
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
