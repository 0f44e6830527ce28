//! The client against the crate's own simulator (not wiremock): a real token
//! endpoint, real paging past the 10,000 `$skip` limit, real throttling and
//! injected faults.

use crate::net;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use defender_siem::auth::{ClientSecretCredential, TokenSource};
use defender_siem::client::{DefenderClient, RateLimits};
use defender_siem::models::Timestamp;
use defender_siem::retry::RetryPolicy;
use defender_siem::simulator::{FaultKind, Simulator};
use defender_siem::{Error, Secret, TenantId};
use futures_util::StreamExt;
use serde_json::Value;

fn client_for(sim: &Simulator, retry: RetryPolicy, limits: RateLimits) -> DefenderClient {
    let endpoints = sim.endpoints();
    let tokens = ClientSecretCredential::new(sim.client_id(), Secret::new(sim.client_secret()))
        .unwrap()
        .with_endpoints(&endpoints)
        .cached();
    DefenderClient::builder()
        .token_provider(Arc::new(tokens))
        .endpoints(endpoints)
        .retry_policy(retry)
        .rate_limits(limits)
        .user_agent("MdatpPartner-Contoso-AlertBridge/1.0.0")
        .build()
        .unwrap()
}

fn truth(sim: &Simulator, tenant: &str) -> BTreeSet<(String, String)> {
    sim.ground_truth(tenant)
        .unwrap()
        .iter()
        .map(|a: &Value| {
            let ts: Timestamp = a["lastUpdateTime"].as_str().unwrap().parse().unwrap();
            (a["id"].as_str().unwrap().to_owned(), ts.to_string())
        })
        .collect()
}

async fn fetch_all(
    client: &DefenderClient,
    tenant: &TenantId,
    top: u32,
) -> (BTreeSet<(String, String)>, usize, Vec<Error>) {
    fetch(client, tenant, top, true).await
}

async fn fetch(
    client: &DefenderClient,
    tenant: &TenantId,
    top: u32,
    evidence: bool,
) -> (BTreeSet<(String, String)>, usize, Vec<Error>) {
    let query = client.alerts(tenant).top(top);
    let query = if evidence {
        query.expand_evidence()
    } else {
        query
    };
    let mut stream = query.stream();
    let (mut seen, mut count, mut errors) = (BTreeSet::new(), 0, Vec::new());
    while let Some(item) = stream.next().await {
        match item {
            Ok(parsed) => {
                count += 1;
                let a = parsed.alert;
                seen.insert((a.id.unwrap(), a.last_update_time.unwrap().to_string()));
            }
            Err(e) => errors.push(e),
        }
    }
    (seen, count, errors)
}

#[tokio::test]
async fn pages_through_25000_alerts_of_one_tenant() {
    let sim = Simulator::builder()
        .tenants(1)
        .alerts_per_tenant(25_000)
        .seed(11)
        .manual_clock()
        .no_throttling()
        .start()
        .await
        .unwrap();
    let tenant_id = sim.tenants()[0].id.clone();
    let client = client_for(&sim, net::fast_retry(), RateLimits::unlimited());
    // Without evidence: this test is about paging, and debug builds are slow
    // at rendering and parsing 25,000 alerts with evidence several times.
    let tenant = TenantId::new(&tenant_id).unwrap();
    let (got, count, errors) = fetch(&client, &tenant, 10_000, false).await;
    assert!(errors.is_empty(), "{errors:?}");
    let expected = truth(&sim, &tenant_id);
    assert!(expected.len() > 20_000, "{}", expected.len());
    assert_eq!(count, expected.len(), "every alert exactly once");
    assert_eq!(got, expected);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_tenant_sees_only_its_own_alerts() {
    let sim = Simulator::builder()
        .tenants(2)
        .alerts_per_tenant(40)
        .seed(3)
        .manual_clock()
        .no_throttling()
        .start()
        .await
        .unwrap();
    let client = client_for(&sim, net::fast_retry(), RateLimits::unlimited());
    for t in sim.tenants() {
        let (got, _, errors) = fetch_all(&client, &TenantId::new(&t.id).unwrap(), 15).await;
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(got, truth(&sim, &t.id), "tenant {}", t.name);
    }
    sim.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn throttling_is_honoured_without_hammering() {
    let sim = Simulator::builder()
        .tenants(1)
        .alerts_per_tenant(60)
        .seed(5)
        .manual_clock()
        .rate_per_minute(4)
        .rate_per_hour(1_000)
        .start()
        .await
        .unwrap();
    let tenant_id = sim.tenants()[0].id.clone();
    // The client's own budget is off, so the server's 429s are what pace it.
    let client = client_for(&sim, RetryPolicy::default(), RateLimits::unlimited());
    let _frozen = net::freeze_auto_advance();
    let tenant = TenantId::new(&tenant_id).unwrap();
    let task = tokio::spawn(async move { fetch_all(&client, &tenant, 5).await });
    let (got, count, errors) =
        net::drive_clocks(task, Duration::from_secs(1), |step| sim.advance(step)).await;

    assert!(errors.is_empty(), "{errors:?}");
    let expected = truth(&sim, &tenant_id);
    assert_eq!(count, expected.len());
    assert_eq!(got, expected);
    let stats = sim.stats();
    let pages = expected.len().div_ceil(5) as u64;
    assert!(
        stats.requests > pages,
        "some calls must have been throttled"
    );
    // Each 429 was waited out: one 429 per exhausted minute, not a burst of
    // retries (an immediate retry would meet a 429 again).
    let minutes_needed = (pages + 1).div_ceil(4);
    assert!(stats.throttled >= 1, "{stats:?}");
    assert!(stats.throttled <= minutes_needed, "{stats:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn faults_are_survived() {
    let sim = Simulator::builder()
        .tenants(1)
        .alerts_per_tenant(300)
        .seed(9)
        .manual_clock()
        .no_throttling()
        .fault(FaultKind::InternalServerError, 0.1)
        .fault(FaultKind::ServiceUnavailable, 0.1)
        .fault(FaultKind::ConnectionReset, 0.1)
        .fault(FaultKind::TruncatedBody, 0.1)
        .fault(FaultKind::TokenEndpointFailure, 0.2)
        .slow_response_delay(Duration::from_millis(5))
        .fault(FaultKind::SlowResponse, 0.1)
        .start()
        .await
        .unwrap();
    let tenant_id = sim.tenants()[0].id.clone();
    let retry = RetryPolicy::default()
        .max_attempts(12)
        .base_delay(Duration::from_millis(1))
        .max_delay(Duration::from_millis(5));
    let client = client_for(&sim, retry, RateLimits::unlimited());
    let (got, count, errors) = fetch_all(&client, &TenantId::new(&tenant_id).unwrap(), 20).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(count, got.len());
    assert_eq!(got, truth(&sim, &tenant_id));
    let stats = sim.stats();
    let faults = &stats.tenants[&tenant_id].faults;
    for kind in [
        "internal_server_error",
        "service_unavailable",
        "connection_reset",
        "truncated_body",
    ] {
        assert!(
            faults.get(kind).copied().unwrap_or(0) > 0,
            "{kind} never injected: {faults:?}"
        );
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn a_malformed_alert_is_reported_and_the_rest_arrive() {
    let sim = Simulator::builder()
        .tenants(1)
        .alerts_per_tenant(50)
        .seed(4)
        .manual_clock()
        .no_throttling()
        .fault(FaultKind::MalformedAlert, 1.0)
        .start()
        .await
        .unwrap();
    let tenant_id = sim.tenants()[0].id.clone();
    let client = client_for(&sim, net::fast_retry(), RateLimits::unlimited());
    let (got, _, errors) = fetch_all(&client, &TenantId::new(&tenant_id).unwrap(), 10).await;
    assert!(!errors.is_empty());
    for e in &errors {
        let Error::MalformedAlert(m) = e else {
            panic!("{e}")
        };
        assert!(m.id().is_some() && m.path().starts_with("$."), "{m}");
    }
    let expected = truth(&sim, &tenant_id);
    assert_eq!(got.len() + errors.len(), expected.len());
    assert!(got.is_subset(&expected));
    sim.shutdown().await;
}

#[tokio::test]
async fn verify_access_against_the_simulator() {
    let sim = Simulator::builder()
        .tenants(3)
        .alerts_per_tenant(5)
        .manual_clock()
        .not_consented(1)
        .missing_role(2)
        .start()
        .await
        .unwrap();
    let client = client_for(&sim, net::fast_retry(), RateLimits::unlimited());
    let ok = client
        .verify_access(&TenantId::new(&sim.tenants()[0].id).unwrap())
        .await
        .unwrap();
    assert!(ok.is_ok(), "{ok}");
    let no_consent = client
        .verify_access(&TenantId::new(&sim.tenants()[1].id).unwrap())
        .await
        .unwrap();
    assert!(!no_consent.is_ok());
    assert!(no_consent.to_string().contains("700016"), "{no_consent}");
    let no_role = client
        .verify_access(&TenantId::new(&sim.tenants()[2].id).unwrap())
        .await
        .unwrap();
    assert!(no_role.to_string().contains("Alert.Read.All"), "{no_role}");
    sim.shutdown().await;
}
