//! The forwarder's side of the delivery contract, against the simulator:
//! a partial acknowledgement is saved before the rest is retried, and a
//! filter's drops are reported apart from what reached the sink.

use crate::sim_support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use defender_siem::TenantId;
use defender_siem::checkpoint::{CheckpointKey, CheckpointStore, MemoryCheckpointStore};
use defender_siem::forward::Forwarder;
use defender_siem::models::Severity;
use defender_siem::retry::RetryPolicy;
use defender_siem::simulator::Simulator;
use defender_siem::sink::{AlertRecord, AlertSink, Filter, MemorySink, SinkError};
use sim_support::{quiet, sim_client, sim_tenants};

fn builder(
    sim: &Simulator,
    store: Arc<dyn CheckpointStore>,
) -> defender_siem::forward::ForwarderBuilder {
    Forwarder::builder()
        .source(Arc::new(sim_client(sim)))
        .tenants(sim_tenants(sim))
        .checkpoint_store(store)
        .batch_size(20)
        .page_size(100)
        .sink_retry(RetryPolicy::default().base_delay(std::time::Duration::from_millis(1)))
        .start_from("2000-01-01T00:00:00Z".parse().unwrap())
}

/// A sink that, on every send after the first, reads the checkpoint store
/// and notes how many versions it already holds as delivered.
#[derive(Debug)]
struct Inspecting {
    memory: MemorySink,
    store: Arc<MemoryCheckpointStore>,
    key: CheckpointKey,
    seen_at_send: Mutex<Vec<usize>>,
}

#[async_trait]
impl AlertSink for Inspecting {
    fn name(&self) -> &str {
        "inspecting"
    }
    async fn send(&self, batch: &[AlertRecord]) -> Result<(), SinkError> {
        let saved = self
            .store
            .load(&self.key)
            .await
            .unwrap()
            .unwrap_or_default();
        self.seen_at_send.lock().unwrap().push(saved.seen.len());
        self.memory.send(batch).await
    }
}

#[tokio::test]
async fn a_partial_acknowledgement_is_saved_before_the_rest_is_retried() {
    let sim = quiet()
        .tenants(1)
        .alerts_per_tenant(20)
        .seed(3)
        .start()
        .await
        .unwrap();
    let store = Arc::new(MemoryCheckpointStore::new());
    let tenant = TenantId::new(&sim.tenants()[0].id).unwrap();
    let memory = MemorySink::new();
    // The backend takes 7 of the first batch of 20, then fails.
    memory.fail_after_records(7);
    let sink = Arc::new(Inspecting {
        memory: memory.clone(),
        store: store.clone(),
        key: CheckpointKey::new(tenant, "inspecting").unwrap(),
        seen_at_send: Mutex::new(Vec::new()),
    });
    let fwd = builder(&sim, store.clone())
        .sink(sink.clone())
        .build()
        .unwrap();
    let report = fwd.run_once().await;
    assert!(report.is_success(), "{report}");
    // First send: nothing saved yet. The retry (of the other 13 only)
    // found the 7 accepted versions already saved.
    assert_eq!(*sink.seen_at_send.lock().unwrap(), [0, 7]);
    let ids = memory.alert_ids();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        (ids.len(), unique.len()),
        (20, 20),
        "each record exactly once"
    );
    assert_eq!(memory.attempts(), 2);
    assert_eq!(report.forwarded(), 20);
    sim.shutdown().await;
}

#[tokio::test]
async fn filtered_out_records_are_reported_apart_from_delivered_ones() {
    let sim = quiet()
        .tenants(3)
        .alerts_per_tenant(120)
        .seed(11)
        .start()
        .await
        .unwrap();
    let memory = MemorySink::named("high");
    let sink = Arc::new(
        Filter::new()
            .severities([Severity::High, Severity::Medium])
            .wrap(memory.clone()),
    );
    let fwd = builder(&sim, Arc::new(MemoryCheckpointStore::new()))
        .sink(sink)
        .build()
        .unwrap();
    let report = fwd.run_once().await;
    assert!(report.is_success(), "{report}");
    let mut received: BTreeMap<String, u64> = BTreeMap::new();
    for r in memory.records() {
        *received.entry(r.tenant.id.to_string()).or_default() += 1;
    }
    let (mut filtered, mut fetched) = (0, 0);
    for t in &report.tenants {
        let s = &t.sinks[0];
        assert_eq!(
            s.forwarded + s.filtered_out + s.duplicates_dropped,
            t.fetched,
            "{t}"
        );
        assert_eq!(
            s.forwarded,
            received.get(t.tenant.id.as_str()).copied().unwrap_or(0),
            "{t}"
        );
        filtered += s.filtered_out;
        fetched += t.fetched;
    }
    let share = filtered as f64 / fetched as f64;
    assert!(
        (0.2..0.8).contains(&share),
        "filter dropped {share:.2} of {fetched}"
    );
    assert_eq!(report.filtered_out(), filtered);
    assert_eq!(report.forwarded(), memory.records().len() as u64);
    // The status board agrees, and a second poll neither re-sends nor
    // re-counts what the filter dropped as filtered.
    let again = fwd.run_once().await;
    assert_eq!((again.forwarded(), again.filtered_out()), (0, 0), "{again}");
    let status = fwd.status();
    let board: u64 = status.iter().map(|t| t.sinks["high"].filtered_out).sum();
    assert_eq!(board, filtered);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(
        json["tenants"][0]["sinks"][0]["filtered_out"],
        report.tenants[0].sinks[0].filtered_out
    );
    sim.shutdown().await;
}
