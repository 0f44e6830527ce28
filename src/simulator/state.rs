//! The state every route shares: settings, clock, tenants and their
//! lazily created runtime (timeline, rate budgets, counters).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::clock::SimClock;
use super::data::{Timeline, TimelineConfig};
use super::faults::FaultRates;
use super::rng::Rng;
use super::stats::{Counters, Stats};
use super::tenant::{SimTenant, TenantSetup};
use super::throttle::{Budget, Throttle};
use super::token::Signer;

/// The settings a running simulator keeps from its builder.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub seed: u64,
    pub budget: Budget,
    pub faults: FaultRates,
    pub slow_delay: Duration,
    pub token_lifetime: TimeDelta,
    pub refresh_lifetime: TimeDelta,
    pub timeline: TimelineConfig,
    pub client_id: String,
    pub client_secret: String,
}

/// The mutable side of one tenant, created on first use.
#[derive(Debug)]
pub(crate) struct TenantRuntime {
    timeline: Mutex<Timeline>,
    pub mde: Mutex<Throttle>,
    pub graph: Mutex<Throttle>,
    pub counters: Counters,
    pub consented: AtomicBool,
}

/// A refresh token that can still be redeemed.
#[derive(Debug, Clone)]
pub(crate) struct RefreshGrant {
    pub tenant: usize,
    pub client_id: String,
    pub expires: DateTime<Utc>,
}

/// Locks a mutex, ignoring poisoning: the data stays usable.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Everything the routes share.
#[derive(Debug)]
pub(crate) struct State {
    pub settings: Settings,
    pub clock: SimClock,
    pub tenants: Vec<SimTenant>,
    lookup: HashMap<String, usize>,
    runtimes: Vec<OnceLock<TenantRuntime>>,
    pub signer: Signer,
    pub refresh: Mutex<HashMap<String, RefreshGrant>>,
    serial: AtomicU64,
    /// `http(s)://127.0.0.1:<port>`, no trailing slash.
    pub base_url: String,
    pub unauthenticated: AtomicU64,
    /// API calls whose token was issued for another tenant than the one
    /// the request names.
    pub cross_tenant_tokens: AtomicU64,
}

impl State {
    pub(crate) fn new(
        settings: Settings,
        clock: SimClock,
        tenants: Vec<SimTenant>,
        base_url: String,
    ) -> Self {
        let mut lookup = HashMap::with_capacity(tenants.len() * 2);
        for (i, tenant) in tenants.iter().enumerate() {
            lookup.insert(tenant.id.to_ascii_lowercase(), i);
            lookup.insert(tenant.domain.to_ascii_lowercase(), i);
        }
        let runtimes = (0..tenants.len()).map(|_| OnceLock::new()).collect();
        State {
            signer: Signer::new(settings.seed),
            settings,
            clock,
            tenants,
            lookup,
            runtimes,
            refresh: Mutex::new(HashMap::new()),
            serial: AtomicU64::new(0),
            base_url,
            unauthenticated: AtomicU64::new(0),
            cross_tenant_tokens: AtomicU64::new(0),
        }
    }

    /// The simulated now.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// A fresh GUID (trace ids, token ids), deterministic per run.
    pub(crate) fn guid(&self) -> String {
        let n = self.serial.fetch_add(1, Ordering::Relaxed);
        Rng::new(&[self.settings.seed, 0x6d1d, n]).guid()
    }

    /// The tenant named by an id or domain (any case).
    pub(crate) fn tenant_index(&self, key: &str) -> Option<usize> {
        self.lookup.get(&key.to_ascii_lowercase()).copied()
    }

    /// The runtime of tenant `index`, created on first use.
    pub(crate) fn runtime(&self, index: usize) -> Option<&TenantRuntime> {
        let tenant = self.tenants.get(index)?;
        let cell = self.runtimes.get(index)?;
        Some(cell.get_or_init(|| TenantRuntime {
            timeline: Mutex::new(Timeline::new(&self.settings.timeline, index as u64)),
            mde: Mutex::new(Throttle::default()),
            graph: Mutex::new(Throttle::default()),
            counters: Counters::default(),
            consented: AtomicBool::new(tenant.setup != TenantSetup::NotConsented),
        }))
    }

    /// Runs `f` on tenant `index`'s timeline, brought up to `now` first.
    pub(crate) fn with_timeline<R>(
        &self,
        index: usize,
        now: DateTime<Utc>,
        f: impl FnOnce(&Timeline) -> R,
    ) -> Option<R> {
        let runtime = self.runtime(index)?;
        let mut timeline = lock(&runtime.timeline);
        timeline.advance_to(&self.settings.timeline, now);
        Some(f(&timeline))
    }

    /// Counters of every tenant contacted so far.
    pub(crate) fn stats(&self) -> Stats {
        let mut stats = Stats {
            unauthenticated: self.unauthenticated.load(Ordering::Relaxed),
            cross_tenant_tokens: self.cross_tenant_tokens.load(Ordering::Relaxed),
            ..Stats::default()
        };
        for (tenant, cell) in self.tenants.iter().zip(&self.runtimes) {
            if let Some(runtime) = cell.get() {
                stats.add(&tenant.id, runtime.counters.snapshot());
            }
        }
        stats
    }

    /// Issues a refresh token for `tenant`, valid for the configured lifetime.
    pub(crate) fn mint_refresh_token(&self, tenant: usize, client_id: &str) -> String {
        let mut rng = Rng::new(&[
            self.settings.seed,
            0x2e,
            self.serial.fetch_add(1, Ordering::Relaxed),
        ]);
        let token = format!("0.SIM{}.{}", rng.hex(48), rng.hex(64));
        let grant = RefreshGrant {
            tenant,
            client_id: client_id.to_owned(),
            expires: self.now() + self.settings.refresh_lifetime,
        };
        lock(&self.refresh).insert(token.clone(), grant);
        token
    }
}
