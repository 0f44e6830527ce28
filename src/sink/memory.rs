//! [`MemorySink`]: records what it got, fails on command. For tests.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use super::{AlertRecord, AlertSink, SinkError, SinkErrorKind};

/// The failure a [`MemorySink`] reports while it is told to fail.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct InjectedFailure {
    retryable: bool,
    retry_after: Option<Duration>,
    status: Option<u16>,
    accepted: usize,
}

impl InjectedFailure {
    /// A retryable failure (the default).
    pub fn retryable() -> Self {
        InjectedFailure {
            retryable: true,
            retry_after: None,
            status: None,
            accepted: 0,
        }
    }

    /// Accepts (and keeps) the first `n` records of the batch before
    /// failing, and says so in [`SinkError::accepted`]: a backend that took
    /// part of a batch.
    pub fn after_records(mut self, n: usize) -> Self {
        self.accepted = n;
        self
    }

    /// A permanent failure.
    pub fn permanent() -> Self {
        InjectedFailure {
            retryable: false,
            ..InjectedFailure::retryable()
        }
    }

    /// Carries this `Retry-After`.
    pub fn retry_after(mut self, wait: Duration) -> Self {
        self.retry_after = Some(wait);
        self
    }

    /// Carries this HTTP status.
    pub fn status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }
}

#[derive(Debug)]
enum FailMode {
    No,
    Times(usize),
    Until(Instant),
    Always,
}

#[derive(Debug)]
struct State {
    batches: Vec<Vec<AlertRecord>>,
    attempts: usize,
    flushes: usize,
    mode: FailMode,
    failure: InjectedFailure,
}

/// A sink that keeps every accepted batch in memory and can be told to
/// fail: the next N times, for a while, or until told otherwise. Cheap to
/// clone; clones share their state, so a test keeps one clone and hands the
/// other to the code under test. Always compiled.
///
/// ```
/// # async fn run() {
/// use std::time::Duration;
/// use defender_siem::sink::{AlertSink, MemorySink};
///
/// let sink = MemorySink::new();
/// sink.fail_next(2);
/// assert!(sink.send(&[]).await.is_err());
/// assert!(sink.send(&[]).await.is_err());
/// assert!(sink.send(&[]).await.is_ok());
/// sink.fail_for(Duration::from_secs(30));
/// assert!(sink.send(&[]).await.is_err());
/// sink.recover();
/// assert_eq!((sink.attempts(), sink.batches().len()), (5, 2));
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct MemorySink {
    name: Arc<str>,
    state: Arc<Mutex<State>>,
}

impl Default for MemorySink {
    fn default() -> Self {
        MemorySink::new()
    }
}

impl MemorySink {
    /// A sink named `memory` that accepts everything.
    pub fn new() -> Self {
        MemorySink::named("memory")
    }

    /// A sink with its own name (useful in a [`Fanout`](super::Fanout)).
    pub fn named(name: &str) -> Self {
        MemorySink {
            name: Arc::from(name),
            state: Arc::new(Mutex::new(State {
                batches: Vec::new(),
                attempts: 0,
                flushes: 0,
                mode: FailMode::No,
                failure: InjectedFailure::retryable(),
            })),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The next send keeps the first `n` records of its batch and then
    /// fails with a retryable error whose [`SinkError::accepted`] is `n`.
    pub fn fail_after_records(&self, n: usize) {
        self.fail_next_with(1, InjectedFailure::retryable().after_records(n));
    }

    /// Fails the next `n` sends with a retryable error.
    pub fn fail_next(&self, n: usize) {
        self.fail_next_with(n, InjectedFailure::retryable());
    }

    /// Fails the next `n` sends with `failure`.
    pub fn fail_next_with(&self, n: usize, failure: InjectedFailure) {
        let mut s = self.state();
        s.mode = FailMode::Times(n);
        s.failure = failure;
    }

    /// Fails every send for `duration` from now (tokio time, so paused
    /// test clocks apply).
    pub fn fail_for(&self, duration: Duration) {
        let mut s = self.state();
        s.mode = FailMode::Until(Instant::now() + duration);
        s.failure = InjectedFailure::retryable();
    }

    /// Fails every send until [`MemorySink::recover`] is called.
    pub fn fail_always(&self, failure: InjectedFailure) {
        let mut s = self.state();
        s.mode = FailMode::Always;
        s.failure = failure;
    }

    /// Stops failing.
    pub fn recover(&self) {
        self.state().mode = FailMode::No;
    }

    /// Every accepted batch, in order.
    pub fn batches(&self) -> Vec<Vec<AlertRecord>> {
        self.state().batches.clone()
    }

    /// Every accepted record, in order.
    pub fn records(&self) -> Vec<AlertRecord> {
        self.state().batches.iter().flatten().cloned().collect()
    }

    /// The ids of every accepted alert, in order.
    pub fn alert_ids(&self) -> Vec<String> {
        let s = self.state();
        s.batches
            .iter()
            .flatten()
            .map(|r| r.alert_id().to_owned())
            .collect()
    }

    /// How many times `send` was called, failed calls included.
    pub fn attempts(&self) -> usize {
        self.state().attempts
    }

    /// How many times `flush` was called.
    pub fn flushes(&self) -> usize {
        self.state().flushes
    }

    /// Forgets every recorded batch and the counters.
    pub fn clear(&self) {
        let mut s = self.state();
        s.batches.clear();
        s.attempts = 0;
        s.flushes = 0;
    }
}

#[async_trait]
impl AlertSink for MemorySink {
    fn name(&self) -> &str {
        &self.name
    }

    async fn send(&self, batch: &[AlertRecord]) -> Result<(), SinkError> {
        let mut s = self.state();
        s.attempts += 1;
        let fail = match s.mode {
            FailMode::No => false,
            FailMode::Always => true,
            FailMode::Until(until) => Instant::now() < until,
            FailMode::Times(0) => false,
            FailMode::Times(n) => {
                s.mode = FailMode::Times(n - 1);
                true
            }
        };
        if fail {
            let accepted = s.failure.accepted.min(batch.len());
            if accepted > 0 {
                s.batches.push(batch[..accepted].to_vec());
            }
            let f = &s.failure;
            let mut e = SinkError::new(
                self.name.as_ref(),
                SinkErrorKind::Injected,
                f.retryable,
                "injected failure",
            )
            .with_retry_after(f.retry_after)
            .with_accepted(accepted);
            if let Some(status) = f.status {
                e = e.with_status(status);
            }
            return Err(e);
        }
        s.batches.push(batch.to_vec());
        Ok(())
    }

    async fn flush(&self) -> Result<(), SinkError> {
        self.state().flushes += 1;
        Ok(())
    }
}
