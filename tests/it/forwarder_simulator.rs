//! The forwarder against the simulator: many simulated minutes of new,
//! updated and late alerts; restarts from file checkpoints; a failing sink
//! next to a healthy one; a tenant with a bad secret next to good ones.

use crate::sim_support;

use sim_support::sim_tokens;

use crate::net;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use defender_siem::Secret;
use defender_siem::auth::{ClientSecretCredential, PerTenantTokenProvider, TokenSource};
use defender_siem::checkpoint::{CheckpointStore, FileCheckpointStore, MemoryCheckpointStore};
use defender_siem::client::{DefenderClient, RateLimits};
use defender_siem::forward::Forwarder;
use defender_siem::models::Timestamp;
use defender_siem::retry::RetryPolicy;
use defender_siem::simulator::Simulator;
use defender_siem::sink::{InjectedFailure, MemorySink};
use serde_json::Value;

type Version = (String, String, String); // tenant, alert id, lastUpdateTime

/// The versions a memory sink accepted.
fn versions(sink: &MemorySink) -> Vec<Version> {
    sink.records()
        .iter()
        .map(|r| {
            (
                r.tenant.id.to_string(),
                r.alert.id.clone().unwrap(),
                r.alert.last_update_time.unwrap().to_string(),
            )
        })
        .collect()
}

fn client(sim: &Simulator, tokens: Arc<dyn defender_siem::auth::TokenProvider>) -> DefenderClient {
    DefenderClient::builder()
        .token_provider(tokens)
        .endpoints(sim.endpoints())
        .retry_policy(net::fast_retry())
        .rate_limits(RateLimits::unlimited())
        .user_agent("MdatpPartner-Contoso-AlertBridge/1.0.0")
        .build()
        .unwrap()
}

use sim_support::sim_tenants as tenants;

/// Every version the simulator shows now, for every tenant.
fn truth(sim: &Simulator) -> BTreeSet<Version> {
    let mut all = BTreeSet::new();
    for t in sim.tenants() {
        for a in sim.ground_truth(&t.id).unwrap() {
            let a: Value = a;
            let ts: Timestamp = a["lastUpdateTime"].as_str().unwrap().parse().unwrap();
            all.insert((
                t.id.clone(),
                a["id"].as_str().unwrap().to_owned(),
                ts.to_string(),
            ));
        }
    }
    all
}

fn forwarder(
    sim: &Simulator,
    sinks: &[Arc<MemorySink>],
    store: Arc<dyn CheckpointStore>,
) -> Forwarder {
    let mut builder = Forwarder::builder()
        .source(Arc::new(client(sim, sim_tokens(sim))))
        .tenants(tenants(sim))
        .checkpoint_store(store)
        // Longer than the simulator's latest arrival (15 minutes).
        .overlap(Duration::from_secs(20 * 60))
        .batch_size(25)
        .page_size(100)
        .sink_retry(RetryPolicy::never())
        .start_from("2000-01-01T00:00:00Z".parse().unwrap());
    for s in sinks {
        builder = builder.sink(s.clone());
    }
    builder.build().unwrap()
}

async fn simulator(seed: u64) -> Simulator {
    Simulator::builder()
        .tenants(3)
        .alerts_per_tenant(60)
        .seed(seed)
        .manual_clock()
        .no_throttling()
        .late_rate(0.2)
        .new_alerts_per_hour(30.0)
        .start()
        .await
        .unwrap()
}

fn memory_sink(name: &str) -> Arc<MemorySink> {
    Arc::new(MemorySink::named(name))
}

fn as_set(versions: &[Version]) -> BTreeSet<Version> {
    versions.iter().cloned().collect()
}

#[tokio::test]
async fn every_version_is_delivered_exactly_once_over_simulated_hours() {
    let sim = simulator(21).await;
    let sink = memory_sink("memory");
    let fwd = forwarder(
        &sim,
        std::slice::from_ref(&sink),
        Arc::new(MemoryCheckpointStore::new()),
    );
    let mut expected = BTreeSet::new();
    for _ in 0..36 {
        let report = fwd.run_once().await;
        assert!(report.is_success(), "{report:?}");
        expected.extend(truth(&sim));
        sim.advance(Duration::from_secs(5 * 60));
    }
    let got = versions(&sink);
    assert_eq!(
        got.len(),
        as_set(&got).len(),
        "a version was delivered twice"
    );
    assert_eq!(
        as_set(&got),
        expected,
        "delivered versions differ from the ground truth"
    );
    let updated = expected
        .iter()
        .map(|(t, id, _)| (t, id))
        .collect::<BTreeSet<_>>()
        .len();
    assert!(
        expected.len() > updated,
        "updates must show up as new versions"
    );
    let status = fwd.status();
    assert_eq!(status.len(), 3);
    assert!(status.iter().all(|t| t.is_healthy()));
    assert!(
        status
            .iter()
            .any(|t| t.sinks["memory"].duplicates_dropped > 0)
    );
    println!("versions {} alerts {updated}", expected.len());
    sim.shutdown().await;
}

#[tokio::test]
async fn restart_from_file_checkpoints_loses_and_repeats_nothing() {
    let sim = simulator(22).await;
    let dir = tempfile::tempdir().unwrap();
    let sink = memory_sink("archive");
    let mut expected = BTreeSet::new();
    for round in 0..4 {
        // A new forwarder each round, as after a restart.
        let store = Arc::new(FileCheckpointStore::new(dir.path()).unwrap());
        let fwd = forwarder(&sim, std::slice::from_ref(&sink), store);
        for _ in 0..3 {
            assert!(fwd.run_once().await.is_success(), "round {round}");
            expected.extend(truth(&sim));
            sim.advance(Duration::from_secs(10 * 60));
        }
    }
    let got = versions(&sink);
    assert_eq!(got.len(), as_set(&got).len(), "duplicates after restarts");
    assert_eq!(as_set(&got), expected);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_failing_sink_neither_blocks_nor_duplicates_the_healthy_one() {
    let sim = simulator(23).await;
    let healthy = memory_sink("healthy");
    let flaky = memory_sink("flaky");
    let fwd = forwarder(
        &sim,
        &[healthy.clone(), flaky.clone()],
        Arc::new(MemoryCheckpointStore::new()),
    );
    let mut expected = BTreeSet::new();
    let mut down_sends = 0;
    for step in 0..12 {
        if step == 3 {
            flaky.fail_always(InjectedFailure::retryable());
            down_sends = flaky.attempts();
        }
        if step == 7 {
            flaky.recover();
            down_sends = flaky.attempts() - down_sends;
        }
        let report = fwd.run_once().await;
        for t in &report.tenants {
            assert!(t.error.is_none());
            let flaky_failed = t
                .sinks
                .iter()
                .any(|s| s.sink == "flaky" && s.error.is_some());
            assert_eq!(
                flaky_failed,
                (3..7).contains(&step) && t.fetched > 0,
                "step {step}"
            );
            assert!(
                t.sinks
                    .iter()
                    .any(|s| s.sink == "healthy" && s.error.is_none())
            );
        }
        expected.extend(truth(&sim));
        sim.advance(Duration::from_secs(5 * 60));
    }
    let (h, f) = (versions(&healthy), versions(&flaky));
    assert_eq!(h.len(), as_set(&h).len());
    assert_eq!(as_set(&h), expected);
    // While it was down (4 polls) the sink was found down once for all
    // tenants: in the first poll each of the 3 tenants (polled at the same
    // time, one attempt each under `RetryPolicy::never`) at most, then the
    // shared breaker was open and each later poll probed it once.
    assert!(
        (4..=3 + 3).contains(&down_sends),
        "sends to the down sink: {down_sends}"
    );
    // The flaky sink caught up once it came back, without duplicates
    // (its refused batches were never accepted).
    assert_eq!(f.len(), as_set(&f).len());
    assert_eq!(as_set(&f), expected);
    let status = fwd.status();
    assert!(status.iter().all(|t| t.sinks["flaky"].last_error.is_none()));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_tenant_with_a_bad_secret_reports_aadsts7000215_and_the_others_go_on() {
    let sim = simulator(24).await;
    let all = tenants(&sim);
    let wrong = ClientSecretCredential::new(sim.client_id(), Secret::new("not-the-secret"))
        .unwrap()
        .with_endpoints(&sim.endpoints())
        .cached();
    let tokens = PerTenantTokenProvider::new()
        .with_tenant(all[1].id.clone(), Arc::new(wrong))
        .with_fallback(sim_tokens(&sim));
    let sink = memory_sink("memory");
    let fwd = Forwarder::builder()
        .source(Arc::new(client(&sim, Arc::new(tokens))))
        .tenants(all.clone())
        .sink(sink.clone())
        .checkpoint_store(Arc::new(MemoryCheckpointStore::new()))
        .start_from("2000-01-01T00:00:00Z".parse().unwrap())
        .build()
        .unwrap();
    let report = fwd.run_once().await;
    assert!(!report.is_success());
    let bad = &report.tenants[1];
    let error = bad.error.as_ref().expect("the bad tenant reports an error");
    assert_eq!(error.code.as_deref(), Some("AADSTS7000215"), "{error:?}");
    assert!(report.tenants[0].is_success() && report.tenants[2].is_success());
    let delivered: BTreeSet<String> = versions(&sink).into_iter().map(|v| v.0).collect();
    assert_eq!(
        delivered,
        BTreeSet::from([all[0].id.to_string(), all[2].id.to_string()])
    );
    let status = fwd.status();
    assert_eq!(
        status[1].last_error.as_ref().unwrap().code.as_deref(),
        Some("AADSTS7000215")
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_corrupt_checkpoint_stops_only_its_pair() {
    let sim = simulator(25).await;
    let dir = tempfile::tempdir().unwrap();
    let sink = memory_sink("archive");
    let store = Arc::new(FileCheckpointStore::new(dir.path()).unwrap());
    let fwd = forwarder(&sim, std::slice::from_ref(&sink), store.clone());
    assert!(fwd.run_once().await.is_success());
    let before = versions(&sink).len();
    let victim = tenants(&sim)[0].id.clone();
    let key = defender_siem::checkpoint::CheckpointKey::new(victim.clone(), "archive").unwrap();
    std::fs::write(store.path_of(&key), b"{ not json").unwrap();
    sim.advance(Duration::from_secs(3600));
    let report = fwd.run_once().await;
    let hit = report
        .tenants
        .iter()
        .find(|t| t.tenant.id == victim)
        .unwrap();
    let error = hit.sinks[0].error.as_ref().unwrap();
    assert!(error.message.contains("is corrupt"), "{error:?}");
    assert_eq!(
        hit.fetched, 0,
        "nothing is fetched for a pair that cannot resume"
    );
    assert!(
        report
            .tenants
            .iter()
            .filter(|t| t.tenant.id != victim)
            .all(|t| t.is_success())
    );
    assert!(versions(&sink).len() > before, "the other tenants went on");
    assert!(
        versions(&sink)[before..]
            .iter()
            .all(|v| v.0 != victim.as_str()),
        "the corrupt pair never started over"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn without_an_overlap_late_versions_are_missed() {
    // The control for the tests above: the simulator's late arrivals are
    // real, and only the overlap window catches them.
    let sim = simulator(21).await;
    let sink = memory_sink("memory");
    let fwd = Forwarder::builder()
        .source(Arc::new(client(&sim, sim_tokens(&sim))))
        .tenants(tenants(&sim))
        .sink(sink.clone())
        .checkpoint_store(Arc::new(MemoryCheckpointStore::new()))
        .overlap(Duration::ZERO)
        .start_from("2000-01-01T00:00:00Z".parse().unwrap())
        .build()
        .unwrap();
    let mut expected = BTreeSet::new();
    for _ in 0..36 {
        fwd.run_once().await;
        expected.extend(truth(&sim));
        sim.advance(Duration::from_secs(5 * 60));
    }
    let got = as_set(&versions(&sink));
    assert!(got.is_subset(&expected));
    let missed = expected.len() - got.len();
    assert!(missed > 0, "no late version was missed without an overlap");
    println!("missed without overlap: {missed} of {}", expected.len());
    sim.shutdown().await;
}

#[tokio::test]
async fn run_polls_until_shutdown_then_returns_the_last_report() {
    let sim = simulator(26).await;
    let sink = memory_sink("memory");
    let fwd = Forwarder::builder()
        .source(Arc::new(client(&sim, sim_tokens(&sim))))
        .tenants(tenants(&sim))
        .sink(sink.clone())
        .checkpoint_store(Arc::new(MemoryCheckpointStore::new()))
        .poll_interval(Duration::from_millis(20))
        .start_from("2000-01-01T00:00:00Z".parse().unwrap())
        .build()
        .unwrap();
    let expected = truth(&sim);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = {
        let fwd = fwd.clone();
        tokio::spawn(async move {
            fwd.run(async {
                let _ = stopped.await;
            })
            .await
        })
    };
    // Let it poll several times (new polls find nothing new), then stop it.
    for _ in 0..200 {
        if fwd.status().iter().all(|t| t.last_poll.is_some())
            && versions(&sink).len() == expected.len()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.send(()).unwrap();
    let report = tokio::time::timeout(Duration::from_secs(20), running)
        .await
        .expect("run() stops after the shutdown signal")
        .unwrap();
    // The signal may cut the poll under way short: that is no failure.
    assert!(
        report
            .tenants
            .iter()
            .all(|t| t.error.is_none() && t.sinks.iter().all(|s| s.error.is_none())),
        "{report:?}"
    );
    let got = versions(&sink);
    assert_eq!(
        got.len(),
        expected.len(),
        "repeated polls sent nothing twice"
    );
    assert_eq!(as_set(&got), expected);
    sim.shutdown().await;
}
