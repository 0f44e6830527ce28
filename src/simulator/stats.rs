//! Request counters, per tenant, and their snapshot served at `/_sim/stats`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use super::faults::FaultKind;

/// Live counters of one tenant.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub requests: AtomicU64,
    pub throttled: AtomicU64,
    pub faults: [AtomicU64; 7],
    pub token_requests: AtomicU64,
    pub tokens_issued: AtomicU64,
    pub token_errors: AtomicU64,
}

/// Adds one to a counter and returns its previous value.
pub(crate) fn bump(counter: &AtomicU64) -> u64 {
    counter.fetch_add(1, Ordering::Relaxed)
}

impl Counters {
    pub(crate) fn fault(&self, kind: FaultKind) {
        if let Some(counter) = self.faults.get(kind.slot()) {
            bump(counter);
        }
    }

    pub(crate) fn snapshot(&self) -> TenantStats {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        TenantStats {
            requests: load(&self.requests),
            throttled: load(&self.throttled),
            faults: FaultKind::ALL
                .iter()
                .filter_map(|kind| {
                    let n = self.faults.get(kind.slot()).map_or(0, load);
                    (n > 0).then(|| (kind.as_str().to_owned(), n))
                })
                .collect(),
            token_requests: load(&self.token_requests),
            tokens_issued: load(&self.tokens_issued),
            token_errors: load(&self.token_errors),
        }
    }
}

/// What one tenant has seen so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct TenantStats {
    /// Authenticated API calls (alerts and Graph), throttled ones included.
    pub requests: u64,
    /// Calls answered 429.
    pub throttled: u64,
    /// Injected faults by kind ([`FaultKind::as_str`]); kinds never
    /// injected are left out.
    pub faults: BTreeMap<String, u64>,
    /// Token endpoint requests naming this tenant.
    pub token_requests: u64,
    /// Access tokens issued.
    pub tokens_issued: u64,
    /// Token requests answered with an Entra error.
    pub token_errors: u64,
}

impl TenantStats {
    /// Injected faults of all kinds.
    pub fn total_faults(&self) -> u64 {
        self.faults.values().sum()
    }
}

/// Totals, plus one entry per tenant that was contacted at all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Stats {
    /// API calls over all tenants.
    pub requests: u64,
    /// 429 answers over all tenants.
    pub throttled: u64,
    /// Injected faults over all tenants.
    pub faults: u64,
    /// Access tokens issued over all tenants.
    pub tokens_issued: u64,
    /// API calls rejected before a tenant was known (no or bad token).
    pub unauthenticated: u64,
    /// API calls refused because the bearer token was issued for another
    /// tenant than the one the request names (header
    /// [`TENANT_HEADER`](crate::transport::TENANT_HEADER)). Always 0 for a
    /// correct client.
    pub cross_tenant_tokens: u64,
    /// Per tenant id; tenants never contacted are left out.
    pub tenants: BTreeMap<String, TenantStats>,
}

impl Stats {
    pub(crate) fn add(&mut self, tenant_id: &str, tenant: TenantStats) {
        self.requests += tenant.requests;
        self.throttled += tenant.throttled;
        self.faults += tenant.total_faults();
        self.tokens_issued += tenant.tokens_issued;
        if tenant != TenantStats::default() {
            self.tenants.insert(tenant_id.to_owned(), tenant);
        }
    }
}
