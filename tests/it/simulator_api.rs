//! The simulated Defender for Endpoint alerts API: OData options, ordering,
//! auth errors, tenant isolation, determinism, ground truth, late arrivals,
//! and alerts that parse with the crate's own models.

use crate::sim_support;

use std::collections::BTreeSet;
use std::time::Duration;

use defender_siem::models::{Alert, AlertStatus, parse_page};
use defender_siem::simulator::Simulator;
use serde_json::Value;
use sim_support::*;

#[tokio::test]
async fn generated_pages_parse_with_the_models_and_look_real() {
    let sim = quiet()
        .tenants(1)
        .alerts_per_tenant(300)
        .seed(11)
        .start()
        .await
        .unwrap();
    let tenant = sim.tenants()[0].clone();
    let token = token(&sim, &tenant.id, MDE_SCOPE).await;
    let reply = get(&sim, &token, "api/alerts?$expand=evidence").await;
    let page = parse_page::<Alert>(&reply.body).unwrap();
    assert_eq!(page.len(), 300);
    assert!(page.next_link.is_none(), "the MDE API sends no nextLink");
    let mut sources = BTreeSet::new();
    let mut severities = BTreeSet::new();
    let mut statuses = BTreeSet::new();
    let mut evidence_kinds = BTreeSet::new();
    for parsed in page.alerts.iter() {
        let parsed = parsed.as_ref().unwrap();
        let alert = &parsed.alert;
        assert!(
            alert.extra.is_empty(),
            "unmodelled members: {:?}",
            alert.extra.keys()
        );
        assert_eq!(alert.aad_tenant_id.as_deref(), Some(tenant.id.as_str()));
        assert!(alert.id.as_deref().unwrap().starts_with("da"));
        assert!(
            alert
                .computer_dns_name
                .as_deref()
                .unwrap()
                .ends_with(".local")
        );
        assert!(alert.rbac_group_name.is_some() && alert.machine_id.as_ref().unwrap().len() == 40);
        assert!(alert.last_update_time >= alert.alert_creation_time);
        sources.insert(format!("{:?}", alert.detection_source));
        severities.insert(format!("{:?}", alert.severity));
        statuses.insert(format!("{:?}", alert.status));
        if alert.status == Some(AlertStatus::Resolved) {
            assert!(alert.classification.is_some() && alert.determination.is_some());
            assert!(alert.resolved_time.is_some() && !alert.comments.as_ref().unwrap().is_empty());
        }
        for evidence in alert.evidence_items() {
            evidence_kinds.insert(format!("{:?}", evidence.entity_type));
            assert!(evidence.extra.is_empty());
        }
        let raw: Value = serde_json::from_str(parsed.raw.get()).unwrap();
        assert_eq!(raw.as_object().unwrap().len(), 29, "every member is sent");
    }
    assert!(sources.len() >= 5, "{sources:?}");
    assert_eq!(severities.len(), 4, "{severities:?}");
    assert_eq!(statuses.len(), 3, "{statuses:?}");
    assert!(evidence_kinds.len() >= 5, "{evidence_kinds:?}");
}

#[tokio::test]
async fn filters_top_skip_and_expand() {
    let sim = quiet()
        .tenants(1)
        .alerts_per_tenant(200)
        .start()
        .await
        .unwrap();
    let tenant = sim.tenants()[0].id.clone();
    let token = token(&sim, &tenant, MDE_SCOPE).await;
    let all = values(&get(&sim, &token, "api/alerts").await);
    assert_eq!(all.len(), 200);
    assert!(
        all.iter().all(|a| a["evidence"] == Value::Array(vec![])),
        "no evidence without $expand"
    );
    let keys: Vec<(String, String)> = all
        .iter()
        .map(|a| {
            (
                a["lastUpdateTime"].as_str().unwrap().to_owned(),
                a["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let stamps: Vec<_> = all
        .iter()
        .map(|a| {
            a["lastUpdateTime"]
                .as_str()
                .unwrap()
                .parse::<defender_siem::models::Timestamp>()
                .unwrap()
        })
        .collect();
    assert!(
        stamps.windows(2).all(|w| w[0] <= w[1]),
        "ordered by lastUpdateTime"
    );

    // $top / $skip slice the same order.
    let page = values(&get(&sim, &token, "api/v1.0/alerts?$top=30&$skip=50").await);
    assert_eq!(ids(&page), ids(&all[50..80]));
    assert!(values(&get(&sim, &token, "api/alerts?$skip=1000").await).is_empty());

    // lastUpdateTime ge: exactly the alerts at or after a cursor.
    let cursor = &keys[120].0;
    let since = values(
        &get(
            &sim,
            &token,
            &format!("api/alerts?$filter=lastUpdateTime+ge+{cursor}"),
        )
        .await,
    );
    assert_eq!(
        since.len(),
        stamps.iter().filter(|s| **s >= stamps[120]).count()
    );
    assert_eq!(since.first().unwrap()["id"], all[120]["id"]);

    // Combinations with and, or, parentheses, enums and numbers.
    let filter = "(severity eq 'High' or severity eq 'Medium') and status ne 'Resolved' and detectionSource eq 'WindowsDefenderAtp'";
    let url = format!("api/alerts?$filter={}", urlencode(filter));
    let got = values(&get(&sim, &token, &url).await);
    let want: Vec<&Value> = all
        .iter()
        .filter(|a| {
            (a["severity"] == "High" || a["severity"] == "Medium")
                && a["status"] != "Resolved"
                && a["detectionSource"] == "WindowsDefenderAtp"
        })
        .collect();
    assert!(!want.is_empty());
    assert_eq!(got.len(), want.len());
    let incident = all[7]["incidentId"].as_i64().unwrap();
    let by_incident = values(
        &get(
            &sim,
            &token,
            &format!("api/alerts?$filter=incidentId+eq+{incident}"),
        )
        .await,
    );
    assert!(by_incident.iter().all(|a| a["incidentId"] == incident) && !by_incident.is_empty());
    let id = all[3]["id"].as_str().unwrap();
    let by_id = values(
        &get(
            &sim,
            &token,
            &format!("api/alerts?$filter={}", urlencode(&format!("id eq '{id}'"))),
        )
        .await,
    );
    assert_eq!(ids(&by_id), vec![id.to_owned()]);
    let created = all[3]["alertCreationTime"].as_str().unwrap();
    let by_created = values(
        &get(
            &sim,
            &token,
            &format!(
                "api/alerts?$filter=alertCreationTime+le+{created}+and+category+eq+'{}'",
                all[3]["category"].as_str().unwrap()
            ),
        )
        .await,
    );
    assert!(by_created.iter().any(|a| a["id"] == id));

    // $expand=evidence fills evidence.
    let expanded = values(&get(&sim, &token, "api/alerts?$top=5&$expand=evidence").await);
    assert!(
        expanded
            .iter()
            .all(|a| !a["evidence"].as_array().unwrap().is_empty())
    );
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn bad_queries_are_odata_errors() {
    let sim = quiet()
        .tenants(1)
        .alerts_per_tenant(3)
        .start()
        .await
        .unwrap();
    let token = token(&sim, &sim.tenants()[0].id.clone(), MDE_SCOPE).await;
    for query in [
        "$top=10001",
        "$top=-1",
        "$top=ten",
        "$skip=x",
        "$expand=machine",
        "$filter=lastUpdateTime+gx+2024-01-01T00:00:00Z",
        "$filter=lastUpdateTime+ge+'2024-01-01T00:00:00Z'",
        "$filter=severity+eq+High",
        "$filter=(severity+eq+'High'",
        "$filter=nosuchfield+eq+'x'",
        "$filter=%00%FF",
    ] {
        let reply = get(&sim, &token, &format!("api/alerts?{query}")).await;
        assert_api_error(&reply, 400, "ODataError");
        assert!(reply.json()["error"]["target"].is_string());
    }
    assert_eq!(get(&sim, &token, "api/alerts?$top=10000").await.status, 200);
}

#[tokio::test]
async fn get_one_alert_and_404() {
    let sim = quiet()
        .tenants(1)
        .alerts_per_tenant(5)
        .start()
        .await
        .unwrap();
    let token = token(&sim, &sim.tenants()[0].id.clone(), MDE_SCOPE).await;
    let all = values(&get(&sim, &token, "api/alerts?$expand=evidence").await);
    let id = all[2]["id"].as_str().unwrap();
    let one = get(&sim, &token, &format!("api/alerts/{id}")).await.json();
    assert_eq!(one["id"], id);
    assert_eq!(one["evidence"], all[2]["evidence"]);
    assert!(
        one["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#Alerts/$entity")
    );
    assert_api_error(
        &get(&sim, &token, "api/alerts/da000_1").await,
        404,
        "ResourceNotFound",
    );
}

#[tokio::test]
async fn tokens_are_checked() {
    let sim = quiet()
        .tenants(3)
        .alerts_per_tenant(5)
        .missing_role(2)
        .token_lifetime(Duration::from_secs(600))
        .start()
        .await
        .unwrap();
    let t0 = sim.tenants()[0].id.clone();
    let reply = read(
        client()
            .get(sim.api_base().join("api/alerts").unwrap())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_api_error(&reply, 401, "Unauthorized");
    assert_api_error(
        &get(&sim, "not.a.token", "api/alerts").await,
        401,
        "Unauthorized",
    );

    // A token from another simulator (another seed) is foreign.
    let other = quiet().seed(99).tenants(1).start().await.unwrap();
    let foreign = token(&other, &other.tenants()[0].id.clone(), MDE_SCOPE).await;
    assert_api_error(
        &get(&sim, &foreign, "api/alerts").await,
        401,
        "Unauthorized",
    );

    // Expiry follows the simulator's clock.
    let token0 = token(&sim, &t0, MDE_SCOPE).await;
    assert_eq!(get(&sim, &token0, "api/alerts").await.status, 200);
    sim.advance(Duration::from_secs(601));
    assert_api_error(&get(&sim, &token0, "api/alerts").await, 401, "Unauthorized");

    // Another audience or no role: 403.
    let graph = token(&sim, &t0, GRAPH_SCOPE).await;
    assert_api_error(&get(&sim, &graph, "api/alerts").await, 403, "Forbidden");
    let no_role = token(&sim, &sim.tenants()[2].id.clone(), MDE_SCOPE).await;
    let claims = claims(&no_role);
    assert!(claims.get("roles").is_none(), "{claims}");
    assert_api_error(&get(&sim, &no_role, "api/alerts").await, 403, "Forbidden");
}

/// Decodes a JWT's claims.
pub fn claims(token: &str) -> Value {
    use base64::Engine as _;
    let part = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn a_tenant_token_never_sees_another_tenants_alerts() {
    let sim = quiet()
        .tenants(3)
        .alerts_per_tenant(40)
        .start()
        .await
        .unwrap();
    let mut seen = BTreeSet::new();
    for tenant in sim.tenants().to_vec() {
        let token = token(&sim, &tenant.id, MDE_SCOPE).await;
        let alerts = values(&get(&sim, &token, "api/alerts").await);
        assert_eq!(alerts.len(), 40);
        for alert in &alerts {
            assert_eq!(alert["aadTenantId"], tenant.id.as_str());
            assert!(
                seen.insert(alert["id"].as_str().unwrap().to_owned()),
                "id shared by tenants"
            );
        }
        // Nor can it fetch one of them by id.
        for other in sim.tenants().iter().filter(|t| t.id != tenant.id) {
            let theirs = sim.ground_truth(&other.id).unwrap();
            let id = theirs[0]["id"].as_str().unwrap();
            assert_eq!(
                get(&sim, &token, &format!("api/alerts/{id}")).await.status,
                404
            );
        }
    }
}

#[tokio::test]
async fn same_seed_same_data_other_seed_other_data() {
    let a = quiet()
        .tenants(2)
        .alerts_per_tenant(25)
        .seed(5)
        .start()
        .await
        .unwrap();
    let b = quiet()
        .tenants(2)
        .alerts_per_tenant(25)
        .seed(5)
        .start()
        .await
        .unwrap();
    let c = quiet()
        .tenants(2)
        .alerts_per_tenant(25)
        .seed(6)
        .start()
        .await
        .unwrap();
    assert_eq!(a.tenants(), b.tenants());
    assert_eq!(a.client_secret(), b.client_secret());
    assert_ne!(a.tenants()[0].id, c.tenants()[0].id);
    for tenant in a.tenants().to_vec() {
        let ta = token(&a, &tenant.id, MDE_SCOPE).await;
        let tb = token(&b, &tenant.id, MDE_SCOPE).await;
        let pa = get(&a, &ta, "api/alerts?$expand=evidence").await.json()["value"].clone();
        let pb = get(&b, &tb, "api/alerts?$expand=evidence").await.json()["value"].clone();
        assert_eq!(pa, pb);
        assert_eq!(a.ground_truth(&tenant.id), b.ground_truth(&tenant.id));
    }
}

#[tokio::test]
async fn time_moves_alerts_forward_and_ground_truth_tracks_the_api() {
    let sim = Simulator::builder()
        .manual_clock()
        .tenants(1)
        .alerts_per_tenant(60)
        .new_alerts_per_hour(10.0)
        .late_rate(0.0)
        .no_throttling()
        .start()
        .await
        .unwrap();
    let tenant = sim.tenants()[0].id.clone();
    let token_url = "api/alerts?$expand=evidence";
    let before = sim.ground_truth(&tenant).unwrap();
    sim.advance(Duration::from_secs(3 * 3600));
    let token = token(&sim, &tenant, MDE_SCOPE).await;
    let after = values(&get(&sim, &token, token_url).await);
    assert_eq!(
        after,
        sim.ground_truth(&tenant).unwrap(),
        "ground truth is what the API shows"
    );
    assert!(
        after.len() >= before.len() + 29,
        "{} -> {}",
        before.len(),
        after.len()
    );
    let old: std::collections::HashMap<&str, &Value> = before
        .iter()
        .map(|a| (a["id"].as_str().unwrap(), a))
        .collect();
    let updated = after
        .iter()
        .filter(|a| {
            old.get(a["id"].as_str().unwrap())
                .is_some_and(|o| o["lastUpdateTime"] != a["lastUpdateTime"])
        })
        .count();
    assert!(updated > 0, "some existing alerts were updated");
    // The introspection route serves the same ground truth.
    let url = sim
        .api_base()
        .join(&format!("_sim/alerts?tenant={tenant}"))
        .unwrap();
    let served = read(client().get(url).send().await.unwrap()).await.json();
    assert_eq!(served["value"].as_array().unwrap(), &after);
}

#[tokio::test]
async fn late_versions_appear_minutes_after_their_last_update_time() {
    let sim = Simulator::builder()
        .manual_clock()
        .tenants(1)
        .alerts_per_tenant(0)
        .new_alerts_per_hour(30.0)
        .late_rate(1.0)
        .late_delay(Duration::from_secs(300), Duration::from_secs(600))
        .start()
        .await
        .unwrap();
    let tenant = sim.tenants()[0].id.clone();
    sim.advance(Duration::from_secs(3600));
    let now = sim.now();
    let visible = sim.ground_truth(&tenant).unwrap();
    assert!(!visible.is_empty());
    for alert in &visible {
        let updated: defender_siem::models::Timestamp =
            alert["lastUpdateTime"].as_str().unwrap().parse().unwrap();
        let age = now - updated.as_datetime();
        assert!(
            age >= chrono::TimeDelta::seconds(300),
            "a late alert is visible only 5+ minutes after its lastUpdateTime"
        );
    }
    // An API poll "since an hour ago" now finds alerts whose lastUpdateTime is
    // well before the previous poll would have been.
    let token = token(&sim, &tenant, MDE_SCOPE).await;
    let listed = values(&get(&sim, &token, "api/alerts").await);
    assert_eq!(ids(&listed), ids(&visible));
    sim.advance(Duration::from_secs(600));
    assert!(sim.ground_truth(&tenant).unwrap().len() > visible.len());
}
