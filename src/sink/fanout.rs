//! [`Fanout`]: one batch, several sinks.

use std::collections::VecDeque;
use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use futures_util::future::join_all;

use super::{AlertRecord, AlertSink, SinkError, SinkErrorKind};

/// How many records a [`Fanout`] remembers as taken by some members only.
const REMEMBERED_RECORDS: usize = 65_536;

/// Sends every batch to several sinks, concurrently.
///
/// **Semantics.** `send` is `Ok` only when every member sink accepted the
/// batch. When some members fail, the error (kind
/// [`SinkErrorKind::Partial`]) lists each failure, is retryable only if
/// every failure is, carries the longest `Retry-After` among them, and its
/// [`SinkError::accepted`] is the prefix that every member has.
/// The fan-out remembers, record by record (a fingerprint of the tenant and
/// the raw bytes), which members already took a record, so when the caller
/// sends the rest (or the same batch) again each member receives only what
/// it does not have: a healthy sink gets no duplicates because another one
/// is down. It remembers up to 65,536 such records; one it no longer
/// remembers goes to every member again (at-least-once).
///
/// For independent progress per sink (one slow SIEM must not hold back the
/// others), give each sink its own checkpoint instead of one fan-out.
///
/// ```
/// # async fn run() -> Result<(), defender_siem::sink::SinkError> {
/// use std::sync::Arc;
/// use defender_siem::sink::{AlertRecord, AlertSink, Fanout, MemorySink};
/// use defender_siem::{TenantId, TenantInfo};
///
/// let tenant = Arc::new(TenantInfo::new(TenantId::new("contoso.com").unwrap(), "Contoso"));
/// let batch = [AlertRecord::from_json(tenant, r#"{"id":"a1"}"#).unwrap()];
/// let (a, b) = (MemorySink::named("a"), MemorySink::named("b"));
/// let fanout = Fanout::new(vec![Arc::new(a.clone()), Arc::new(b.clone())]);
/// b.fail_next(1);
/// assert!(fanout.send(&batch).await.is_err()); // `a` took it, `b` failed
/// fanout.send(&batch).await?;                  // only `b` is asked again
/// assert_eq!((a.records().len(), b.records().len()), (1, 1));
/// # Ok(()) }
/// ```
pub struct Fanout {
    sinks: Vec<Arc<dyn AlertSink>>,
    /// (record fingerprint, which members have it), oldest first.
    taken: Mutex<VecDeque<(u64, Vec<bool>)>>,
}

impl Fanout {
    /// A fan-out over `sinks`.
    pub fn new(sinks: Vec<Arc<dyn AlertSink>>) -> Self {
        Fanout {
            sinks,
            taken: Mutex::new(VecDeque::new()),
        }
    }

    /// The member sinks.
    pub fn sinks(&self) -> &[Arc<dyn AlertSink>] {
        &self.sinks
    }

    /// For each record, which members already have it.
    fn remembered(&self, prints: &[u64]) -> Vec<Vec<bool>> {
        let memory = self.taken.lock().unwrap_or_else(PoisonError::into_inner);
        prints
            .iter()
            .map(|fp| {
                memory
                    .iter()
                    .find(|(f, _)| f == fp)
                    .map_or_else(|| vec![false; self.sinks.len()], |(_, has)| has.clone())
            })
            .collect()
    }

    /// Keeps the records some members have and others not; forgets the
    /// ones every member has.
    fn remember(&self, prints: &[u64], has: &[Vec<bool>]) {
        let mut memory = self.taken.lock().unwrap_or_else(PoisonError::into_inner);
        for (fp, has) in prints.iter().zip(has) {
            memory.retain(|(f, _)| f != fp);
            if has.iter().any(|h| !h) && has.iter().any(|h| *h) {
                if memory.len() >= REMEMBERED_RECORDS {
                    memory.pop_front();
                }
                memory.push_back((*fp, has.clone()));
            }
        }
    }
}

fn fingerprint(record: &AlertRecord) -> u64 {
    let mut h = DefaultHasher::new();
    record.tenant.id.as_str().hash(&mut h);
    record.raw.get().hash(&mut h);
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

    fn accepts(&self, record: &AlertRecord) -> bool {
        self.sinks.iter().any(|s| s.accepts(record))
    }

    async fn send(&self, batch: &[AlertRecord]) -> Result<(), SinkError> {
        let prints: Vec<u64> = batch.iter().map(fingerprint).collect();
        let mut has = self.remembered(&prints);
        // A member does not get what it does not accept (a CEF member and a
        // malformed record): for it, that record counts as handled.
        for (i, record) in batch.iter().enumerate() {
            for (m, sink) in self.sinks.iter().enumerate() {
                if !has[i][m] && !sink.accepts(record) {
                    has[i][m] = true;
                }
            }
        }
        // Each member gets the records it does not have yet, in order.
        let wanted: Vec<Vec<usize>> = (0..self.sinks.len())
            .map(|m| (0..batch.len()).filter(|&i| !has[i][m]).collect())
            .collect();
        let sends = self
            .sinks
            .iter()
            .zip(&wanted)
            .enumerate()
            .map(|(m, (sink, idx))| async move {
                if idx.is_empty() {
                    return (m, Ok(()));
                }
                let result = if idx.len() == batch.len() {
                    sink.send(batch).await
                } else {
                    let picked: Vec<AlertRecord> = idx.iter().map(|&i| batch[i].clone()).collect();
                    sink.send(&picked).await
                };
                (m, result)
            });
        let mut failures = Vec::new();
        for (m, result) in join_all(sends).await {
            let taken = match &result {
                Ok(()) => wanted[m].len(),
                Err(e) => e.accepted().min(wanted[m].len()),
            };
            for &i in &wanted[m][..taken] {
                has[i][m] = true;
            }
            if let Err(e) = result {
                failures.push(e);
            }
        }
        self.remember(&prints, &has);
        if failures.is_empty() {
            return Ok(());
        }
        let accepted = has.iter().take_while(|h| h.iter().all(|x| *x)).count();
        Err(combine(self.sinks.len(), failures).with_accepted(accepted))
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
