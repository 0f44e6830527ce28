//! A token issued for tenant A is never sent on a request for tenant B.
//!
//! Every Defender/Graph call names its tenant in the
//! [`TENANT_HEADER`] header; the simulator compares it with the tenant of
//! the bearer token, refuses a mismatch with 401 and counts it in
//! `stats().cross_tenant_tokens`.

use crate::sim_support;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use defender_siem::auth::{AccessToken, TokenProvider};
use defender_siem::checkpoint::MemoryCheckpointStore;
use defender_siem::client::{DefenderClient, RateLimits};
use defender_siem::forward::Forwarder;
use defender_siem::retry::RetryPolicy;
use defender_siem::simulator::Simulator;
use defender_siem::sink::MemorySink;
use defender_siem::transport::TENANT_HEADER;
use defender_siem::{TenantId, TenantInfo};
use reqwest::StatusCode;
use sim_support::{MDE_SCOPE, client, quiet, read, sim_tokens, token};

async fn three_tenants() -> Simulator {
    quiet()
        .tenants(3)
        .alerts_per_tenant(20)
        .no_throttling()
        .start()
        .await
        .unwrap()
}

fn fast() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(2)
        .base_delay(Duration::from_millis(1))
        .max_delay(Duration::from_millis(2))
}

fn defender_client(sim: &Simulator, tokens: Arc<dyn TokenProvider>) -> DefenderClient {
    DefenderClient::builder()
        .token_provider(tokens)
        .endpoints(sim.endpoints())
        .retry_policy(fast())
        .rate_limits(RateLimits::unlimited())
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_multi_tenant_cycle_never_crosses_tokens() {
    let sim = three_tenants().await;
    let sink = Arc::new(MemorySink::named("memory"));
    let tenants: Vec<TenantInfo> = sim
        .tenants()
        .iter()
        .map(|t| TenantInfo::new(TenantId::new(&t.id).unwrap(), t.name.clone()))
        .collect();
    let forwarder = Forwarder::builder()
        .source(Arc::new(defender_client(&sim, sim_tokens(&sim))))
        .tenants(tenants)
        .checkpoint_store(Arc::new(MemoryCheckpointStore::new()))
        .sink(sink.clone())
        .tenant_concurrency(3)
        .page_size(7)
        .start_from("2000-01-01T00:00:00Z".parse().unwrap())
        .build()
        .unwrap();
    let report = forwarder.run_once().await;
    assert!(report.is_success(), "{report:?}");
    assert_eq!(sink.records().len(), 60);
    let stats = sim.stats();
    assert_eq!(stats.cross_tenant_tokens, 0);
    assert_eq!(stats.unauthenticated, 0);
    // Every tenant was really asked, with its own token.
    assert_eq!(stats.tenants.len(), 3);
    for tenant in stats.tenants.values() {
        assert!(tenant.requests >= 3, "{stats:?}");
        assert_eq!(tenant.tokens_issued, 1, "{stats:?}");
    }
}

#[tokio::test]
async fn a_token_of_tenant_a_on_a_request_for_tenant_b_is_refused_and_counted() {
    let sim = three_tenants().await;
    let a = sim.tenants()[0].id.clone();
    let b = sim.tenants()[1].clone();
    let token_a = token(&sim, &a, MDE_SCOPE).await;
    let url = sim.api_base().join("api/alerts?$top=1").unwrap();

    // Naming tenant A (by id) with A's token is fine.
    let ok = read(
        client()
            .get(url.clone())
            .bearer_auth(&token_a)
            .header(TENANT_HEADER, &a)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK);

    // Naming tenant B, by id or by domain, with A's token is not.
    for named in [b.id.as_str(), b.domain.as_str()] {
        let refused = read(
            client()
                .get(url.clone())
                .bearer_auth(&token_a)
                .header(TENANT_HEADER, named)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
        let body = String::from_utf8_lossy(&refused.body).to_string();
        assert!(body.contains("another tenant"), "{body}");
        assert!(!body.contains(&token_a));
    }
    assert_eq!(sim.stats().cross_tenant_tokens, 2);
}

/// A broken provider: hands out tenant A's token whatever tenant it is
/// asked for.
#[derive(Debug)]
struct AlwaysTenantA {
    inner: Arc<dyn TokenProvider>,
    a: TenantId,
}

#[async_trait]
impl TokenProvider for AlwaysTenantA {
    async fn token(&self, _tenant: &TenantId, scope: &str) -> defender_siem::Result<AccessToken> {
        self.inner.token(&self.a, scope).await
    }
}

#[tokio::test]
async fn the_client_names_the_tenant_so_a_mixed_up_provider_is_caught() {
    let sim = three_tenants().await;
    let a = TenantId::new(&sim.tenants()[0].id).unwrap();
    let b = TenantId::new(&sim.tenants()[1].domain).unwrap();
    let mixed_up = Arc::new(AlwaysTenantA {
        inner: sim_tokens(&sim),
        a: a.clone(),
    });
    let client = defender_client(&sim, mixed_up);

    let own = client.alerts(&a).top(5).send().await;
    assert!(own.is_ok(), "{own:?}");
    let err = client.alerts(&b).top(5).send().await.unwrap_err();
    assert_eq!(err.status(), Some(401), "{err}");
    // The 401 drops the token and tries once more: both refused.
    assert_eq!(sim.stats().cross_tenant_tokens, 2);
}
