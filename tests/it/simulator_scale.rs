//! Scale: many tenants cost little until contacted and serve concurrent
//! calls; one tenant pages through 25,000 alerts with `$top`/`$skip`.

use crate::sim_support;

use std::collections::BTreeSet;
use std::sync::Arc;

use defender_siem::models::{Alert, parse_page};
use sim_support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_tenants_and_concurrent_polls() {
    let sim = Arc::new(
        quiet()
            .tenants(10_000)
            .alerts_per_tenant(5)
            .start()
            .await
            .unwrap(),
    );
    assert_eq!(sim.tenants().len(), 10_000);
    let ids: BTreeSet<_> = sim.tenants().iter().map(|t| t.id.clone()).collect();
    assert_eq!(ids.len(), 10_000, "tenant ids are unique");
    // 200 tenants polled at once, each with its own token.
    let mut tasks = Vec::new();
    for index in (0..10_000).step_by(50) {
        let sim = Arc::clone(&sim);
        tasks.push(tokio::spawn(async move {
            let tenant = sim.tenants()[index].id.clone();
            let token = token(&sim, &tenant, MDE_SCOPE).await;
            let reply = get(&sim, &token, "api/alerts?$expand=evidence").await;
            let page = parse_page::<Alert>(&reply.body).unwrap();
            assert_eq!(page.parsed().count(), 5);
            assert!(
                page.parsed()
                    .all(|p| p.alert.aad_tenant_id.as_deref() == Some(tenant.as_str()))
            );
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let stats = sim.stats();
    assert_eq!(stats.requests, 200);
    assert_eq!(stats.tenants.len(), 200);
}

#[tokio::test]
async fn one_tenant_pages_through_25000_alerts() {
    let sim = quiet()
        .tenants(1)
        .alerts_per_tenant(25_000)
        .start()
        .await
        .unwrap();
    let tenant = sim.tenants()[0].id.clone();
    let token = token(&sim, &tenant, MDE_SCOPE).await;
    let mut seen = BTreeSet::new();
    let mut skip = 0;
    loop {
        let reply = get(&sim, &token, &format!("api/alerts?$top=10000&$skip={skip}")).await;
        let page = parse_page::<Alert>(&reply.body).unwrap();
        assert!(page.next_link.is_none());
        for parsed in page.parsed() {
            assert!(seen.insert(parsed.alert.id.clone().unwrap()));
        }
        if page.len() < 10_000 {
            break;
        }
        skip += page.len();
    }
    assert_eq!(seen.len(), 25_000);
}
