//! The simulated Graph `alerts_v2` API: nextLink paging, `$top` limits,
//! `$filter` on `lastUpdateDateTime`, and Graph-shaped alerts.

use crate::sim_support;

use std::collections::BTreeSet;

use defender_siem::models::{GraphAlert, GraphEvidence, parse_page};
use sim_support::*;

#[tokio::test]
async fn pages_follow_next_links_to_the_end() {
    let sim = quiet()
        .tenants(1)
        .alerts_per_tenant(230)
        .no_throttling()
        .start()
        .await
        .unwrap();
    let tenant = sim.tenants()[0].id.clone();
    let token = token(&sim, &tenant, GRAPH_SCOPE).await;
    let mut url = sim
        .graph_base()
        .join("v1.0/security/alerts_v2?$top=100")
        .unwrap()
        .to_string();
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let reply = read(client().get(&url).bearer_auth(&token).send().await.unwrap()).await;
        let page = parse_page::<GraphAlert>(&reply.body).unwrap();
        pages += 1;
        for parsed in page.parsed() {
            let alert = &parsed.alert;
            assert_eq!(alert.tenant_id.as_deref(), Some(tenant.as_str()));
            assert!(alert.extra.is_empty(), "{:?}", alert.extra.keys());
            let evidence = alert.evidence.as_ref().unwrap();
            assert!(matches!(evidence[0], GraphEvidence::Device(_)));
            assert!(
                evidence
                    .iter()
                    .all(|e| !matches!(e, GraphEvidence::Unknown(_))),
                "{evidence:?}"
            );
            seen.push(alert.id.clone().unwrap());
        }
        match page.next_link {
            Some(next) => url = next,
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 230);
    assert_eq!(
        seen.iter().collect::<BTreeSet<_>>().len(),
        230,
        "no alert twice"
    );
}

#[tokio::test]
async fn top_above_1000_is_rejected_and_filters_apply() {
    let sim = quiet()
        .tenants(1)
        .alerts_per_tenant(120)
        .start()
        .await
        .unwrap();
    let tenant = sim.tenants()[0].id.clone();
    let token = token(&sim, &tenant, GRAPH_SCOPE).await;
    assert_api_error(
        &get(&sim, &token, "v1.0/security/alerts_v2?$top=1001").await,
        400,
        "BadRequest",
    );
    let all = values(&get(&sim, &token, "v1.0/security/alerts_v2?$top=1000").await);
    assert_eq!(all.len(), 120);
    let cursor = all[60]["lastUpdateDateTime"].as_str().unwrap().to_owned();
    let cut: defender_siem::models::Timestamp = cursor.parse().unwrap();
    let want = all
        .iter()
        .filter(|a| {
            a["lastUpdateDateTime"]
                .as_str()
                .unwrap()
                .parse::<defender_siem::models::Timestamp>()
                .unwrap()
                >= cut
        })
        .count();
    let got = values(
        &get(
            &sim,
            &token,
            &format!("v1.0/security/alerts_v2?$top=1000&$filter=lastUpdateDateTime+ge+{cursor}"),
        )
        .await,
    );
    assert_eq!(got.len(), want);
    let high = values(
        &get(
            &sim,
            &token,
            "v1.0/security/alerts_v2?$top=1000&$filter=severity+eq+'high'",
        )
        .await,
    );
    assert!(!high.is_empty() && high.iter().all(|a| a["severity"] == "high"));
    assert_api_error(
        &get(
            &sim,
            &token,
            "v1.0/security/alerts_v2?$filter=lastUpdateTime+ge+2024-01-01T00:00:00Z",
        )
        .await,
        400,
        "BadRequest",
    );
    // An MDE token is not a Graph token.
    let mde = sim_support::token(&sim, &tenant, MDE_SCOPE).await;
    assert_api_error(
        &get(&sim, &mde, "v1.0/security/alerts_v2").await,
        403,
        "Forbidden",
    );
}
