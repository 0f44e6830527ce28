//! Property tests of de-duplication and checkpoints:
//!
//! * [`SeenWindow`] behaves like a plain set of versions cut at a moving
//!   cutoff, and a [`Checkpoint`] never forgets a version inside the overlap
//!   (`lastUpdateTime ≥ watermark − overlap`, where the next query starts);
//! * driving the [`Forwarder`] with a fake source whose alerts are updated
//!   and arrive late (within the overlap), and a sink that refuses chosen
//!   batches: the stored watermark never passes an unacknowledged version,
//!   every unacknowledged version is still inside the next query, no
//!   acknowledged version is delivered twice, and once the sink is healthy
//!   every current version is delivered.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use defender_siem::TenantId;
use defender_siem::TenantInfo;
use defender_siem::checkpoint::{
    Checkpoint, CheckpointKey, CheckpointStore, MemoryCheckpointStore, SeenWindow,
};
use defender_siem::forward::{AlertSource, Forwarder, SourceStream};
use defender_siem::models::{ParsedAlert, Timestamp};
use defender_siem::retry::RetryPolicy;
use defender_siem::sink::{AlertRecord, AlertSink, SinkError};
use proptest::prelude::*;
use serde_json::value::RawValue;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::with_cases(cases)
    }
}

/// Minute `m` after a fixed origin.
fn at(m: i64) -> Timestamp {
    let origin: Timestamp = "2026-11-01T00:00:00Z".parse().unwrap();
    Timestamp::from_datetime(origin.as_datetime() + chrono::Duration::minutes(m))
}

// ------------------------------------------------------------ SeenWindow

#[derive(Debug, Clone)]
enum WindowOp {
    Insert(u8, i64),
    ForgetBefore(i64),
}

fn window_op() -> impl Strategy<Value = WindowOp> {
    prop_oneof![
        4 => (0u8..6, 0i64..40).prop_map(|(id, t)| WindowOp::Insert(id, t)),
        1 => (0i64..40).prop_map(WindowOp::ForgetBefore),
    ]
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn seen_window_is_a_set_cut_at_the_cutoff(ops in prop::collection::vec(window_op(), 0..60)) {
        let mut window = SeenWindow::default();
        let mut model: BTreeSet<(i64, String)> = BTreeSet::new();
        for op in ops {
            match op {
                WindowOp::Insert(id, t) => {
                    let id = format!("da{id}");
                    let fresh = model.insert((t, id.clone()));
                    prop_assert_eq!(window.insert(&id, at(t)), fresh);
                }
                WindowOp::ForgetBefore(cutoff) => {
                    window.forget_before(at(cutoff));
                    model.retain(|(t, _)| *t >= cutoff);
                }
            }
            prop_assert_eq!(window.len(), model.len());
            for id in 0..6 {
                for t in 0..40 {
                    let id = format!("da{id}");
                    prop_assert_eq!(window.contains(&id, at(t)), model.contains(&(t, id.clone())));
                }
            }
        }
        // The on-disk form reads back to the same window.
        let json = serde_json::to_string(&window).unwrap();
        prop_assert_eq!(serde_json::from_str::<SeenWindow>(&json).unwrap(), window);
    }

    #[test]
    fn a_checkpoint_never_forgets_a_version_inside_the_overlap(
        steps in prop::collection::vec(((0u8..8, 0i64..120), any::<bool>()), 1..80),
        overlap in 1i64..30,
    ) {
        let overlap = chrono::Duration::minutes(overlap);
        let mut cp = Checkpoint::default();
        let mut recorded: BTreeSet<(i64, String)> = BTreeSet::new();
        for ((id, t), prune) in steps {
            let id = format!("da{id}");
            cp.record(&id, at(t));
            recorded.insert((t, id));
            if prune {
                cp.prune(overlap);
            }
            let from = cp.query_from(overlap).unwrap();
            for (t, id) in &recorded {
                if at(*t) >= from {
                    prop_assert!(cp.seen.contains(id, at(*t)), "forgot {} at {} (query from {})", id, t, from);
                }
            }
        }
        // Memory is bounded: after a prune nothing older than the next
        // query's start is kept.
        cp.prune(overlap);
        let from = cp.query_from(overlap).unwrap();
        prop_assert!(cp.seen.iter().all(|(_, t)| t >= from));
    }
}

// ------------------------------------------------------------ Forwarder

/// One version of an alert.
type Version = (String, i64);

/// The alerts the API shows now: the current version of each.
#[derive(Debug, Default)]
struct FakeSource {
    alerts: Mutex<BTreeMap<String, i64>>,
}

impl FakeSource {
    fn set(&self, id: &str, minute: i64) {
        self.alerts.lock().unwrap().insert(id.to_owned(), minute);
    }

    fn current(&self) -> Vec<Version> {
        let alerts = self.alerts.lock().unwrap();
        alerts.iter().map(|(id, t)| (id.clone(), *t)).collect()
    }
}

fn parsed(id: &str, minute: i64) -> ParsedAlert {
    let json = serde_json::json!({
        "id": id,
        "severity": "High",
        "lastUpdateTime": at(minute).to_string(),
    });
    let raw = RawValue::from_string(json.to_string()).unwrap();
    ParsedAlert::from_raw(0, &raw).unwrap()
}

impl AlertSource for FakeSource {
    fn alerts_since<'a>(
        &'a self,
        _tenant: &'a TenantId,
        since: Timestamp,
        _page_size: u32,
    ) -> SourceStream<'a> {
        // The API promises no order: newest first here.
        let mut shown: Vec<Version> = self
            .current()
            .into_iter()
            .filter(|(_, t)| at(*t) >= since)
            .collect();
        shown.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let items: Vec<_> = shown.iter().map(|(id, t)| Ok(parsed(id, *t))).collect();
        Box::pin(futures_util::stream::iter(items))
    }
}

/// A sink that refuses the batches whose number (from 0) is in `refuse`,
/// and remembers every version it acknowledged, in order.
#[derive(Debug, Default)]
struct ChoosySink {
    refuse: Mutex<BTreeSet<usize>>,
    calls: Mutex<usize>,
    acked: Mutex<Vec<Version>>,
}

#[async_trait]
impl AlertSink for ChoosySink {
    fn name(&self) -> &str {
        "choosy"
    }

    async fn send(&self, batch: &[AlertRecord]) -> Result<(), SinkError> {
        let call = {
            let mut calls = self.calls.lock().unwrap();
            *calls += 1;
            *calls - 1
        };
        if self.refuse.lock().unwrap().contains(&call) {
            return Err(SinkError::config("choosy", format!("refused batch {call}")));
        }
        let mut acked = self.acked.lock().unwrap();
        for record in batch {
            let ts = record.alert.last_update_time.unwrap();
            let minute = (ts.as_datetime() - at(0).as_datetime()).num_minutes();
            acked.push((record.alert_id().to_owned(), minute));
        }
        Ok(())
    }
}

#[derive(Debug, Clone)]
enum Change {
    /// Alert `n` is updated now (or created, when new).
    Update(u8),
    /// A new alert becomes visible `late` minutes after its lastUpdateTime
    /// (less than the overlap).
    Late(u8, i64),
}

#[derive(Debug, Clone)]
struct Step {
    advance: i64,
    changes: Vec<Change>,
    /// Which batches of this poll the sink refuses.
    refuse: Vec<usize>,
}

const OVERLAP_MINUTES: i64 = 10;

fn step() -> impl Strategy<Value = Step> {
    let change = prop_oneof![
        3 => (0u8..12).prop_map(Change::Update),
        1 => (12u8..40, 0i64..OVERLAP_MINUTES).prop_map(|(n, late)| Change::Late(n, late)),
    ];
    (
        1i64..6,
        prop::collection::vec(change, 0..6),
        prop::collection::vec(0usize..4, 0..3),
    )
        .prop_map(|(advance, changes, refuse)| Step {
            advance,
            changes,
            refuse,
        })
}

fn run_scenario(steps: Vec<Step>, batch_size: usize) -> Result<(), TestCaseError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let source = Arc::new(FakeSource::default());
        let sink = Arc::new(ChoosySink::default());
        let store = Arc::new(MemoryCheckpointStore::new());
        let tenant = TenantId::new("contoso.onmicrosoft.com").unwrap();
        let key = CheckpointKey::new(tenant.clone(), "choosy").unwrap();
        let forwarder = Forwarder::builder()
            .source(source.clone())
            .tenant(TenantInfo::new(tenant, "Contoso"))
            .sink(sink.clone())
            .checkpoint_store(store.clone())
            .overlap(Duration::from_secs(OVERLAP_MINUTES as u64 * 60))
            .batch_size(batch_size)
            .sink_retry(RetryPolicy::never())
            .start_from(at(-1000))
            .build()
            .unwrap();

        let mut now = 0;
        // The stored watermark when each version became visible.
        let mut appeared: BTreeMap<Version, Option<Timestamp>> = BTreeMap::new();
        let watermark = |cp: &Option<Checkpoint>| cp.as_ref().and_then(|c| c.watermark);
        for step in steps {
            now += step.advance;
            let before = watermark(&store.load(&key).await.unwrap());
            for change in step.changes {
                let (id, minute) = match change {
                    Change::Update(n) => (format!("da{n}"), now),
                    Change::Late(n, late) => (format!("da{n}"), now - late),
                };
                // An update never goes back in time.
                let current = source.alerts.lock().unwrap().get(&id).copied();
                let minute = current.map_or(minute, |c| minute.max(c));
                source.set(&id, minute);
                appeared.entry((id, minute)).or_insert(before);
            }
            let first_call = *sink.calls.lock().unwrap();
            *sink.refuse.lock().unwrap() = step.refuse.iter().map(|b| first_call + b).collect();
            forwarder.run_once().await;

            let cp = store.load(&key).await.unwrap();
            let acked: Vec<Version> = sink.acked.lock().unwrap().clone();
            let acked_set: BTreeSet<&Version> = acked.iter().collect();
            prop_assert_eq!(
                acked_set.len(),
                acked.len(),
                "a version was delivered twice: {:?}",
                acked
            );
            let mark = watermark(&cp);
            let from = cp
                .as_ref()
                .and_then(|c| c.query_from(chrono::Duration::minutes(OVERLAP_MINUTES)));
            for version in source.current() {
                if acked_set.contains(&version) {
                    continue;
                }
                let ts = at(version.1);
                // Still inside the next query: it will be fetched again.
                prop_assert!(
                    from.is_none_or(|f| f <= ts),
                    "{:?} is below the next query ({:?})",
                    version,
                    from
                );
                // The watermark did not pass it (a late version may sit
                // below the watermark it arrived under, never below a
                // later one).
                let floor = appeared
                    .get(&version)
                    .copied()
                    .flatten()
                    .map_or(ts, |w| w.max(ts));
                prop_assert!(
                    mark.is_none_or(|m| m <= floor),
                    "watermark {:?} passed unacknowledged {:?}",
                    mark,
                    version
                );
            }
        }

        // A healthy sink catches up: every current version delivered.
        sink.refuse.lock().unwrap().clear();
        forwarder.run_once().await;
        let acked: BTreeSet<Version> = sink.acked.lock().unwrap().iter().cloned().collect();
        for version in source.current() {
            prop_assert!(acked.contains(&version), "{:?} was lost", version);
        }
        Ok(())
    })
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn the_checkpoint_never_moves_past_an_unacknowledged_batch(
        steps in prop::collection::vec(step(), 1..12),
        batch_size in 1usize..5,
    ) {
        run_scenario(steps, batch_size)?;
    }
}
