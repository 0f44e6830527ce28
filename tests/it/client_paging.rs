//! Paging: nextLink, $skip, short pages, the 10,000 cap (window split),
//! foreign next links, and malformed alerts that do not stop a stream.

use crate::net;

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use defender_siem::Error;
use defender_siem::auth::StaticTokenProvider;
use defender_siem::client::DefenderClient;
use defender_siem::models::Timestamp;
use futures_util::StreamExt;
use net::{TENANT_A, alert, client, page, tenant};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

fn test_client(server: &MockServer) -> DefenderClient {
    client(server, Arc::new(StaticTokenProvider::new("t")))
}

async fn queries(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.query().unwrap_or("").to_owned())
        .collect()
}

#[tokio::test]
async fn follows_next_link_until_a_page_has_none() {
    let server = MockServer::start().await;
    let mut first = page(vec![
        alert("a1", "2024-01-01T00:00:00Z"),
        alert("a2", "2024-01-01T00:00:01Z"),
    ]);
    first["@odata.nextLink"] = json!(format!("{}/api/alerts?$skiptoken=p2", server.uri()));
    Mock::given(method("GET"))
        .and(path("/api/alerts"))
        .and(query_param_is_missing("$skiptoken"))
        .respond_with(ResponseTemplate::new(200).set_body_json(first))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(query_param("$skiptoken", "p2"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(page(vec![alert("a3", "2024-01-01T00:00:02Z")])),
        )
        .expect(1)
        .mount(&server)
        .await;
    let ids: Vec<String> = test_client(&server)
        .alerts(&tenant(TENANT_A))
        .top(2)
        .stream()
        .map(|r| r.unwrap().alert.id.unwrap())
        .collect()
        .await;
    assert_eq!(ids, ["a1", "a2", "a3"]);
}

#[tokio::test]
async fn pages_with_skip_and_stops_at_a_short_page() {
    let server = MockServer::start().await;
    for (skip, ids) in [
        (None, ["a1", "a2"].as_slice()),
        (Some("2"), &["a3", "a4"]),
        (Some("4"), &["a5"]),
    ] {
        let alerts = ids
            .iter()
            .map(|id| alert(id, "2024-01-01T00:00:00Z"))
            .collect();
        let mock = Mock::given(method("GET")).and(query_param("$top", "2"));
        let mock = match skip {
            Some(s) => mock.and(query_param("$skip", s)),
            None => mock.and(query_param_is_missing("$skip")),
        };
        mock.respond_with(ResponseTemplate::new(200).set_body_json(page(alerts)))
            .expect(1)
            .mount(&server)
            .await;
    }
    let ids: Vec<String> = test_client(&server)
        .alerts(&tenant(TENANT_A))
        .updated_since("2024-01-01T00:00:00Z".parse().unwrap())
        .top(2)
        .stream()
        .map(|r| r.unwrap().alert.id.unwrap())
        .collect()
        .await;
    assert_eq!(ids, ["a1", "a2", "a3", "a4", "a5"]);
    assert_eq!(
        queries(&server).await,
        [
            "$filter=lastUpdateTime%20ge%202024-01-01T00:00:00Z&$top=2",
            "$filter=lastUpdateTime%20ge%202024-01-01T00:00:00Z&$top=2&$skip=2",
            "$filter=lastUpdateTime%20ge%202024-01-01T00:00:00Z&$top=2&$skip=4",
        ]
    );
}

#[tokio::test]
async fn an_alert_repeated_across_pages_is_yielded_once() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(query_param_is_missing("$skip"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(vec![
            alert("a1", "2024-01-01T00:00:00Z"),
            alert("a2", "2024-01-01T00:00:00Z"),
        ])))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(query_param("$skip", "2"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(page(vec![alert("a2", "2024-01-01T00:00:00Z")])),
        )
        .mount(&server)
        .await;
    let ids: Vec<String> = test_client(&server)
        .alerts(&tenant(TENANT_A))
        .top(2)
        .stream()
        .map(|r| r.unwrap().alert.id.unwrap())
        .collect()
        .await;
    assert_eq!(ids, ["a1", "a2"]);
}

#[tokio::test]
async fn a_malformed_alert_is_reported_and_the_rest_still_arrive() {
    let server = MockServer::start().await;
    let mut bad = alert("bad", "2024-01-01T00:00:00Z");
    bad["lastUpdateTime"] = json!("not a time");
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(vec![
            alert("a1", "2024-01-01T00:00:00Z"),
            bad,
            alert("a3", "2024-01-01T00:00:00Z"),
        ])))
        .mount(&server)
        .await;
    let items: Vec<_> = test_client(&server)
        .alerts(&tenant(TENANT_A))
        .top(10)
        .stream()
        .collect()
        .await;
    assert_eq!(items.len(), 3);
    assert_eq!(items[0].as_ref().unwrap().alert.id.as_deref(), Some("a1"));
    match &items[1] {
        Err(Error::MalformedAlert(m)) => {
            assert_eq!(m.id(), Some("bad"));
            assert_eq!(m.path(), "$.lastUpdateTime");
            assert!(m.raw().get().contains("not a time"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(items[2].as_ref().unwrap().alert.id.as_deref(), Some("a3"));
}

#[tokio::test]
async fn a_next_link_to_another_host_is_never_followed() {
    let server = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    let mut first = page(vec![alert("a1", "2024-01-01T00:00:00Z")]);
    first["@odata.nextLink"] = json!(format!("{}/api/alerts?$skiptoken=steal", elsewhere.uri()));
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(first))
        .mount(&server)
        .await;
    let items: Vec<_> = test_client(&server)
        .alerts(&tenant(TENANT_A))
        .stream()
        .collect()
        .await;
    assert_eq!(items.len(), 2);
    assert!(items[0].is_ok());
    let err = items[1].as_ref().unwrap_err();
    assert!(matches!(err, Error::Protocol(_)), "{err:?}");
    assert!(err.to_string().contains("nextLink"), "{err}");
    assert!(elsewhere.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn graph_follows_next_link() {
    let server = MockServer::start().await;
    let graph_alert = |id: &str| json!({"id": id, "severity": "high", "serviceSource": "microsoftDefenderForEndpoint"});
    let first = json!({
        "value": [graph_alert("g1"), graph_alert("g2")],
        "@odata.nextLink": format!("{}/v1.0/security/alerts_v2?$skiptoken=x", server.uri()),
    });
    Mock::given(method("GET"))
        .and(path("/v1.0/security/alerts_v2"))
        .and(query_param_is_missing("$skiptoken"))
        .respond_with(ResponseTemplate::new(200).set_body_json(first))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(query_param("$skiptoken", "x"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"value": [graph_alert("g3")]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let ids: Vec<String> = test_client(&server)
        .graph_alerts(&tenant(TENANT_A))
        .stream()
        .map(|r| r.unwrap().alert.id.unwrap())
        .collect()
        .await;
    assert_eq!(ids, ["g1", "g2", "g3"]);
}

/// A stand-in for `/api/alerts`: applies `lastUpdateTime ge/lt`, `$top`
/// and `$skip` to a fixed data set in an order unrelated to time, and never
/// returns anything at or past offset 10,000.
struct FakeAlertsApi {
    alerts: Vec<(String, DateTime<Utc>)>,
}

impl Respond for FakeAlertsApi {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut top = 10_000usize;
        let mut skip = 0usize;
        let mut ge: Option<DateTime<Utc>> = None;
        let mut lt: Option<DateTime<Utc>> = None;
        for (k, v) in request.url.query_pairs() {
            match k.as_ref() {
                "$top" => top = v.parse().unwrap(),
                "$skip" => skip = v.parse().unwrap(),
                "$filter" => {
                    for term in v.split(" and ") {
                        let parts: Vec<&str> = term.split(' ').collect();
                        let at = parts[2].parse::<Timestamp>().unwrap().as_datetime();
                        match (parts[0], parts[1]) {
                            ("lastUpdateTime", "ge") => ge = Some(ge.map_or(at, |g| g.max(at))),
                            ("lastUpdateTime", "lt") => lt = Some(lt.map_or(at, |l| l.min(at))),
                            other => panic!("unexpected term {other:?}"),
                        }
                    }
                }
                other => panic!("unexpected option {other}"),
            }
        }
        assert!(skip < 10_000, "the client asked for $skip={skip}");
        let matching: Vec<Value> = self
            .alerts
            .iter()
            .filter(|(_, t)| ge.is_none_or(|g| *t >= g) && lt.is_none_or(|l| *t < l))
            .skip(skip)
            .take(top.min(10_000 - skip))
            .map(|(id, t)| json!({"id": id, "lastUpdateTime": Timestamp::from_datetime(*t).to_string()}))
            .collect();
        ResponseTemplate::new(200).set_body_json(page(matching))
    }
}

#[tokio::test]
async fn more_than_ten_thousand_alerts_are_read_by_splitting_the_window() {
    let start: DateTime<Utc> = "2024-05-01T00:00:00Z".parse().unwrap();
    // 23,000 alerts over ~6.4 hours, stored in an order unrelated to time.
    let alerts: Vec<(String, DateTime<Utc>)> = (0..23_000u64)
        .map(|i| {
            let scrambled = (i * 7_919) % 23_000;
            (
                format!("da{i:06}"),
                start + Duration::seconds(scrambled as i64),
            )
        })
        .collect();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/alerts"))
        .respond_with(FakeAlertsApi { alerts })
        .mount(&server)
        .await;
    let client = DefenderClient::builder()
        .token_provider(Arc::new(StaticTokenProvider::new("t")))
        .endpoints(net::endpoints(&server))
        .build()
        .unwrap();
    let mut seen = HashSet::new();
    let mut stream = client
        .alerts(&tenant(TENANT_A))
        .updated_since("2024-05-01T00:00:00Z".parse().unwrap())
        .top(4_000)
        .stream();
    while let Some(item) = stream.next().await {
        let id = item.unwrap().alert.id.unwrap();
        assert!(seen.insert(id.clone()), "{id} yielded twice");
    }
    assert_eq!(seen.len(), 23_000);
    let requests = queries(&server).await;
    assert!(
        requests
            .iter()
            .any(|q| q.contains("lastUpdateTime%20lt%20")),
        "the window was split"
    );
    assert!(requests.len() < 40, "{} requests", requests.len());
}

#[tokio::test]
async fn ten_thousand_alerts_at_one_instant_end_with_a_clear_error() {
    let at: DateTime<Utc> = "2024-05-01T00:00:00Z".parse().unwrap();
    let alerts = (0..10_001).map(|i| (format!("same{i}"), at)).collect();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(FakeAlertsApi { alerts })
        .mount(&server)
        .await;
    let items: Vec<_> = test_client(&server)
        .alerts(&tenant(TENANT_A))
        .top(10_000)
        .stream()
        .collect()
        .await;
    assert_eq!(items.iter().filter(|r| r.is_ok()).count(), 10_000);
    let err = items.last().unwrap().as_ref().unwrap_err();
    assert!(
        err.to_string().contains("share one lastUpdateTime"),
        "{err}"
    );
}
