//! Chaos: the forwarder against a simulator that faults 10 % of calls
//! (429 with `Retry-After`, 500, 503, connection resets, truncated bodies,
//! malformed alerts, token endpoint failures) while alerts keep arriving,
//! being updated and arriving late; one sink refuses 30 % of its batches
//! (half of them after storing them: a lost acknowledgement) and is down
//! for a stretch; a second sink is healthy; a third only wants High alerts.
//!
//! At the end no alert version is lost, none reached the wrong sink or
//! tenant, the healthy sinks got no duplicates and the flaky sink's
//! duplicates all come from its lost acknowledgements.
//!
//! `CHAOS_LONG=1 cargo test --all-features --test it forwarder_chaos -- --nocapture`
//! runs the long mode (more tenants, many more simulated hours).

use crate::sim_support;

use sim_support::sim_tokens;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use defender_siem::checkpoint::MemoryCheckpointStore;
use defender_siem::client::{DefenderClient, RateLimits};
use defender_siem::forward::{CycleReport, Forwarder};
use defender_siem::models::{Severity, Timestamp};
use defender_siem::retry::RetryPolicy;
use defender_siem::simulator::Simulator;
use defender_siem::sink::{AlertRecord, AlertSink, Filter, MemorySink, SinkError, SinkErrorKind};
use defender_siem::{TenantId, TenantInfo};
use serde_json::Value;

/// (tenant, alert id, lastUpdateTime).
type Version = (String, String, String);

/// (tenant, alert id) of an alert the forwarder set aside as malformed.
type SetAside = (String, Option<String>);

/// How big a run is.
struct Scale {
    tenants: usize,
    alerts: usize,
    steps: usize,
    /// Steps during which the flaky sink is down entirely.
    outage: std::ops::Range<usize>,
    /// Large enough that the flaky sink's backlog after the outage fits in
    /// the three calls a poll may make (429s are not waited out here).
    page_size: u32,
}

fn scale() -> Scale {
    if std::env::var_os("CHAOS_LONG").is_some_and(|v| v != "0") {
        Scale {
            tenants: 5,
            alerts: 200,
            steps: 240,
            outage: 80..120,
            page_size: 250,
        }
    } else {
        Scale {
            tenants: 3,
            alerts: 60,
            steps: 60,
            outage: 20..30,
            page_size: 30,
        }
    }
}

/// A small deterministic generator (splitmix64).
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A sink in front of a [`MemorySink`] that refuses 30 % of the batches it
/// is given, chosen by a seeded draw per attempt: half of those are
/// refused outright, half are stored first and then reported as failed
/// (the acknowledgement got lost), which is what makes duplicates. While
/// `down`, it refuses everything without storing.
#[derive(Debug)]
struct FlakySink {
    inner: MemorySink,
    seed: u64,
    attempts: AtomicU64,
    down: AtomicBool,
    refused: AtomicU64,
    refused_while_down: AtomicU64,
    /// Batches stored but reported as failed.
    unacknowledged_batches: AtomicU64,
    /// Batches of which only a prefix was taken (and said so).
    partial: AtomicU64,
    /// Versions of the batches stored but reported as failed.
    unacknowledged: Mutex<Vec<Version>>,
}

impl FlakySink {
    fn new(name: &str, seed: u64) -> Self {
        FlakySink {
            inner: MemorySink::named(name),
            seed,
            attempts: AtomicU64::new(0),
            down: AtomicBool::new(false),
            refused: AtomicU64::new(0),
            refused_while_down: AtomicU64::new(0),
            unacknowledged_batches: AtomicU64::new(0),
            partial: AtomicU64::new(0),
            unacknowledged: Mutex::new(Vec::new()),
        }
    }

    fn failure(&self, message: &str) -> SinkError {
        SinkError::new(
            self.inner.name(),
            SinkErrorKind::Connection,
            true,
            message.to_owned(),
        )
    }
}

#[async_trait]
impl AlertSink for FlakySink {
    fn name(&self) -> &str {
        self.inner.name()
    }

    async fn send(&self, batch: &[AlertRecord]) -> Result<(), SinkError> {
        let n = self.attempts.fetch_add(1, Ordering::SeqCst);
        if self.down.load(Ordering::SeqCst) {
            self.refused_while_down.fetch_add(1, Ordering::SeqCst);
            return Err(self.failure("the backend is down"));
        }
        let roll = mix(self.seed ^ mix(n)) % 100;
        if roll < 15 || (30..40).contains(&roll) && batch.len() <= 1 {
            self.refused.fetch_add(1, Ordering::SeqCst);
            return Err(self.failure("batch refused"));
        }
        if (30..40).contains(&roll) && batch.len() > 1 {
            // Takes the first half and says so: the forwarder must count
            // it delivered and send only the rest again, so these
            // versions may never turn up twice.
            let taken = batch.len() / 2;
            self.inner.send(&batch[..taken]).await?;
            self.partial.fetch_add(1, Ordering::SeqCst);
            return Err(self.failure("took part of the batch").with_accepted(taken));
        }
        self.inner.send(batch).await?;
        if roll < 30 {
            self.refused.fetch_add(1, Ordering::SeqCst);
            self.unacknowledged_batches.fetch_add(1, Ordering::SeqCst);
            self.unacknowledged
                .lock()
                .unwrap()
                .extend(batch.iter().filter(|r| !r.is_malformed()).map(version_of));
            return Err(self.failure("no acknowledgement"));
        }
        Ok(())
    }
}

fn version_of(r: &AlertRecord) -> Version {
    (
        r.tenant.id.to_string(),
        r.alert.id.clone().unwrap(),
        r.alert.last_update_time.unwrap().to_string(),
    )
}

/// The versions a sink got, less the quarantined alerts it was handed as
/// raw JSON (they have no typed view; `forwarder_quarantine` covers them).
fn versions(sink: &MemorySink) -> Vec<Version> {
    sink.records()
        .iter()
        .filter(|r| !r.is_malformed())
        .map(version_of)
        .collect()
}

fn duplicates(got: &[Version]) -> usize {
    got.len() - got.iter().collect::<BTreeSet<_>>().len()
}

/// What the simulator shows now: every visible version. The record the
/// forwarder would make of each (for the filter) is parsed once into
/// `records`.
fn truth(
    sim: &Simulator,
    tenants: &[Arc<TenantInfo>],
    records: &mut BTreeMap<Version, AlertRecord>,
) -> BTreeSet<Version> {
    let mut all = BTreeSet::new();
    for t in tenants {
        for a in sim.ground_truth(t.id.as_str()).unwrap() {
            let a: Value = a;
            let ts: Timestamp = a["lastUpdateTime"].as_str().unwrap().parse().unwrap();
            let version = (
                t.id.to_string(),
                a["id"].as_str().unwrap().to_owned(),
                ts.to_string(),
            );
            if !records.contains_key(&version) {
                let record = AlertRecord::from_json(t.clone(), &a.to_string()).unwrap();
                records.insert(version.clone(), record);
            }
            all.insert(version);
        }
    }
    all
}

/// No retries in the client: every fault ends its tenant's poll half-way,
/// which is the hard case for the checkpoints (retries would hide most
/// faults). A 429 could not be waited out anyway: the simulator's clock
/// stands still while a poll runs; the next poll, a few simulated minutes
/// on, picks up where this one stopped.
fn client_retry() -> RetryPolicy {
    RetryPolicy::never()
}

/// What each sink was owed: the versions visible at the end of a poll that
/// read its tenant completely and that this sink finished without error.
#[derive(Default)]
struct Owed {
    versions: BTreeSet<Version>,
}

impl Owed {
    fn record(
        &mut self,
        report: &CycleReport,
        sink: &str,
        now: &BTreeSet<Version>,
        records: &BTreeMap<Version, AlertRecord>,
        filter: Option<&Filter>,
    ) {
        for t in &report.tenants {
            let sink_ok = t.sinks.iter().any(|s| s.sink == sink && s.error.is_none());
            if t.error.is_some() || !sink_ok {
                continue;
            }
            let tenant = t.tenant.id.to_string();
            self.versions.extend(
                now.iter()
                    .filter(|v| v.0 == tenant && filter.is_none_or(|f| f.matches(&records[*v])))
                    .cloned(),
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_lost_or_misrouted_under_faults_flaky_sinks_and_late_updates() {
    let scale = scale();
    let sim = Simulator::builder()
        .tenants(scale.tenants)
        .alerts_per_tenant(scale.alerts)
        .seed(88)
        .manual_clock()
        .fault_rate(0.10)
        // Malformed alerts are a small share of the mixed faults: raise
        // it, so every run meets some (the run's timing decides which
        // calls fault).
        .fault(defender_siem::simulator::FaultKind::MalformedAlert, 0.05)
        .slow_response_delay(Duration::from_millis(2))
        // Three calls per simulated minute: a burst of polls within one
        // minute (see below) meets 429s.
        .rate_per_minute(3)
        .late_rate(0.2)
        .new_alerts_per_hour(30.0)
        .start()
        .await
        .unwrap();
    let tenants: Vec<Arc<TenantInfo>> = sim
        .tenants()
        .iter()
        .map(|t| {
            Arc::new(TenantInfo::new(
                TenantId::new(&t.id).unwrap(),
                t.name.clone(),
            ))
        })
        .collect();
    let tokens = sim_tokens(&sim);
    let client = DefenderClient::builder()
        .token_provider(tokens)
        .endpoints(sim.endpoints())
        .retry_policy(client_retry())
        .rate_limits(RateLimits::unlimited())
        .build()
        .unwrap();

    let healthy = Arc::new(MemorySink::named("healthy"));
    let high_filter = Filter::new().min_severity(Severity::High);
    let high = Arc::new(MemorySink::named("high"));
    let flaky = Arc::new(FlakySink::new("flaky", 88));
    let set_aside: Arc<Mutex<Vec<SetAside>>> = Arc::default();
    let hook_log = set_aside.clone();
    let forwarder = Forwarder::builder()
        .source(Arc::new(client))
        .tenants(tenants.iter().map(|t| (**t).clone()))
        .sink(healthy.clone())
        .sink(Arc::new(high_filter.clone().wrap(high.clone())))
        .sink(flaky.clone())
        .checkpoint_store(Arc::new(MemoryCheckpointStore::new()))
        // Longer than the simulator's latest arrival (15 minutes).
        .overlap(Duration::from_secs(20 * 60))
        // Small pages and batches: many calls and many batches per poll.
        .page_size(scale.page_size)
        .batch_size(10)
        .sink_retry(
            RetryPolicy::default()
                .max_attempts(2)
                .base_delay(Duration::from_millis(1))
                .max_delay(Duration::from_millis(2)),
        )
        .start_from("2000-01-01T00:00:00Z".parse().unwrap())
        .on_malformed(move |tenant, bad| {
            hook_log
                .lock()
                .unwrap()
                .push((tenant.id.to_string(), bad.id().map(str::to_owned)))
        })
        .build()
        .unwrap();

    let (mut owed_healthy, mut owed_high, mut owed_flaky) =
        (Owed::default(), Owed::default(), Owed::default());
    let mut seen_anywhere: BTreeMap<Version, AlertRecord> = BTreeMap::new();
    // Versions the simulator showed while a malformed copy was set aside.
    let mut malformed_versions: BTreeSet<Version> = BTreeSet::new();
    let mut failed_polls = 0;
    let mut step = 0;
    let mut drain_polls = 0;
    let mut caught_up = BTreeSet::new();
    loop {
        let draining = step >= scale.steps;
        flaky
            .down
            .store(scale.outage.contains(&step), Ordering::SeqCst);
        let report = forwarder.run_once().await;
        let now = truth(&sim, &tenants, &mut seen_anywhere);
        for (tenant, id) in set_aside.lock().unwrap().drain(..) {
            let id = id.expect("a set-aside alert names its id");
            malformed_versions.extend(now.iter().filter(|v| v.0 == tenant && v.1 == id).cloned());
        }
        owed_healthy.record(&report, "healthy", &now, &seen_anywhere, None);
        owed_high.record(&report, "high", &now, &seen_anywhere, Some(&high_filter));
        owed_flaky.record(&report, "flaky", &now, &seen_anywhere, None);
        failed_polls += report.tenants.iter().filter(|t| t.error.is_some()).count();
        if draining {
            // Poll until every tenant had a poll that went through clean
            // for every sink; the clock moves a minute at a time, so that
            // 429s pass.
            drain_polls += 1;
            caught_up.extend(
                report
                    .tenants
                    .iter()
                    .filter(|t| t.is_success() && t.malformed == 0)
                    .map(|t| t.tenant.id.to_string()),
            );
            if caught_up.len() == tenants.len() || drain_polls == 100 {
                break;
            }
            sim.advance(Duration::from_secs(60));
        } else if step % 12 < 8 {
            sim.advance(Duration::from_secs(5 * 60));
        }
        // Otherwise a burst: four polls within the same simulated minute
        // spend the tenants' budgets and meet 429s.
        step += 1;
    }

    let (h, hi, f) = (versions(&healthy), versions(&high), versions(&flaky.inner));
    let delivered_somewhere: BTreeSet<&Version> = h.iter().chain(&f).collect();
    let lost = |owed: &Owed, got: &[Version]| -> Vec<Version> {
        let got: BTreeSet<&Version> = got.iter().collect();
        owed.versions
            .iter()
            .filter(|v| !got.contains(v) && !malformed_versions.contains(*v))
            .cloned()
            .collect()
    };
    let (lost_h, lost_hi, lost_f) = (
        lost(&owed_healthy, &h),
        lost(&owed_high, &hi),
        lost(&owed_flaky, &f),
    );
    let set_aside_never_delivered: Vec<&Version> = malformed_versions
        .iter()
        .filter(|v| !delivered_somewhere.contains(v))
        .collect();
    let never_observable = seen_anywhere
        .keys()
        .filter(|v| !owed_healthy.versions.contains(*v))
        .count();
    let unacknowledged = flaky.unacknowledged.lock().unwrap().clone();
    let stats = sim.stats();

    println!(
        "chaos: {} tenants, {step} polls ({drain_polls} to drain), {} alert versions shown, \
         {} owed to healthy, {} to high, {} to flaky, {never_observable} superseded before a \
         clean poll could read them",
        scale.tenants,
        seen_anywhere.len(),
        owed_healthy.versions.len(),
        owed_high.versions.len(),
        owed_flaky.versions.len(),
    );
    println!(
        "chaos: simulator {} requests, {} throttled (429), {} faults injected, {} token \
         errors; {failed_polls} tenant polls ended early",
        stats.requests,
        stats.throttled,
        stats.faults,
        stats.tenants.values().map(|t| t.token_errors).sum::<u64>(),
    );
    println!(
        "chaos: lost healthy {} high {} flaky {}; duplicates healthy {} high {} flaky {}; \
         flaky refused {} batches ({} after storing them, {} versions), took {} in part and refused {} while down",
        lost_h.len(),
        lost_hi.len(),
        lost_f.len(),
        duplicates(&h),
        duplicates(&hi),
        duplicates(&f),
        flaky.refused.load(Ordering::SeqCst),
        flaky.unacknowledged_batches.load(Ordering::SeqCst),
        unacknowledged.len(),
        flaky.partial.load(Ordering::SeqCst),
        flaky.refused_while_down.load(Ordering::SeqCst),
    );
    println!(
        "chaos: {} versions set aside as malformed, {} of them never delivered (older than \
         the overlap when their page broke)",
        malformed_versions.len(),
        set_aside_never_delivered.len(),
    );

    assert_eq!(
        caught_up.len(),
        tenants.len(),
        "the forwarder never caught up"
    );
    // The chaos really happened.
    assert!(stats.throttled > 0, "no 429 was served");
    assert!(stats.faults > 0 && failed_polls > 0);
    assert!(!malformed_versions.is_empty(), "no malformed alert was met");
    assert!(flaky.refused_while_down.load(Ordering::SeqCst) > 0);
    assert!(
        flaky.partial.load(Ordering::SeqCst) > 0,
        "no partial acknowledgement happened"
    );
    assert!(!unacknowledged.is_empty());
    assert!(seen_anywhere.len() > scale.tenants * scale.alerts);

    // Nothing lost.
    assert!(lost_h.is_empty(), "healthy lost {lost_h:?}");
    assert!(lost_hi.is_empty(), "high lost {lost_hi:?}");
    assert!(lost_f.is_empty(), "flaky lost {lost_f:?}");

    // Nothing delivered to the wrong place: every delivered version is one
    // the simulator showed for that very tenant, and the High sink got only
    // what its filter wants.
    for v in h.iter().chain(&hi).chain(&f) {
        assert!(seen_anywhere.contains_key(v), "{v:?} was never shown");
    }
    for r in high.records() {
        assert!(high_filter.matches(&r));
    }
    assert!(!hi.is_empty() && hi.len() < h.len());

    // Duplicates: none on the healthy sinks; on the flaky one, only
    // versions it stored without acknowledging, at most once per time.
    assert_eq!(duplicates(&h), 0);
    assert_eq!(duplicates(&hi), 0);
    assert!(duplicates(&f) <= unacknowledged.len());
    let mut extra: BTreeMap<&Version, usize> = BTreeMap::new();
    for v in &f {
        *extra.entry(v).or_default() += 1;
    }
    let mut allowed: BTreeMap<&Version, usize> = BTreeMap::new();
    for v in &unacknowledged {
        *allowed.entry(v).or_default() += 1;
    }
    for (v, n) in extra {
        assert!(
            n - 1 <= allowed.get(v).copied().unwrap_or(0),
            "{v:?} delivered {n} times"
        );
    }
    sim.shutdown().await;
}

/// An [`AlertSource`] that moves the simulator's clock a minute after
/// every `every` alerts it yields: the data changes while a poll pages
/// through it, as it does on a busy tenant during a long backfill. Updated
/// alerts move to the end of the list, shifting the rest back under
/// `$skip`: without overlapping pages some unchanged alerts were jumped
/// over and never delivered.
#[derive(Debug)]
struct Churning {
    client: DefenderClient,
    clock: defender_siem::simulator::SimClock,
    every: usize,
    active: Arc<AtomicBool>,
}

impl defender_siem::forward::AlertSource for Churning {
    fn alerts_since<'a>(
        &'a self,
        tenant: &'a TenantId,
        since: Timestamp,
        page_size: u32,
    ) -> defender_siem::forward::SourceStream<'a> {
        use futures_util::StreamExt as _;
        let mut n = 0;
        Box::pin(
            self.client
                .alerts_since(tenant, since, page_size)
                .inspect(move |_| {
                    n += 1;
                    if n % self.every == 0 && self.active.load(Ordering::SeqCst) {
                        self.clock.advance(Duration::from_secs(60));
                    }
                }),
        )
    }
}

#[tokio::test]
async fn versions_are_not_skipped_when_alerts_change_while_a_poll_pages() {
    let sim = Simulator::builder()
        .tenants(1)
        .alerts_per_tenant(300)
        .seed(5)
        .manual_clock()
        .no_throttling()
        .late_rate(0.0)
        .new_alerts_per_hour(120.0)
        .start()
        .await
        .unwrap();
    let client = sim_support::sim_client(&sim);
    let tenant = Arc::new(TenantInfo::new(
        TenantId::new(&sim.tenants()[0].id).unwrap(),
        "churn",
    ));
    let sink = Arc::new(MemorySink::named("memory"));
    let churn = Arc::new(AtomicBool::new(true));
    let forwarder = Forwarder::builder()
        .source(Arc::new(Churning {
            client,
            clock: sim.clock().clone(),
            every: 7,
            active: churn.clone(),
        }))
        .tenant((*tenant).clone())
        .sink(sink.clone())
        .checkpoint_store(Arc::new(MemoryCheckpointStore::new()))
        .overlap(Duration::from_secs(20 * 60))
        .page_size(25)
        .batch_size(10)
        .start_from("2000-01-01T00:00:00Z".parse().unwrap())
        .build()
        .unwrap();
    for _ in 0..6 {
        let report = forwarder.run_once().await;
        assert!(report.is_success(), "{report:?}");
    }
    // Quiet polls, the clock standing still: now every version the
    // simulator shows must have been delivered.
    churn.store(false, Ordering::SeqCst);
    for _ in 0..2 {
        assert!(forwarder.run_once().await.is_success());
    }
    let owed = truth(&sim, std::slice::from_ref(&tenant), &mut BTreeMap::new());
    let got: BTreeSet<Version> = versions(&sink).into_iter().collect();
    let lost: Vec<&Version> = owed.iter().filter(|v| !got.contains(v)).collect();
    println!("churn: {} versions owed, {} lost", owed.len(), lost.len());
    assert!(lost.is_empty(), "{} skipped: {lost:?}", lost.len());
    sim.shutdown().await;
}
