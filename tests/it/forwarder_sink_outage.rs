//! A Splunk HEC that is down, seen by a forwarder polling many tenants:
//! it is found down once for all of them (a shared breaker), never asked
//! more often than the retry policy allows, and when it is back every
//! tenant catches up with each alert version exactly once.

use crate::sim_support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use defender_siem::checkpoint::MemoryCheckpointStore;
use defender_siem::forward::Forwarder;
use defender_siem::retry::RetryPolicy;
use defender_siem::simulator::Simulator;
use defender_siem::sink::splunk_hec::SplunkHecSink;
use defender_siem::sink::{AlertSink, Named};
use serde_json::Value;
use sim_support::{quiet, sim_client, sim_tenants};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const MAX_ATTEMPTS: u32 = 3;
const CONCURRENCY: usize = 8;

fn policy() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(MAX_ATTEMPTS)
        .base_delay(Duration::from_millis(100))
        .max_delay(Duration::from_millis(400))
}

fn forwarder(sim: &Simulator, hec: &str) -> Forwarder {
    let sink = SplunkHecSink::builder(hec, "00000000-0000-0000-0000-000000000000")
        .gzip(false)
        .build()
        .unwrap();
    let sink: Arc<dyn AlertSink> = Arc::new(Named::new("soc-splunk", sink));
    Forwarder::builder()
        .source(Arc::new(sim_client(sim)))
        .tenants(sim_tenants(sim))
        .checkpoint_store(Arc::new(MemoryCheckpointStore::new()))
        .tenant_concurrency(CONCURRENCY)
        .sink(sink)
        .sink_retry(policy())
        .start_from("2000-01-01T00:00:00Z".parse().unwrap())
        .build()
        .unwrap()
}

/// (tenant, alert id, lastUpdateTime) → how many times HEC received it.
async fn received(server: &MockServer) -> BTreeMap<(String, String, String), usize> {
    let mut counts = BTreeMap::new();
    for request in server.received_requests().await.unwrap_or_default() {
        if request.url.path() != "/services/collector/event" {
            continue;
        }
        for envelope in serde_json::Deserializer::from_slice(&request.body).into_iter::<Value>() {
            let event = &envelope.unwrap()["event"];
            let key = (
                event["aadTenantId"].as_str().unwrap_or_default().to_owned(),
                event["id"].as_str().unwrap().to_owned(),
                event["lastUpdateTime"].as_str().unwrap().to_owned(),
            );
            *counts.entry(key).or_default() += 1;
        }
    }
    counts
}

fn free_port() -> std::net::SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hec_down_for_200_tenants_is_found_once_and_everyone_catches_up() {
    let sim = quiet()
        .tenants(200)
        .alerts_per_tenant(3)
        .seed(5)
        .start()
        .await
        .unwrap();
    // A port nothing listens on: every connection is refused.
    let addr = free_port();
    let fwd = forwarder(&sim, &format!("http://{addr}"));

    let started = Instant::now();
    let report = fwd.run_once().await;
    let took = started.elapsed();
    let refused_by_breaker = report
        .tenants
        .iter()
        .filter(|t| {
            t.sinks[0]
                .error
                .as_ref()
                .is_some_and(|e| e.message.contains("circuit breaker"))
        })
        .count();
    let sample = report.tenants[0].sinks[0].error.clone().unwrap();
    eprintln!(
        "down: one poll of 200 tenants took {took:?}; {refused_by_breaker} refused by the breaker; e.g. {sample}"
    );
    assert_eq!(report.forwarded(), 0);
    assert!(report.tenants.iter().all(|t| t.sinks[0].error.is_some()));
    // At most one wave of concurrent tenants met the outage itself.
    assert!(
        refused_by_breaker >= 200 - CONCURRENCY,
        "{refused_by_breaker}"
    );
    // The error names the configured sink, its type and its host.
    assert!(sample.message.contains("soc-splunk"), "{sample}");
    assert!(sample.message.contains(&addr.to_string()), "{sample}");
    // Per tenant it would take minutes; one retry chain is under 2 s.
    assert!(took < Duration::from_secs(60), "{took:?}");

    // HEC is back on the same port.
    let listener = std::net::TcpListener::bind(addr).unwrap();
    let server = MockServer::builder().listener(listener).start().await;
    Mock::given(method("POST"))
        .and(path("/services/collector/event"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"text":"Success","code":0}"#))
        .mount(&server)
        .await;
    let report = fwd.run_once().await;
    assert!(report.is_success(), "{report}");
    let got = received(&server).await;
    let shown: usize = sim
        .tenants()
        .iter()
        .map(|t| sim.ground_truth(&t.id).unwrap().len())
        .sum();
    assert_eq!(got.len(), shown, "every version arrived");
    assert!(got.values().all(|n| *n == 1), "no duplicates");
    assert_eq!(report.forwarded(), shown as u64);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_hec_is_never_asked_more_than_the_policy_allows() {
    let sim = quiet()
        .tenants(20)
        .alerts_per_tenant(2)
        .seed(9)
        .start()
        .await
        .unwrap();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(503).set_body_string(r#"{"text":"Server is busy","code":9}"#),
        )
        .mount(&server)
        .await;
    let fwd = forwarder(&sim, &server.uri());
    let report = fwd.run_once().await;
    assert_eq!(report.forwarded(), 0);
    let posts = server.received_requests().await.unwrap().len();
    eprintln!("503 forever: {posts} POSTs for 20 tenants (one batch each)");
    // Only the first wave of concurrent tenants retries, each at most
    // MAX_ATTEMPTS times; the breaker refuses the rest without a request.
    assert!(posts >= MAX_ATTEMPTS as usize, "{posts}");
    assert!(posts <= CONCURRENCY * MAX_ATTEMPTS as usize, "{posts}");
    sim.shutdown().await;
}
