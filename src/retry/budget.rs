//! [`WaitBudget`]: the total time many retried requests may wait.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Total retry waiting shared by several retried requests (the pages of
/// one poll). A [`super::Retrier`] given one with
/// [`super::Retrier::with_budget`] stops with [`super::Stop::BudgetSpent`]
/// instead of starting a wait that would take the total past the limit.
///
/// ```
/// use std::time::Duration;
/// use defender_siem::retry::WaitBudget;
///
/// let budget = WaitBudget::new(Duration::from_secs(10));
/// assert!(budget.try_spend(Duration::from_secs(6)));
/// assert!(!budget.try_spend(Duration::from_secs(6)), "12 s is over the 10 s");
/// assert!(budget.try_spend(Duration::from_secs(4)));
/// assert_eq!(budget.spent(), Duration::from_secs(10));
/// ```
#[derive(Debug)]
pub struct WaitBudget {
    limit: Duration,
    /// Milliseconds waited so far.
    spent_ms: AtomicU64,
}

impl WaitBudget {
    /// A budget of `limit` in all.
    pub fn new(limit: Duration) -> Self {
        WaitBudget {
            limit,
            spent_ms: AtomicU64::new(0),
        }
    }

    /// The limit.
    pub fn limit(&self) -> Duration {
        self.limit
    }

    /// What was waited so far.
    pub fn spent(&self) -> Duration {
        Duration::from_millis(self.spent_ms.load(Ordering::Relaxed))
    }

    /// Takes `wait` from the budget; false (and nothing taken) when the
    /// total would pass the limit.
    pub fn try_spend(&self, wait: Duration) -> bool {
        let limit = u64::try_from(self.limit.as_millis()).unwrap_or(u64::MAX);
        let wait = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
        self.spent_ms
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |spent| {
                spent.checked_add(wait).filter(|total| *total <= limit)
            })
            .is_ok()
    }
}
