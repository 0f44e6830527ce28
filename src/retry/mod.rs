//! The one retry policy and the one retry loop of the crate.
//!
//! Every failed request of the crate is retried here and nowhere else: the
//! Defender client's GETs, the Entra token requests and the forwarder's
//! deliveries to sinks (sinks make one attempt per request and report how
//! much of a batch is durable; see [`crate::sink::AlertSink`]). The
//! "decide, sleep, give up" steps are written once, in [`Retrier::wait`]
//! (with [`RetryPolicy::run`] on top), and every wait ends at once when its
//! [`Cancel`] fires.
//!
//! | outcome | decision |
//! |---|---|
//! | 429, or 503 with `Retry-After` | wait `Retry-After` (or back off when absent), then retry |
//! | 408, 500, 502, 503, 504 | back off with full jitter, then retry |
//! | timeout, connection refused or reset | back off with full jitter, then retry |
//! | 400, 401, 403, 404, 413 and every other status | give up at once |
//!
//! Back-off is exponential with full jitter: attempt `n` waits a random time
//! in `[0, min(max_delay, base_delay × 2ⁿ⁻¹)]`. A 401 is not retried here: the
//! caller drops its token and retries once (see [`crate::auth::TokenProvider::invalidate`]).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};

mod budget;
mod cancel;
mod retrier;

pub use budget::WaitBudget;
pub use cancel::Cancel;
pub use retrier::{Attempt, GaveUp, Retrier, Stop};

/// How a failed attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// The server answered with this HTTP status.
    Status {
        /// The HTTP status code.
        status: u16,
        /// The server's `Retry-After`, when it sent one.
        retry_after: Option<Duration>,
    },
    /// The request timed out.
    Timeout,
    /// The connection could not be made, or broke before a full response.
    Connection,
    /// The backend said in its own terms that trying again may help (an
    /// Entra `temporarily_unavailable`, a sink's retryable refusal without
    /// an HTTP status), with the wait it asked for, if any.
    Transient {
        /// The backend's `Retry-After`, when it gave one.
        retry_after: Option<Duration>,
    },
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Wait this long, then try again.
    RetryAfter(Duration),
    /// Stop and report the failure.
    GiveUp,
}

/// Limits for retrying one request.
///
/// ```
/// use std::time::Duration;
/// use defender_siem::retry::{Decision, Failure, RetryPolicy};
///
/// let policy = RetryPolicy::default();
/// let throttled = Failure::Status { status: 429, retry_after: Some(Duration::from_secs(7)) };
/// assert_eq!(policy.decide(1, throttled), Decision::RetryAfter(Duration::from_secs(7)));
/// let bad_request = Failure::Status { status: 400, retry_after: None };
/// assert_eq!(policy.decide(1, bad_request), Decision::GiveUp);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// 6 attempts, back-off from 500 ms up to 30 s, and `Retry-After`
    /// honoured up to 10 minutes.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(600),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn never() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Total attempts, the first one included (at least 1). Default 6.
    #[must_use]
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// First back-off step. Default 500 ms.
    #[must_use]
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// Largest back-off step. Default 30 s.
    #[must_use]
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// Longest `Retry-After` that is waited out; a server asking for more
    /// makes the request give up with the wait in its error. Default 10 min.
    #[must_use]
    pub fn max_retry_after(mut self, delay: Duration) -> Self {
        self.max_retry_after = delay;
        self
    }

    /// The configured number of attempts.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Whether a failure of this kind is worth retrying at all.
    pub fn is_retryable(failure: Failure) -> bool {
        match failure {
            Failure::Timeout | Failure::Connection | Failure::Transient { .. } => true,
            Failure::Status { status, .. } => matches!(status, 408 | 429 | 500 | 502 | 503 | 504),
        }
    }

    /// What to do after attempt number `attempt` (from 1) failed with `failure`.
    pub fn decide(&self, attempt: u32, failure: Failure) -> Decision {
        self.decide_with_jitter(attempt, failure, jitter_unit())
    }

    /// [`RetryPolicy::decide`] with the random factor (in `[0, 1)`) given,
    /// so the result is reproducible.
    pub fn decide_with_jitter(&self, attempt: u32, failure: Failure, unit: f64) -> Decision {
        if attempt >= self.max_attempts || !Self::is_retryable(failure) {
            return Decision::GiveUp;
        }
        if let Failure::Status {
            retry_after: Some(wait),
            ..
        }
        | Failure::Transient {
            retry_after: Some(wait),
        } = failure
        {
            return if wait <= self.max_retry_after {
                Decision::RetryAfter(wait)
            } else {
                Decision::GiveUp
            };
        }
        Decision::RetryAfter(self.backoff(attempt, unit))
    }

    /// The jittered back-off after attempt `attempt` (from 1).
    pub fn backoff(&self, attempt: u32, unit: f64) -> Duration {
        let exponent = attempt.saturating_sub(1).min(30);
        let ceiling = self
            .base_delay
            .saturating_mul(1u32 << exponent)
            .min(self.max_delay);
        ceiling.mul_f64(unit.clamp(0.0, 1.0))
    }
}

/// Reads a `Retry-After` header: whole or fractional seconds (`7`, `2.128`)
/// or an HTTP date. Negative, unreadable or past values give `None`. A
/// server's number is never trusted: both forms are capped at one day, so `10^18` seconds or the year 9999 cannot
/// overflow a `Duration` or an `Instant` (and
/// [`RetryPolicy::max_retry_after`] decides whether that is waited out).
///
/// ```
/// use std::time::Duration;
/// use defender_siem::retry::parse_retry_after;
///
/// let now = chrono::Utc::now();
/// assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
/// assert_eq!(parse_retry_after("2.128", now), Some(Duration::from_millis(2128)));
/// assert_eq!(parse_retry_after("soon", now), None);
/// ```
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0)
            .then(|| Duration::from_secs_f64(seconds.min(MAX_RETRY_AFTER.as_secs_f64())));
    }
    let when = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    // chrono's range (±262,000 years) fits a TimeDelta: no overflow.
    when.signed_duration_since(now)
        .to_std()
        .ok()
        .map(|wait| wait.min(MAX_RETRY_AFTER))
}

/// The longest `Retry-After` [`parse_retry_after`] gives: one day.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(86_400);

/// A number in `[0, 1)` that differs between calls and processes, without a
/// random-number dependency: the standard library seeds `RandomState` from
/// the OS, and a counter makes each call distinct.
fn jitter_unit() -> f64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16) -> Failure {
        Failure::Status {
            status,
            retry_after: None,
        }
    }

    #[test]
    fn retryable_statuses() {
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(RetryPolicy::is_retryable(status(s)), "{s}");
        }
        for s in [400, 401, 403, 404, 413, 501] {
            assert!(!RetryPolicy::is_retryable(status(s)), "{s}");
        }
        assert!(RetryPolicy::is_retryable(Failure::Timeout));
        assert!(RetryPolicy::is_retryable(Failure::Connection));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy::default()
            .base_delay(Duration::from_millis(100))
            .max_delay(Duration::from_secs(1));
        assert_eq!(p.backoff(1, 1.0), Duration::from_millis(100));
        assert_eq!(p.backoff(2, 1.0), Duration::from_millis(200));
        assert_eq!(p.backoff(3, 1.0), Duration::from_millis(400));
        assert_eq!(p.backoff(10, 1.0), Duration::from_secs(1));
        assert_eq!(p.backoff(3, 0.5), Duration::from_millis(200));
        assert_eq!(p.backoff(3, 0.0), Duration::ZERO);
    }

    #[test]
    fn gives_up_after_max_attempts() {
        let p = RetryPolicy::default().max_attempts(3);
        assert!(matches!(
            p.decide_with_jitter(2, status(500), 0.5),
            Decision::RetryAfter(_)
        ));
        assert_eq!(p.decide_with_jitter(3, status(500), 0.5), Decision::GiveUp);
        assert_eq!(
            RetryPolicy::never().decide(1, Failure::Timeout),
            Decision::GiveUp
        );
    }

    #[test]
    fn retry_after_beyond_the_limit_gives_up() {
        let p = RetryPolicy::default().max_retry_after(Duration::from_secs(60));
        let long = Failure::Status {
            status: 429,
            retry_after: Some(Duration::from_secs(3600)),
        };
        assert_eq!(p.decide(1, long), Decision::GiveUp);
    }

    #[test]
    fn retry_after_as_http_date() {
        let now = DateTime::parse_from_rfc2822("Wed, 21 Oct 2015 07:28:00 GMT")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
            None
        );
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn hostile_retry_after_values_are_capped_at_a_day() {
        let now = Utc::now();
        for huge in [
            "1000000000000000000",
            "18446744073709551616",
            "1e300",
            "Fri, 31 Dec 9999 23:59:59 GMT",
        ] {
            assert_eq!(
                parse_retry_after(huge, now),
                Some(MAX_RETRY_AFTER),
                "{huge}"
            );
        }
        for unusable in ["inf", "NaN", "-1e300", "Mon, 01 Jan 0001 00:00:00 GMT"] {
            assert_eq!(parse_retry_after(unusable, now), None, "{unusable}");
        }
        // The capped wait still adds to an Instant without overflow.
        let wait = parse_retry_after("1000000000000000000", now).unwrap();
        assert!(std::time::Instant::now().checked_add(wait).is_some());
    }

    #[test]
    fn jitter_is_in_range_and_varies() {
        let samples: Vec<f64> = (0..64).map(|_| jitter_unit()).collect();
        assert!(samples.iter().all(|u| (0.0..1.0).contains(u)));
        let first = samples[0];
        assert!(samples.iter().any(|u| (*u - first).abs() > 1e-9));
    }
}
