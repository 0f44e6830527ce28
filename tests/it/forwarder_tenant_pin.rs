//! Tenant pinning: a token, or an alert, from another tenant than the one
//! configured is never used or delivered under the configured tenant's name.

use crate::net;
use crate::sim_support::{self, quiet, sim_tokens};

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use defender_siem::auth::{AccessToken, TokenProvider};
use defender_siem::checkpoint::{CheckpointKey, CheckpointStore, MemoryCheckpointStore};
use defender_siem::client::{DefenderClient, RateLimits};
use defender_siem::forward::{AlertSource, Forwarder, SourceStream, TenantFuture};
use defender_siem::models::{ParsedAlert, Timestamp};
use defender_siem::simulator::Simulator;
use defender_siem::sink::MemorySink;
use defender_siem::{Error, TenantId, TenantInfo};
use serde_json::value::RawValue;

/// Serves, for the tenants in `swap`, the token of another tenant: a
/// provider misconfigured, or a domain now owned by someone else.
#[derive(Debug)]
struct SwappingTokens {
    inner: Arc<dyn TokenProvider>,
    swap: Mutex<Vec<(TenantId, TenantId)>>,
}

impl SwappingTokens {
    fn new(sim: &Simulator) -> Arc<Self> {
        Arc::new(SwappingTokens {
            inner: sim_tokens(sim),
            swap: Mutex::new(Vec::new()),
        })
    }

    fn serve_instead(&self, asked: &TenantId, given: &str) {
        self.swap
            .lock()
            .unwrap()
            .push((asked.clone(), TenantId::new(given).unwrap()));
    }
}

#[async_trait]
impl TokenProvider for SwappingTokens {
    async fn token(&self, tenant: &TenantId, scope: &str) -> defender_siem::Result<AccessToken> {
        let given = self
            .swap
            .lock()
            .unwrap()
            .iter()
            .find(|(asked, _)| asked == tenant)
            .map(|(_, given)| given.clone());
        self.inner
            .token(given.as_ref().unwrap_or(tenant), scope)
            .await
    }

    fn invalidate(&self, tenant: &TenantId, scope: &str) {
        self.inner.invalidate(tenant, scope);
    }
}

fn client(sim: &Simulator, tokens: Arc<dyn TokenProvider>) -> DefenderClient {
    DefenderClient::builder()
        .token_provider(tokens)
        .endpoints(sim.endpoints())
        .retry_policy(net::fast_retry())
        .rate_limits(RateLimits::unlimited())
        .build()
        .unwrap()
}

fn forwarder(
    source: Arc<dyn AlertSource>,
    tenants: Vec<TenantInfo>,
    sink: &Arc<MemorySink>,
    store: Arc<dyn CheckpointStore>,
) -> Forwarder {
    Forwarder::builder()
        .source(source)
        .tenants(tenants)
        .checkpoint_store(store)
        .sink(sink.clone())
        .start_from("2000-01-01T00:00:00Z".parse().unwrap())
        .build()
        .unwrap()
}

async fn simulator() -> Simulator {
    quiet()
        .tenants(3)
        .alerts_per_tenant(5)
        .no_throttling()
        .start()
        .await
        .unwrap()
}

fn delivered_for(sink: &MemorySink, tenant: &str) -> usize {
    sink.records()
        .iter()
        .filter(|r| r.tenant.id.as_str() == tenant)
        .count()
}

#[tokio::test]
async fn a_token_from_another_tenant_fails_that_tenant_and_names_both() {
    let sim = simulator().await;
    let ids: Vec<String> = sim.tenants().iter().map(|t| t.id.clone()).collect();
    let tokens = SwappingTokens::new(&sim);
    let victim = TenantId::new(&ids[1]).unwrap();
    tokens.serve_instead(&victim, &ids[2]);
    let sink = Arc::new(MemorySink::named("memory"));
    let fwd = forwarder(
        Arc::new(client(&sim, tokens)),
        sim_support::sim_tenants(&sim),
        &sink,
        Arc::new(MemoryCheckpointStore::new()),
    );

    let report = fwd.run_once().await;
    let failed = &report.tenants[1];
    let error = failed.error.as_ref().expect("the swapped tenant fails");
    assert!(error.to_string().contains(&ids[1]), "{error}");
    assert!(error.to_string().contains(&ids[2]), "{error}");
    assert_eq!(failed.fetched, 0);
    assert_eq!(delivered_for(&sink, &ids[1]), 0);
    // The others go on, and no request carried a token of the wrong tenant.
    assert!(report.tenants[0].is_success(), "{report}");
    assert!(report.tenants[2].is_success(), "{report}");
    assert_eq!(delivered_for(&sink, &ids[0]), 5);
    assert_eq!(delivered_for(&sink, &ids[2]), 5);
    assert_eq!(sim.stats().cross_tenant_tokens, 0);
}

#[tokio::test]
async fn the_client_refuses_a_token_of_another_tenant_before_sending_it() {
    let sim = simulator().await;
    let ids: Vec<String> = sim.tenants().iter().map(|t| t.id.clone()).collect();
    let tokens = SwappingTokens::new(&sim);
    let victim = TenantId::new(&ids[0]).unwrap();
    tokens.serve_instead(&victim, &ids[1]);
    let client = client(&sim, tokens);
    let requests_before = sim.stats().requests;
    let err = client.alerts(&victim).send().await.unwrap_err();
    match &err {
        Error::WrongTenant {
            tenant,
            expected,
            token_tenant,
        } => {
            assert_eq!(tenant, &victim);
            assert_eq!(expected, &ids[0]);
            assert_eq!(token_tenant, &ids[1]);
        }
        other => panic!("expected WrongTenant, got {other:?}"),
    }
    assert!(!err.is_retryable());
    assert_eq!(err.tenant(), Some(&victim));
    assert_eq!(sim.stats().requests, requests_before, "nothing was sent");
}

#[tokio::test]
async fn a_domain_is_pinned_on_first_start_and_a_takeover_is_refused() {
    let sim = simulator().await;
    let contoso = &sim.tenants()[0];
    let domain = TenantId::new(&contoso.domain).unwrap();
    let tenants = vec![TenantInfo::new(domain.clone(), contoso.name.clone())];
    let store = Arc::new(MemoryCheckpointStore::new());
    let tokens = SwappingTokens::new(&sim);
    let sink = Arc::new(MemorySink::named("memory"));

    let first = forwarder(
        Arc::new(client(&sim, tokens.clone())),
        tenants.clone(),
        &sink,
        store.clone(),
    );
    let report = first.run_once().await;
    assert!(report.is_success(), "{report}");
    assert_eq!(delivered_for(&sink, domain.as_str()), 5);
    let key = CheckpointKey::new(domain.clone(), "memory").unwrap();
    let saved = store.load(&key).await.unwrap().unwrap();
    assert_eq!(saved.pinned_tenant.as_deref(), Some(contoso.id.as_str()));

    // The customer lets the domain go; another tenant verifies it and
    // consents: tokens for the domain now come from that tenant.
    let attacker = sim.tenants()[1].id.clone();
    tokens.serve_instead(&domain, &attacker);
    sim.advance(std::time::Duration::from_secs(3600));
    let restarted = forwarder(
        Arc::new(client(&sim, tokens)),
        tenants,
        &sink,
        store.clone(),
    );
    let report = restarted.run_once().await;
    let error = report.tenants[0].error.as_ref().expect("refused");
    assert!(error.to_string().contains(&contoso.id), "{error}");
    assert!(error.to_string().contains(&attacker), "{error}");
    assert_eq!(delivered_for(&sink, domain.as_str()), 5, "nothing new");
    let after = store.load(&key).await.unwrap().unwrap();
    assert_eq!(after, saved, "the checkpoint did not move");
}

/// A source whose pages mix the tenant's alerts with one naming another
/// tenant.
#[derive(Debug)]
struct MixedSource {
    tid: String,
    alerts: Vec<(String, String)>, // id, aadTenantId
}

impl AlertSource for MixedSource {
    fn alerts_since<'a>(
        &'a self,
        _tenant: &'a TenantId,
        _since: Timestamp,
        _page_size: u32,
    ) -> SourceStream<'a> {
        let items: Vec<_> = self
            .alerts
            .iter()
            .map(|(id, tid)| {
                let json = serde_json::json!({
                    "id": id,
                    "aadTenantId": tid,
                    "lastUpdateTime": "2026-11-01T10:00:00Z",
                });
                let raw = RawValue::from_string(json.to_string()).unwrap();
                Ok(ParsedAlert::from_raw(0, &raw).unwrap())
            })
            .collect();
        Box::pin(futures_util::stream::iter(items))
    }

    fn token_tenant<'a>(&'a self, _tenant: &'a TenantId) -> TenantFuture<'a> {
        Box::pin(async { Ok(Some(self.tid.clone())) })
    }
}

#[tokio::test]
async fn an_alert_naming_another_tenant_is_set_aside_and_reported() {
    let own = "a839b112-1253-6432-9bf6-94542403f21c";
    let other = "b839b112-1253-6432-9bf6-94542403f21c";
    let source = MixedSource {
        tid: own.to_owned(),
        alerts: vec![
            ("da1".into(), own.to_uppercase()),
            ("da2".into(), other.into()),
            ("da3".into(), own.into()),
        ],
    };
    let tenant = TenantInfo::new(TenantId::new("contoso.com").unwrap(), "Contoso");
    let sink = Arc::new(MemorySink::named("memory"));
    let fwd = forwarder(
        Arc::new(source),
        vec![tenant],
        &sink,
        Arc::new(MemoryCheckpointStore::new()),
    );
    let report = fwd.run_once().await;
    let ids: Vec<String> = sink
        .records()
        .iter()
        .map(|r| r.alert_id().to_owned())
        .collect();
    assert_eq!(ids, ["da1", "da3"]);
    assert_eq!(report.tenants[0].foreign_tenant, 1);
    assert!(!report.is_success(), "a foreign alert is reported");
    assert!(
        report
            .to_string()
            .contains("1 set aside naming another tenant"),
        "{report}"
    );
    let status = &fwd.status()[0];
    assert_eq!(status.foreign_tenant, 1);
}
