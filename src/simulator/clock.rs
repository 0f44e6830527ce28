//! [`SimClock`]: the simulator's notion of "now", wall or manual.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

/// The clock that drives the simulator: alert timelines, token expiry, rate
/// budgets and late arrivals all read it.
///
/// A *wall* clock follows the system time; a *manual* clock stands still
/// until [`SimClock::advance`] moves it, which makes tests deterministic.
/// `advance` works on a wall clock too: it shifts the simulator's time
/// forward by that much on top of the system time.
///
/// Cloning gives another handle to the same clock.
#[derive(Debug, Clone)]
pub struct SimClock {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// `None` for a wall clock, the starting instant for a manual one.
    manual_start: Option<DateTime<Utc>>,
    /// How far `advance` has moved the clock, in microseconds.
    offset_micros: AtomicI64,
}

impl SimClock {
    /// A clock that follows the system time.
    pub fn wall() -> Self {
        Self::with_start(None)
    }

    /// A clock that shows `start` until it is advanced.
    pub fn manual(start: DateTime<Utc>) -> Self {
        Self::with_start(Some(start))
    }

    fn with_start(manual_start: Option<DateTime<Utc>>) -> Self {
        SimClock {
            inner: Arc::new(Inner {
                manual_start,
                offset_micros: AtomicI64::new(0),
            }),
        }
    }

    /// Whether this is a manual clock.
    pub fn is_manual(&self) -> bool {
        self.inner.manual_start.is_some()
    }

    /// The current simulated instant.
    pub fn now(&self) -> DateTime<Utc> {
        let base = self.inner.manual_start.unwrap_or_else(Utc::now);
        let offset = TimeDelta::microseconds(self.inner.offset_micros.load(Ordering::SeqCst));
        base.checked_add_signed(offset).unwrap_or(base)
    }

    /// Moves the clock forward by `by` (saturating at about 290,000 years).
    pub fn advance(&self, by: Duration) {
        let micros = i64::try_from(by.as_micros()).unwrap_or(i64::MAX);
        let _ = self
            .inner
            .offset_micros
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |old| {
                Some(old.saturating_add(micros))
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_advanced() {
        let start = DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let clock = SimClock::manual(start);
        assert_eq!(clock.now(), start);
        clock.clone().advance(Duration::from_secs(90));
        assert_eq!((clock.now() - start).num_seconds(), 90);
        assert!(clock.is_manual());
    }
}
