//! [`Breaker`]: a sink that is down is found once for all tenants.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use super::SinkError;
use crate::retry::Cancel;

/// A circuit breaker shared by every delivery to one sink.
///
/// * **Closed** (the start): every delivery is sent.
/// * **Open**: after a delivery gave up on a failure that says the sink is
///   down (connection, timeout, 5xx, 429, refused credentials), every other
///   delivery, for any tenant, is refused at once without a request, until
///   the cool-down has passed or [`Breaker::allow_probe`] is called (the
///   forwarder does at the start of each poll).
/// * **Probing**: one delivery is let through, with no retries; the others
///   wait for its outcome. If it gets through (or the backend answers at
///   all) the breaker closes and they all go on; otherwise it opens again.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::time::Duration;
/// use defender_siem::sink::{Admission, Breaker, SinkError};
///
/// let breaker = Breaker::new(Duration::from_secs(30));
/// assert!(matches!(breaker.admit(None).await, Admission::Go));
/// breaker.trip(&SinkError::connection("hec", "connection refused"));
/// assert!(matches!(breaker.admit(None).await, Admission::Refused(_)));
/// breaker.allow_probe();
/// assert!(matches!(breaker.admit(None).await, Admission::Probe));
/// breaker.close();
/// assert!(matches!(breaker.admit(None).await, Admission::Go));
/// # }
/// ```
#[derive(Debug)]
pub struct Breaker {
    state: Mutex<State>,
    changed: Notify,
    cooldown: Duration,
}

#[derive(Debug)]
enum State {
    Closed,
    Open { probe_at: Instant, why: String },
    Probing,
}

/// What [`Breaker::admit`] says about one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Admission {
    /// Send.
    Go,
    /// Send once, as the probe, without retries; report the outcome with
    /// [`Breaker::close`] or [`Breaker::trip`].
    Probe,
    /// Do not send: the sink is down. The text says since when and why.
    Refused(String),
}

impl Default for Breaker {
    /// A 30 s cool-down.
    fn default() -> Self {
        Breaker::new(Duration::from_secs(30))
    }
}

impl Breaker {
    /// A closed breaker that, once open, lets a probe through after `cooldown`.
    pub fn new(cooldown: Duration) -> Self {
        Breaker {
            state: Mutex::new(State::Closed),
            changed: Notify::new(),
            cooldown,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether deliveries are being refused.
    pub fn is_open(&self) -> bool {
        !matches!(*self.lock(), State::Closed)
    }

    /// Asks whether one delivery may be sent. While a probe is out this
    /// waits for its outcome (or for `cancel`, which refuses).
    pub async fn admit(&self, cancel: Option<&Cancel>) -> Admission {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            {
                let mut state = self.lock();
                match &*state {
                    State::Closed => return Admission::Go,
                    State::Open { probe_at, why } if Instant::now() < *probe_at => {
                        return Admission::Refused(why.clone());
                    }
                    State::Open { .. } => {
                        *state = State::Probing;
                        return Admission::Probe;
                    }
                    State::Probing => {}
                }
            }
            match cancel {
                Some(cancel) => tokio::select! {
                    () = &mut changed => {}
                    () = cancel.cancelled() => {
                        return Admission::Refused("shutting down while the sink was probed".into());
                    }
                },
                None => changed.await,
            }
        }
    }

    /// The sink answered: close, and let every waiting delivery go.
    pub fn close(&self) {
        let mut state = self.lock();
        if !matches!(*state, State::Closed) {
            tracing::info!("sink answers again: circuit breaker closed");
        }
        *state = State::Closed;
        drop(state);
        self.changed.notify_waiters();
    }

    /// The sink is down: refuse deliveries for the cool-down.
    pub fn trip(&self, error: &SinkError) {
        let mut state = self.lock();
        if matches!(*state, State::Closed) {
            tracing::warn!(error = %error, cooldown = ?self.cooldown, "sink is down: circuit breaker open; deliveries to it wait for a probe");
        }
        let since = chrono::Utc::now().format("%H:%M:%SZ");
        *state = State::Open {
            probe_at: Instant::now() + self.cooldown,
            why: format!("down since {since}: {error}"),
        };
        drop(state);
        self.changed.notify_waiters();
    }

    /// Lets the next delivery probe an open breaker now, whatever the
    /// cool-down says (a new poll begins). No effect when closed.
    pub fn allow_probe(&self) {
        let mut state = self.lock();
        if let State::Open { probe_at, .. } = &mut *state {
            *probe_at = Instant::now();
        }
    }

    /// A probe ended without an outcome (its delivery was dropped): the
    /// next delivery probes again.
    pub(super) fn abandon_probe(&self) {
        let mut state = self.lock();
        if matches!(*state, State::Probing) {
            *state = State::Open {
                probe_at: Instant::now(),
                why: "a probe was interrupted".into(),
            };
        }
        drop(state);
        self.changed.notify_waiters();
    }
}

/// Whether giving up on `error` means the sink itself is down (for every
/// tenant), rather than that one batch was refused.
pub(super) fn means_down(error: &SinkError) -> bool {
    use super::SinkErrorKind as K;
    error.is_retryable()
        || matches!(
            error.kind(),
            K::Connection | K::Timeout | K::Auth | K::Config
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test(start_paused = true)]
    async fn waiters_follow_the_probe() {
        let breaker = Arc::new(Breaker::new(Duration::from_secs(5)));
        breaker.trip(&SinkError::connection("s", "refused"));
        assert!(breaker.is_open());
        tokio::time::sleep(Duration::from_secs(6)).await;
        assert_eq!(breaker.admit(None).await, Admission::Probe);
        let waiter = {
            let b = breaker.clone();
            tokio::spawn(async move { b.admit(None).await })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(!waiter.is_finished(), "waits while the probe is out");
        breaker.close();
        assert_eq!(waiter.await.unwrap(), Admission::Go);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_probe_reopens_and_an_abandoned_one_is_retried() {
        let breaker = Breaker::new(Duration::from_secs(60));
        breaker.trip(&SinkError::connection("s", "refused"));
        assert!(
            matches!(breaker.admit(None).await, Admission::Refused(t) if t.contains("refused"))
        );
        breaker.allow_probe();
        assert_eq!(breaker.admit(None).await, Admission::Probe);
        breaker.abandon_probe();
        assert_eq!(breaker.admit(None).await, Admission::Probe);
        breaker.trip(&SinkError::connection("s", "still refused"));
        assert!(matches!(breaker.admit(None).await, Admission::Refused(_)));
    }

    #[test]
    fn a_refused_batch_does_not_mean_down() {
        use crate::sink::SinkErrorKind;
        let bad_data = SinkError::new("s", SinkErrorKind::Rejected, false, "bad event");
        assert!(!means_down(&bad_data));
        assert!(means_down(&SinkError::new(
            "s",
            SinkErrorKind::Auth,
            false,
            "bad token"
        )));
    }
}
