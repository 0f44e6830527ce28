//! [`Retrier`]: the one "decide, sleep, give up" loop of the crate.

use std::fmt::Display;
use std::future::Future;
use std::time::Duration;

use super::{Cancel, Decision, Failure, RetryPolicy, WaitBudget};

/// Why a [`Retrier`] stopped retrying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stop {
    /// The failure is not worth retrying (a 400, a 403, a bad config…).
    NotRetryable,
    /// The policy's attempts are used up.
    Exhausted,
    /// The backend asked to wait longer than the policy allows.
    WaitTooLong(Duration),
    /// The [`Cancel`] signal fired (shutdown).
    Cancelled,
    /// The target is known to be down: its circuit breaker is open (see
    /// [`crate::sink::Breaker`]), so nothing was sent.
    CircuitOpen,
    /// The next wait would take the total waiting of the [`WaitBudget`]
    /// past its limit (given here).
    BudgetSpent(Duration),
}

impl Stop {
    /// Words for logs and errors.
    pub fn describe(self) -> String {
        match self {
            Stop::NotRetryable => "not retryable".to_owned(),
            Stop::Exhausted => "retries used up".to_owned(),
            Stop::WaitTooLong(wait) => {
                format!(
                    "the backend asked to wait {} s, more than the retry policy allows",
                    wait.as_secs()
                )
            }
            Stop::Cancelled => "cancelled by shutdown".to_owned(),
            Stop::CircuitOpen => "the sink is down (circuit breaker open)".to_owned(),
            Stop::BudgetSpent(limit) => format!(
                "the retries have waited all the {} s they may wait in all",
                limit.as_secs()
            ),
        }
    }
}

/// A failed attempt as [`RetryPolicy::run`] sees it: the failure the policy
/// decides on (`None`: do not retry) and the error to return.
#[derive(Debug)]
pub struct Attempt<E> {
    /// What the policy sees; `None` for a failure never worth retrying.
    pub failure: Option<Failure>,
    /// The error returned when the retrying stops.
    pub error: E,
}

impl<E> Attempt<E> {
    /// A failure the policy may retry.
    pub fn retry(failure: Failure, error: E) -> Self {
        Attempt {
            failure: Some(failure),
            error,
        }
    }

    /// A failure that is returned at once.
    pub fn fatal(error: E) -> Self {
        Attempt {
            failure: None,
            error,
        }
    }
}

/// How [`RetryPolicy::run`] ended without a result.
#[derive(Debug)]
#[non_exhaustive]
pub struct GaveUp<E> {
    /// The last attempt's error.
    pub error: E,
    /// How many attempts were made.
    pub attempts: u32,
    /// Why the retrying stopped.
    pub stop: Stop,
}

/// The state of one retried operation: how many attempts were made and
/// what the policy says next. Callers whose attempts need mutable state of
/// their own (a token refreshed once, a batch whose prefix was accepted)
/// drive it by hand; [`RetryPolicy::run`] drives it for a closure.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::time::Duration;
/// use defender_siem::retry::{Cancel, Failure, RetryPolicy, Stop};
///
/// let policy = RetryPolicy::default().max_attempts(2).base_delay(Duration::ZERO);
/// let mut retrier = policy.retrier(None);
/// // The first failure is retried after a (zero) back-off …
/// assert_eq!(retrier.wait(Some(Failure::Timeout), "timed out").await, Ok(()));
/// // … the second one uses up the two attempts.
/// assert_eq!(retrier.wait(Some(Failure::Timeout), "timed out").await, Err(Stop::Exhausted));
/// assert_eq!(retrier.attempts(), 2);
/// # }
/// ```
#[derive(Debug)]
pub struct Retrier<'a> {
    policy: &'a RetryPolicy,
    cancel: Option<&'a Cancel>,
    budget: Option<&'a WaitBudget>,
    attempts: u32,
}

impl<'a> Retrier<'a> {
    pub(super) fn new(policy: &'a RetryPolicy, cancel: Option<&'a Cancel>) -> Self {
        Retrier {
            policy,
            cancel,
            budget: None,
            attempts: 1,
        }
    }

    /// Takes every wait from `budget` as well: a wait that would take it
    /// past its limit is not started, and [`Retrier::wait`] returns
    /// [`Stop::BudgetSpent`].
    #[must_use]
    pub fn with_budget(mut self, budget: &'a WaitBudget) -> Self {
        self.budget = Some(budget);
        self
    }

    /// The number of the attempt under way (from 1), or of the last one made.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// After a failed attempt: decides, waits the back-off or the backend's
    /// `Retry-After` (ended at once by the cancel signal), and returns `Ok`
    /// when the next attempt may start, or why not. `error` is only logged.
    pub async fn wait(
        &mut self,
        failure: Option<Failure>,
        error: impl Display,
    ) -> Result<(), Stop> {
        let Some(failure) = failure else {
            return Err(Stop::NotRetryable);
        };
        if !RetryPolicy::is_retryable(failure) {
            return Err(Stop::NotRetryable);
        }
        let wait = match self.policy.decide(self.attempts, failure) {
            Decision::RetryAfter(wait) => wait,
            Decision::GiveUp => return Err(self.why_not(failure)),
        };
        if self.cancel.is_some_and(Cancel::is_cancelled) {
            return Err(Stop::Cancelled);
        }
        if let Some(budget) = self.budget
            && !budget.try_spend(wait)
        {
            return Err(Stop::BudgetSpent(budget.limit()));
        }
        tracing::warn!(attempt = self.attempts, ?wait, error = %error, "retrying");
        match self.cancel {
            Some(cancel) => {
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = cancel.cancelled() => return Err(Stop::Cancelled),
                }
            }
            None => tokio::time::sleep(wait).await,
        }
        self.attempts += 1;
        Ok(())
    }

    fn why_not(&self, failure: Failure) -> Stop {
        match failure {
            Failure::Status {
                retry_after: Some(wait),
                ..
            }
            | Failure::Transient {
                retry_after: Some(wait),
            } if self.attempts < self.policy.attempts() => Stop::WaitTooLong(wait),
            _ => Stop::Exhausted,
        }
    }
}

impl RetryPolicy {
    /// A [`Retrier`] for one operation under this policy; its waits end at
    /// once when `cancel` fires.
    pub fn retrier<'a>(&'a self, cancel: Option<&'a Cancel>) -> Retrier<'a> {
        Retrier::new(self, cancel)
    }

    /// Runs `attempt` (given the attempt number, from 1) until it succeeds
    /// or the policy gives up.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use std::time::Duration;
    /// use defender_siem::retry::{Attempt, Failure, RetryPolicy};
    ///
    /// let policy = RetryPolicy::default().base_delay(Duration::from_millis(1));
    /// let result = policy
    ///     .run(None, |n| async move {
    ///         if n < 3 { Err(Attempt::retry(Failure::Connection, "refused")) } else { Ok(n) }
    ///     })
    ///     .await;
    /// assert_eq!(result.unwrap(), 3);
    /// # }
    /// ```
    pub async fn run<T, E, F, Fut>(
        &self,
        cancel: Option<&Cancel>,
        mut attempt: F,
    ) -> Result<T, GaveUp<E>>
    where
        E: Display,
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T, Attempt<E>>>,
    {
        let mut retrier = self.retrier(cancel);
        loop {
            let failed = match attempt(retrier.attempts()).await {
                Ok(value) => return Ok(value),
                Err(failed) => failed,
            };
            if let Err(stop) = retrier.wait(failed.failure, &failed.error).await {
                return Err(GaveUp {
                    error: failed.error,
                    attempts: retrier.attempts(),
                    stop,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn cancel_ends_a_long_retry_after_at_once() {
        let policy = RetryPolicy::default();
        let cancel = Cancel::new();
        let canceller = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            canceller.cancel();
        });
        let started = tokio::time::Instant::now();
        let mut retrier = policy.retrier(Some(&cancel));
        let throttled = Failure::Status {
            status: 429,
            retry_after: Some(Duration::from_secs(60)),
        };
        assert_eq!(
            retrier.wait(Some(throttled), "429").await,
            Err(Stop::Cancelled)
        );
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn run_counts_attempts_and_stops_on_fatal() {
        let policy = RetryPolicy::default().max_attempts(4);
        let calls = std::cell::Cell::new(0);
        let out: Result<(), _> = policy
            .run(None, |_| {
                calls.set(calls.get() + 1);
                async { Err(Attempt::retry(Failure::Connection, "down")) }
            })
            .await;
        let gave_up = out.unwrap_err();
        assert_eq!(
            (calls.get(), gave_up.attempts, gave_up.stop),
            (4, 4, Stop::Exhausted)
        );

        let out: Result<(), _> = policy
            .run(None, |_| async { Err(Attempt::fatal("bad request")) })
            .await;
        assert_eq!(out.unwrap_err().stop, Stop::NotRetryable);
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_beyond_the_limit_is_named() {
        let policy = RetryPolicy::default().max_retry_after(Duration::from_secs(5));
        let mut retrier = policy.retrier(None);
        let long = Failure::Transient {
            retry_after: Some(Duration::from_secs(50)),
        };
        assert_eq!(
            retrier.wait(Some(long), "busy").await,
            Err(Stop::WaitTooLong(Duration::from_secs(50)))
        );
    }
}
