//! [`Delivery`]: one batch to one sink, retried in the one place that
//! retries sink failures.

use std::ops::Range;

use super::breaker::means_down;
use super::{Admission, AlertRecord, AlertSink, Breaker, SinkError, SinkErrorKind};
use crate::retry::{Cancel, Retrier, RetryPolicy, Stop};

/// What one [`Delivery::step`] achieved.
#[derive(Debug)]
#[non_exhaustive]
pub enum Step {
    /// These records of the batch are now durable at the sink.
    Accepted(Range<usize>),
    /// The delivery stopped; the records not yet accepted were not delivered.
    Failed {
        /// The last error.
        error: SinkError,
        /// Why it stopped.
        stop: Stop,
        /// Sends made.
        attempts: u32,
    },
}

/// Delivers one batch to one sink: sends, takes the accepted prefix of a
/// failure as delivered, and retries only the rest, under one
/// [`RetryPolicy`], one optional shared [`Breaker`] and one optional
/// [`Cancel`]. Each [`step`](Delivery::step) reports progress, so a caller
/// can save a checkpoint between a partial acceptance and the retry.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::sync::Arc;
/// use std::time::Duration;
/// use defender_siem::retry::RetryPolicy;
/// use defender_siem::sink::{AlertRecord, Delivery, MemorySink, Step};
/// use defender_siem::{TenantId, TenantInfo};
///
/// let tenant = Arc::new(TenantInfo::new(TenantId::new("contoso.com").unwrap(), "Contoso"));
/// let batch: Vec<AlertRecord> = (0..5)
///     .map(|i| AlertRecord::from_json(tenant.clone(), &format!(r#"{{"id":"a{i}"}}"#)).unwrap())
///     .collect();
/// let sink = MemorySink::new();
/// sink.fail_after_records(2); // the backend takes 2 records, then fails
/// let policy = RetryPolicy::default().base_delay(Duration::from_millis(1));
/// let mut delivery = Delivery::new(&sink, &batch, &policy);
/// let mut steps = Vec::new();
/// while let Some(step) = delivery.step().await {
///     if let Step::Accepted(range) = step { steps.push(range) }
/// }
/// assert_eq!(steps, [0..2, 2..5]);
/// assert_eq!(sink.alert_ids(), ["a0", "a1", "a2", "a3", "a4"]); // each once
/// # }
/// ```
#[derive(Debug)]
pub struct Delivery<'a> {
    sink: &'a dyn AlertSink,
    batch: &'a [AlertRecord],
    offset: usize,
    retrier: Retrier<'a>,
    cancel: Option<&'a Cancel>,
    breaker: Option<&'a Breaker>,
    pending: Option<SinkError>,
    probing: bool,
    sends: u32,
    done: bool,
}

impl<'a> Delivery<'a> {
    /// A delivery of `batch` to `sink`, retried under `policy`.
    pub fn new(sink: &'a dyn AlertSink, batch: &'a [AlertRecord], policy: &'a RetryPolicy) -> Self {
        Delivery {
            sink,
            batch,
            offset: 0,
            retrier: policy.retrier(None),
            cancel: None,
            breaker: None,
            pending: None,
            probing: false,
            sends: 0,
            done: batch.is_empty(),
        }
    }

    /// Shares `breaker` with every other delivery to the same sink.
    #[must_use]
    pub fn breaker(mut self, breaker: &'a Breaker) -> Self {
        self.breaker = Some(breaker);
        self
    }

    /// Ends every retry wait (and a wait for a probe) when `cancel` fires.
    #[must_use]
    pub fn cancel(mut self, cancel: &'a Cancel, policy: &'a RetryPolicy) -> Self {
        self.cancel = Some(cancel);
        self.retrier = policy.retrier(Some(cancel));
        self
    }

    /// How many records of the batch are durable so far.
    pub fn accepted(&self) -> usize {
        self.offset
    }

    /// How many times the sink's `send` was called.
    pub fn sends(&self) -> u32 {
        self.sends
    }

    /// Makes progress: `None` once the batch is delivered or the delivery
    /// has stopped (after a [`Step::Failed`]).
    pub async fn step(&mut self) -> Option<Step> {
        loop {
            if self.done {
                return None;
            }
            if let Some(error) = self.pending.take()
                && let Err(stop) = self.retrier.wait(error.failure(), &error).await
            {
                return Some(self.stop(error, stop));
            }
            if let Some(breaker) = self.breaker {
                match breaker.admit(self.cancel).await {
                    Admission::Go => {}
                    Admission::Probe => self.probing = true,
                    Admission::Refused(why) => {
                        let error = SinkError::new(
                            self.sink.name(),
                            SinkErrorKind::Connection,
                            true,
                            format!("not sent: the sink is {why}"),
                        );
                        return Some(self.stop(error, Stop::CircuitOpen));
                    }
                }
            }
            self.sends += 1;
            let rest = &self.batch[self.offset..];
            let (taken, error) = match self.sink.send(rest).await {
                Ok(()) => (rest.len(), None),
                Err(e) => (e.accepted().min(rest.len()), Some(e)),
            };
            let answered = taken > 0 || error.as_ref().is_none_or(|e| !means_down(e));
            if let Some(breaker) = self.breaker
                && answered
            {
                breaker.close();
                self.probing = false;
            }
            match error {
                None => self.done = true,
                Some(e) if self.probing => {
                    // A probe gets one send: the sink is still down.
                    self.probing = false;
                    if let Some(breaker) = self.breaker {
                        breaker.trip(&e);
                    }
                    return Some(self.stop(e, Stop::CircuitOpen));
                }
                Some(e) => self.pending = Some(e),
            }
            if taken > 0 {
                let range = self.offset..self.offset + taken;
                self.offset += taken;
                return Some(Step::Accepted(range));
            }
        }
    }

    fn stop(&mut self, error: SinkError, stop: Stop) -> Step {
        self.done = true;
        if let Some(breaker) = self.breaker
            && matches!(
                stop,
                Stop::Exhausted | Stop::WaitTooLong(_) | Stop::NotRetryable
            )
            && means_down(&error)
        {
            breaker.trip(&error);
        }
        Step::Failed {
            error,
            stop,
            attempts: self.sends,
        }
    }
}

impl Drop for Delivery<'_> {
    fn drop(&mut self) {
        if self.probing
            && let Some(breaker) = self.breaker
        {
            breaker.abandon_probe();
        }
    }
}

/// Delivers `batch` to `sink` with retries under `policy`: what the
/// forwarder does, for code that uses a sink on its own. On `Err`,
/// [`SinkError::accepted`] is the durable prefix of the whole batch.
pub async fn deliver(
    sink: &dyn AlertSink,
    batch: &[AlertRecord],
    policy: &RetryPolicy,
) -> Result<(), SinkError> {
    let mut delivery = Delivery::new(sink, batch, policy);
    while let Some(step) = delivery.step().await {
        if let Step::Failed { error, .. } = step {
            return Err(error.with_accepted(delivery.accepted()));
        }
    }
    Ok(())
}
