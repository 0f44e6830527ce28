//! Per-tenant call budgets: a sliding window of call times per tenant.
//!
//! Each tenant has its own log of call times, behind its own lock that is
//! held only to read and append, never across a wait, so a tenant waiting
//! for its budget never holds back another. Time is tokio's, so tests can
//! pause it.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;
use tracing::debug;

use crate::tenant::TenantId;

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);

/// How many calls one tenant may make per minute and per hour.
///
/// ```
/// use defender_siem::client::RateLimits;
///
/// assert_eq!(RateLimits::default(), RateLimits::new(Some(100), Some(1_500)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    per_minute: Option<u32>,
    per_hour: Option<u32>,
}

impl Default for RateLimits {
    /// The Defender for Endpoint API's documented limits: 100 calls per
    /// minute and 1,500 per hour.
    fn default() -> Self {
        RateLimits::new(Some(100), Some(1_500))
    }
}

impl RateLimits {
    /// Limits per minute and per hour; `None` means no limit. A zero limit
    /// counts as one call.
    pub fn new(per_minute: Option<u32>, per_hour: Option<u32>) -> Self {
        RateLimits {
            per_minute: per_minute.map(|n| n.max(1)),
            per_hour: per_hour.map(|n| n.max(1)),
        }
    }

    /// The Graph security API's documented limit: 150 calls per minute.
    pub fn graph_default() -> Self {
        RateLimits::new(Some(150), None)
    }

    /// No limit at all.
    pub fn unlimited() -> Self {
        RateLimits::new(None, None)
    }

    /// Calls allowed per minute.
    pub fn per_minute(&self) -> Option<u32> {
        self.per_minute
    }

    /// Calls allowed per hour.
    pub fn per_hour(&self) -> Option<u32> {
        self.per_hour
    }

    /// How long to wait before the next call, given the sorted call log.
    fn wait(&self, log: &VecDeque<Instant>, now: Instant) -> Duration {
        let until = |limit: Option<u32>, window: Duration| -> Duration {
            let Some(limit) = limit else {
                return Duration::ZERO;
            };
            let limit = limit as usize;
            let start = now.checked_sub(window);
            let in_window = match start {
                Some(start) => log.len() - log.partition_point(|t| *t <= start),
                None => log.len(),
            };
            if in_window < limit {
                return Duration::ZERO;
            }
            // The call that has to leave the window before another fits.
            let blocking = log[log.len() - limit];
            (blocking + window).saturating_duration_since(now)
        };
        until(self.per_minute, MINUTE).max(until(self.per_hour, HOUR))
    }
}

type Log = Arc<Mutex<VecDeque<Instant>>>;

/// The budgets of every tenant for one API.
#[derive(Debug)]
pub(crate) struct RateBudgets {
    limits: RateLimits,
    tenants: Mutex<HashMap<TenantId, Log>>,
}

impl RateBudgets {
    pub(crate) fn new(limits: RateLimits) -> Self {
        RateBudgets {
            limits,
            tenants: Mutex::new(HashMap::new()),
        }
    }

    fn log(&self, tenant: &TenantId) -> Log {
        self.tenants
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(tenant.clone())
            .or_default()
            .clone()
    }

    /// Waits until `tenant` may make a call, and records it.
    pub(crate) async fn acquire(&self, tenant: &TenantId) {
        if self.limits == RateLimits::unlimited() {
            return;
        }
        let log = self.log(tenant);
        loop {
            let wait = {
                let mut log = log.lock().unwrap_or_else(PoisonError::into_inner);
                let now = Instant::now();
                let keep = if self.limits.per_hour.is_some() {
                    HOUR
                } else {
                    MINUTE
                };
                if let Some(start) = now.checked_sub(keep) {
                    while log.front().is_some_and(|t| *t <= start) {
                        log.pop_front();
                    }
                }
                let wait = self.limits.wait(&log, now);
                if wait.is_zero() {
                    log.push_back(now);
                    return;
                }
                wait
            };
            debug!(%tenant, ?wait, "call budget used up; waiting");
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn minute_limit_waits_for_the_window() {
        let budgets = RateBudgets::new(RateLimits::new(Some(3), None));
        let t = TenantId::new("a.com").unwrap();
        let start = Instant::now();
        for _ in 0..3 {
            budgets.acquire(&t).await;
        }
        assert_eq!(Instant::now(), start);
        budgets.acquire(&t).await;
        assert_eq!(Instant::now() - start, MINUTE);
    }

    #[tokio::test(start_paused = true)]
    async fn hour_limit_and_other_tenants_unaffected() {
        let budgets = RateBudgets::new(RateLimits::new(Some(100), Some(5)));
        let a = TenantId::new("a.com").unwrap();
        let b = TenantId::new("b.com").unwrap();
        let start = Instant::now();
        for _ in 0..5 {
            budgets.acquire(&a).await;
        }
        budgets.acquire(&b).await;
        assert_eq!(Instant::now(), start, "tenant b never waits for a");
        budgets.acquire(&a).await;
        assert_eq!(Instant::now() - start, HOUR);
    }
}
