//! [`Fanout`]: one batch, several sinks.

use std::collections::VecDeque;
use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use futures_util::future::join_all;

use super::{AlertRecord, AlertSink, SinkError, SinkErrorKind};

/// How many partly delivered batches a [`Fanout`] remembers.
const REMEMBERED_BATCHES: usize = 256;

/// Sends every batch to several sinks, concurrently.
///
/// **Semantics.** `send` is `Ok` only when every member sink accepted the
/// batch. When some members fail, the error (kind
/// [`SinkErrorKind::Partial`]) lists each failure, is retryable only if
/// every failure is, and carries the longest `Retry-After` among them.
/// The fan-out remembers which members already accepted that exact batch
/// (recognised by a fingerprint of each record's tenant and raw bytes), so
/// when the caller sends the same batch again only the members that failed
/// receive it: a healthy sink gets no duplicates because another one is
/// down. It remembers the last 256 partly delivered batches; a batch it no
/// longer remembers goes to every member again (at-least-once).
///
/// For independent progress per sink (one slow SIEM must not hold back the
/// others), give each sink its own checkpoint instead of one fan-out.
///
/// ```
/// # async fn run() -> Result<(), defender_siem::sink::SinkError> {
/// use std::sync::Arc;
/// use defender_siem::sink::{AlertSink, Fanout, MemorySink};
///
/// let (a, b) = (MemorySink::named("a"), MemorySink::named("b"));
/// let fanout = Fanout::new(vec![Arc::new(a.clone()), Arc::new(b.clone())]);
/// b.fail_next(1);
/// assert!(fanout.send(&[]).await.is_err()); // `a` took it, `b` failed
/// fanout.send(&[]).await?;                  // only `b` is asked again
/// assert_eq!((a.batches().len(), b.batches().len()), (1, 1));
/// # Ok(()) }
/// ```
pub struct Fanout {
    sinks: Vec<Arc<dyn AlertSink>>,
    delivered: Mutex<VecDeque<(u64, Vec<bool>)>>,
}

impl Fanout {
    /// A fan-out over `sinks`.
    pub fn new(sinks: Vec<Arc<dyn AlertSink>>) -> Self {
        Fanout {
            sinks,
            delivered: Mutex::new(VecDeque::new()),
        }
    }

    /// The member sinks.
    pub fn sinks(&self) -> &[Arc<dyn AlertSink>] {
        &self.sinks
    }

    fn remembered(&self, fingerprint: u64) -> Vec<bool> {
        let memory = self
            .delivered
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        memory
            .iter()
            .find(|(fp, _)| *fp == fingerprint)
            .map_or_else(|| vec![false; self.sinks.len()], |(_, done)| done.clone())
    }

    fn remember(&self, fingerprint: u64, done: Option<Vec<bool>>) {
        let mut memory = self
            .delivered
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        memory.retain(|(fp, _)| *fp != fingerprint);
        if let Some(done) = done {
            if memory.len() >= REMEMBERED_BATCHES {
                memory.pop_front();
            }
            memory.push_back((fingerprint, done));
        }
    }
}

fn fingerprint(batch: &[AlertRecord]) -> u64 {
    let mut h = DefaultHasher::new();
    batch.len().hash(&mut h);
    for r in batch {
        r.tenant.id.as_str().hash(&mut h);
        r.raw.get().hash(&mut h);
    }
    h.finish()
}

impl fmt::Debug for Fanout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fanout")
            .field("sinks", &self.sinks)
            .finish()
    }
}

#[async_trait]
impl AlertSink for Fanout {
    fn name(&self) -> &str {
        "fanout"
    }

    async fn send(&self, batch: &[AlertRecord]) -> Result<(), SinkError> {
        let fp = fingerprint(batch);
        let mut done = self.remembered(fp);
        let pending = self
            .sinks
            .iter()
            .enumerate()
            .filter(|(i, _)| !done.get(*i).copied().unwrap_or(false))
            .map(|(i, sink)| async move { (i, sink.send(batch).await) });
        let mut failures = Vec::new();
        for (i, result) in join_all(pending).await {
            match result {
                Ok(()) => {
                    if let Some(slot) = done.get_mut(i) {
                        *slot = true;
                    }
                }
                Err(e) => failures.push(e),
            }
        }
        if failures.is_empty() {
            self.remember(fp, None);
            return Ok(());
        }
        self.remember(fp, Some(done));
        Err(combine(self.sinks.len(), failures))
    }

    async fn health(&self) -> Result<(), SinkError> {
        let results = join_all(self.sinks.iter().map(|s| s.health())).await;
        let failures: Vec<SinkError> = results.into_iter().filter_map(Result::err).collect();
        if failures.is_empty() {
            Ok(())
        } else {
            Err(combine(self.sinks.len(), failures))
        }
    }

    async fn flush(&self) -> Result<(), SinkError> {
        let results = join_all(self.sinks.iter().map(|s| s.flush())).await;
        let failures: Vec<SinkError> = results.into_iter().filter_map(Result::err).collect();
        if failures.is_empty() {
            Ok(())
        } else {
            Err(combine(self.sinks.len(), failures))
        }
    }
}

fn combine(total: usize, failures: Vec<SinkError>) -> SinkError {
    let retryable = failures.iter().all(SinkError::is_retryable);
    let retry_after = failures.iter().filter_map(SinkError::retry_after).max();
    let list: Vec<String> = failures.iter().map(ToString::to_string).collect();
    let mut error = SinkError::new(
        "fanout",
        SinkErrorKind::Partial,
        retryable,
        format!(
            "{} of {total} sinks failed: {}",
            failures.len(),
            list.join("; ")
        ),
    )
    .with_retry_after(retry_after);
    if let [only] = failures.as_slice() {
        if let Some(s) = only.status() {
            error = error.with_status(s);
        }
        if let Some(c) = only.code() {
            error = error.with_code(c);
        }
    }
    error
}
