//! Throttling and every injected fault kind, one at a time, plus the
//! determinism of fault draws and the counters that report them.

use crate::sim_support;

use std::time::Duration;

use defender_siem::models::{Alert, GraphAlert, parse_page};
use defender_siem::simulator::{FaultKind, Simulator};
use sim_support::*;

async fn one_tenant(sim: &Simulator) -> (String, String) {
    let tenant = sim.tenants()[0].id.clone();
    let token = token(sim, &tenant, MDE_SCOPE).await;
    (tenant, token)
}

#[tokio::test]
async fn per_tenant_budget_answers_429_with_retry_after() {
    let sim = quiet()
        .tenants(2)
        .alerts_per_tenant(2)
        .rate_per_minute(5)
        .rate_per_hour(8)
        .start()
        .await
        .unwrap();
    let (tenant, token) = one_tenant(&sim).await;
    for _ in 0..5 {
        assert_eq!(get(&sim, &token, "api/alerts").await.status, 200);
    }
    let throttled = get(&sim, &token, "api/alerts").await;
    assert_api_error(&throttled, 429, "TooManyRequests");
    assert_eq!(throttled.headers["retry-after"], "60");

    // Another tenant has its own budget.
    let other = token_for(&sim, 1).await;
    assert_eq!(get(&sim, &other, "api/alerts").await.status, 200);

    // Graph has its own budget and the Graph error body.
    let graph = token_for_scope(&sim, 0, GRAPH_SCOPE).await;
    assert_eq!(
        get(&sim, &graph, "v1.0/security/alerts_v2").await.status,
        200
    );

    sim.advance(Duration::from_secs(30));
    assert_eq!(
        get(&sim, &token, "api/alerts").await.headers["retry-after"],
        "30"
    );
    sim.advance(Duration::from_secs(30));
    for _ in 0..3 {
        assert_eq!(get(&sim, &token, "api/alerts").await.status, 200);
    }
    // 8 calls this hour: the hourly budget is spent until the first one ages out.
    let hourly = get(&sim, &token, "api/alerts").await;
    assert_eq!(hourly.status, 429);
    assert_eq!(hourly.headers["retry-after"], "3540");
    let stats = sim.stats();
    assert_eq!(stats.tenants[&tenant].throttled, 3);
    assert_eq!(stats.tenants[&tenant].requests, 12, "MDE and Graph calls");
}

async fn token_for(sim: &Simulator, index: usize) -> String {
    token_for_scope(sim, index, MDE_SCOPE).await
}

async fn token_for_scope(sim: &Simulator, index: usize, scope: &str) -> String {
    let id = sim.tenants()[index].id.clone();
    token(sim, &id, scope).await
}

#[tokio::test]
async fn graph_429_has_the_graph_body() {
    let sim = quiet()
        .tenants(1)
        .alerts_per_tenant(1)
        .rate_per_minute(1)
        .start()
        .await
        .unwrap();
    let graph = token_for_scope(&sim, 0, GRAPH_SCOPE).await;
    assert_eq!(
        get(&sim, &graph, "v1.0/security/alerts_v2").await.status,
        200
    );
    let reply = get(&sim, &graph, "v1.0/security/alerts_v2").await;
    assert_api_error(&reply, 429, "TooManyRequests");
    assert_eq!(reply.json()["error"]["innerError"]["status"], "429");
    assert!(reply.headers.contains_key("retry-after"));
}

#[tokio::test]
async fn throttling_can_be_turned_off() {
    let sim = quiet()
        .tenants(1)
        .alerts_per_tenant(1)
        .no_throttling()
        .start()
        .await
        .unwrap();
    let (_, token) = one_tenant(&sim).await;
    for _ in 0..150 {
        assert_eq!(get(&sim, &token, "api/alerts").await.status, 200);
    }
    assert_eq!(sim.stats().throttled, 0);
}

async fn faulty(kind: FaultKind) -> Simulator {
    quiet()
        .tenants(1)
        .alerts_per_tenant(20)
        .fault(kind, 1.0)
        .slow_response_delay(Duration::from_millis(10))
        .start()
        .await
        .unwrap()
}

fn fault_count(sim: &Simulator, kind: FaultKind) -> u64 {
    sim.stats()
        .tenants
        .values()
        .map(|t| t.faults.get(kind.as_str()).copied().unwrap_or(0))
        .sum()
}

#[tokio::test]
async fn internal_server_error_and_service_unavailable() {
    for (kind, status, code) in [
        (FaultKind::InternalServerError, 500, "InternalServerError"),
        (FaultKind::ServiceUnavailable, 503, "ServiceUnavailable"),
    ] {
        let sim = faulty(kind).await;
        let (_, token) = one_tenant(&sim).await;
        assert_api_error(&get(&sim, &token, "api/alerts").await, status, code);
        assert_eq!(fault_count(&sim, kind), 1);
    }
}

#[tokio::test]
async fn connection_reset_mid_response() {
    let sim = faulty(FaultKind::ConnectionReset).await;
    let (_, token) = one_tenant(&sim).await;
    let url = sim.api_base().join("api/alerts").unwrap();
    let outcome = match client().get(url).bearer_auth(&token).send().await {
        Ok(response) => response.bytes().await.map(|_| ()),
        Err(e) => Err(e),
    };
    assert!(outcome.is_err(), "the body must not arrive whole");
    assert_eq!(fault_count(&sim, FaultKind::ConnectionReset), 1);
}

#[tokio::test]
async fn slow_responses_still_answer() {
    let sim = faulty(FaultKind::SlowResponse).await;
    let (_, token) = one_tenant(&sim).await;
    let page = parse_page::<Alert>(&get(&sim, &token, "api/alerts").await.body).unwrap();
    assert_eq!(page.len(), 20);
    assert_eq!(fault_count(&sim, FaultKind::SlowResponse), 1);
}

#[tokio::test]
async fn truncated_json_body_is_a_complete_http_message() {
    let sim = faulty(FaultKind::TruncatedBody).await;
    let (_, token) = one_tenant(&sim).await;
    let reply = get(&sim, &token, "api/alerts").await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.headers["content-length"].to_str().unwrap(),
        reply.body.len().to_string()
    );
    assert!(serde_json::from_slice::<serde_json::Value>(&reply.body).is_err());
    assert!(parse_page::<Alert>(&reply.body).is_err());
}

#[tokio::test]
async fn one_malformed_alert_inside_a_page() {
    let sim = faulty(FaultKind::MalformedAlert).await;
    let (_, token) = one_tenant(&sim).await;
    for _ in 0..6 {
        let page = parse_page::<Alert>(&get(&sim, &token, "api/alerts").await.body).unwrap();
        assert_eq!(page.len(), 20);
        assert_eq!(
            page.malformed().count(),
            1,
            "exactly one alert is malformed"
        );
        let bad = page.malformed().next().unwrap();
        assert!(bad.id().is_some());
        assert!(
            ["$.lastUpdateTime", "$.incidentId"].contains(&bad.path()),
            "{}",
            bad.path()
        );
    }
    let graph = token_for_scope(&sim, 0, GRAPH_SCOPE).await;
    let page =
        parse_page::<GraphAlert>(&get(&sim, &graph, "v1.0/security/alerts_v2").await.body).unwrap();
    assert_eq!(page.malformed().count(), 1);
    // An empty page has nothing to spoil and counts no fault.
    let empty = get(&sim, &token, "api/alerts?$skip=100").await;
    assert_eq!(empty.status, 200);
    assert_eq!(fault_count(&sim, FaultKind::MalformedAlert), 7);
}

#[tokio::test]
async fn token_endpoint_failures() {
    let sim = quiet()
        .tenants(1)
        .fault(FaultKind::TokenEndpointFailure, 1.0)
        .start()
        .await
        .unwrap();
    let tenant = sim.tenants()[0].id.clone();
    let form = client_credentials(&sim, sim.client_secret(), MDE_SCOPE);
    let reply = token_request(&sim, &tenant, "v2.0/token", &form).await;
    assert_entra_error(&reply, 503, "temporarily_unavailable", 90033);
    assert_eq!(fault_count(&sim, FaultKind::TokenEndpointFailure), 1);
}

#[tokio::test]
async fn fault_draws_repeat_for_the_same_seed() {
    async fn statuses(seed: u64) -> Vec<u16> {
        let sim = quiet()
            .seed(seed)
            .tenants(1)
            .alerts_per_tenant(5)
            .no_throttling()
            .fault_rate(0.6)
            .fault(FaultKind::ConnectionReset, 0.0)
            .fault(FaultKind::SlowResponse, 0.0)
            .start()
            .await
            .unwrap();
        let tenant = sim.tenants()[0].id.clone();
        // Token requests can fail too: retry until one is issued.
        let mut token = None;
        for _ in 0..50 {
            let form = client_credentials(&sim, sim.client_secret(), MDE_SCOPE);
            let reply = token_request(&sim, &tenant, "v2.0/token", &form).await;
            if reply.status == 200 {
                token = Some(reply.json()["access_token"].as_str().unwrap().to_owned());
                break;
            }
        }
        let token = token.unwrap();
        let mut out = Vec::new();
        for _ in 0..40 {
            let reply = get(&sim, &token, "api/alerts").await;
            let parses = parse_page::<Alert>(&reply.body).map(|p| p.malformed().count());
            out.push(reply.status.as_u16() * 10 + parses.map_or(9, |n| n as u16));
        }
        out
    }
    let a = statuses(3).await;
    assert_eq!(a, statuses(3).await);
    assert_ne!(a, statuses(4).await);
    assert!(a.contains(&2000) && a.iter().any(|s| *s != 2000), "{a:?}");
}

#[tokio::test]
async fn stats_are_served_over_http() {
    let sim = quiet()
        .tenants(3)
        .alerts_per_tenant(2)
        .start()
        .await
        .unwrap();
    let (tenant, token) = one_tenant(&sim).await;
    get(&sim, &token, "api/alerts").await;
    get(&sim, "bogus", "api/alerts").await;
    let url = sim.api_base().join("_sim/stats").unwrap();
    let stats = read(client().get(url).send().await.unwrap()).await.json();
    assert_eq!(stats["requests"], 1);
    assert_eq!(stats["tokens_issued"], 1);
    assert_eq!(stats["unauthenticated"], 1);
    assert_eq!(stats["tenants"][&tenant]["requests"], 1);
    assert_eq!(
        stats["tenants"].as_object().unwrap().len(),
        1,
        "untouched tenants are left out"
    );
}
