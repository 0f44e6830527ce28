//! Per-tenant rate budgets: a sliding one-minute and one-hour window.

use std::collections::VecDeque;

use chrono::{DateTime, TimeDelta, Utc};

/// The limits of one budget; `None` means unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Budget {
    pub per_minute: Option<u32>,
    pub per_hour: Option<u32>,
}

/// The calls one tenant made to one API in the last hour.
#[derive(Debug, Default)]
pub(crate) struct Throttle {
    calls: VecDeque<DateTime<Utc>>,
}

fn retry_after(oldest: DateTime<Utc>, window: TimeDelta, now: DateTime<Utc>) -> u64 {
    let wait = oldest + window - now;
    let micros = wait.num_microseconds().unwrap_or(i64::MAX).max(0) as u64;
    micros.div_ceil(1_000_000).max(1)
}

impl Throttle {
    /// Counts a call at `now`, or says how many seconds to wait.
    pub(crate) fn admit(&mut self, budget: Budget, now: DateTime<Utc>) -> Result<(), u64> {
        if budget.per_minute.is_none() && budget.per_hour.is_none() {
            return Ok(());
        }
        let hour = TimeDelta::hours(1);
        let minute = TimeDelta::minutes(1);
        while self.calls.front().is_some_and(|t| *t <= now - hour) {
            self.calls.pop_front();
        }
        if let Some(limit) = budget.per_hour
            && self.calls.len() >= limit as usize
        {
            let oldest = self.calls.len() - limit as usize;
            return Err(self
                .calls
                .get(oldest)
                .map_or(1, |t| retry_after(*t, hour, now)));
        }
        if let Some(limit) = budget.per_minute {
            let first = self.calls.partition_point(|t| *t <= now - minute);
            let in_minute = self.calls.len() - first;
            if in_minute >= limit as usize {
                let oldest = first + in_minute - limit as usize;
                return Err(self
                    .calls
                    .get(oldest)
                    .map_or(1, |t| retry_after(*t, minute, now)));
            }
        }
        self.calls.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minute_and_hour_windows() {
        let start = DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let budget = Budget {
            per_minute: Some(3),
            per_hour: Some(5),
        };
        let mut t = Throttle::default();
        for _ in 0..3 {
            assert_eq!(t.admit(budget, start), Ok(()));
        }
        assert_eq!(t.admit(budget, start + TimeDelta::seconds(10)), Err(50));
        assert_eq!(t.admit(budget, start + TimeDelta::seconds(60)), Ok(()));
        assert_eq!(t.admit(budget, start + TimeDelta::seconds(61)), Ok(()));
        assert_eq!(t.admit(budget, start + TimeDelta::seconds(200)), Err(3400));
        assert_eq!(t.admit(budget, start + TimeDelta::seconds(3600)), Ok(()));
        let off = Budget {
            per_minute: None,
            per_hour: None,
        };
        for _ in 0..1000 {
            assert_eq!(t.admit(off, start), Ok(()));
        }
    }
}
