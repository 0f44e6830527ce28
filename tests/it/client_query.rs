//! What the client puts on the wire: paths, exact query strings, headers.

use crate::net;

use std::sync::Arc;

use defender_siem::Error;
use defender_siem::auth::StaticTokenProvider;
use defender_siem::client::{Cmp, DefenderClient};
use defender_siem::models::{
    AlertStatus, DetectionSource, GraphSeverity, GraphStatus, Severity, Timestamp,
};
use net::{TENANT_A, alert, client, page, real_fixture, tenant};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

async fn last_query(server: &MockServer) -> String {
    let requests = server.received_requests().await.unwrap();
    requests
        .last()
        .unwrap()
        .url
        .query()
        .unwrap_or("")
        .to_owned()
}

#[tokio::test]
async fn full_defender_query_string_on_the_wire() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/alerts"))
        .and(header("authorization", "Bearer test-token"))
        .and(header("user-agent", "MdatpPartner-Contoso-AlertBridge/1.2.3"))
        .and(header("accept", "application/json"))
        .and(query_param(
            "$filter",
            "lastUpdateTime ge 2024-05-02T09:14:05.2Z and lastUpdateTime lt 2024-05-03T00:00:00Z \
             and alertCreationTime gt 2024-04-01T00:00:00Z and alertCreationTime le 2024-05-01T00:00:00.1234567Z \
             and (severity eq 'High' or severity eq 'Medium') and status eq 'New' \
             and detectionSource eq 'WindowsDefenderAtp' and category eq 'Execution' and incidentId eq 42",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(vec![alert("a1", "2024-05-02T10:00:00Z")])))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server, Arc::new(StaticTokenProvider::new("test-token")));
    let page = client
        .alerts(&tenant(TENANT_A))
        .updated_since(ts("2024-05-02T09:14:05.2000000Z"))
        .last_update_time(Cmp::Lt, ts("2024-05-03T00:00:00Z"))
        .created(Cmp::Gt, ts("2024-04-01T00:00:00Z"))
        .created(Cmp::Le, ts("2024-05-01T00:00:00.1234567Z"))
        .severities([Severity::High, Severity::Medium])
        .status(AlertStatus::New)
        .detection_sources([DetectionSource::WindowsDefenderAtp])
        .categories(["Execution"])
        .incident_id(42)
        .top(10_000)
        .skip(200)
        .expand_evidence()
        .send()
        .await
        .unwrap();
    assert_eq!(page.parsed().count(), 1);
    assert_eq!(
        last_query(&server).await,
        "$filter=lastUpdateTime%20ge%202024-05-02T09:14:05.2Z%20and%20lastUpdateTime%20lt%202024-05-03T00:00:00Z\
         %20and%20alertCreationTime%20gt%202024-04-01T00:00:00Z%20and%20alertCreationTime%20le%202024-05-01T00:00:00.1234567Z\
         %20and%20(severity%20eq%20%27High%27%20or%20severity%20eq%20%27Medium%27)%20and%20status%20eq%20%27New%27\
         %20and%20detectionSource%20eq%20%27WindowsDefenderAtp%27%20and%20category%20eq%20%27Execution%27\
         %20and%20incidentId%20eq%2042&$top=10000&$skip=200&$expand=evidence"
    );
}

#[tokio::test]
async fn no_options_means_no_query_and_top_is_validated() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/alerts"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(vec![])))
        .mount(&server)
        .await;
    let client = client(&server, Arc::new(StaticTokenProvider::new("t")));
    client.alerts(&tenant(TENANT_A)).send().await.unwrap();
    assert_eq!(
        server.received_requests().await.unwrap()[0].url.query(),
        None
    );
    for bad in [0, 10_001] {
        let err = client
            .alerts(&tenant(TENANT_A))
            .top(bad)
            .send()
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{err}");
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn one_alert_by_id_keeps_its_raw_bytes() {
    let server = MockServer::start().await;
    let body = real_fixture("mde_alert_single_with_evidence_docs.json");
    let id = serde_json::from_slice::<serde_json::Value>(&body).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    Mock::given(method("GET"))
        .and(path(format!("/api/alerts/{id}")))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body.clone(), "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server, Arc::new(StaticTokenProvider::new("t")));
    let parsed = client.alert(&tenant(TENANT_A), &id).await.unwrap();
    assert_eq!(parsed.alert.id.as_deref(), Some(id.as_str()));
    assert_eq!(
        parsed.raw.get().trim(),
        std::str::from_utf8(&body).unwrap().trim()
    );
}

#[tokio::test]
async fn graph_query_sends_prefer_and_filters() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/security/alerts_v2"))
        .and(header("prefer", "include-unknown-enum-members"))
        .and(query_param(
            "$filter",
            "lastUpdateDateTime ge 2024-05-02T00:00:00Z and createdDateTime lt 2024-06-01T00:00:00Z \
             and (severity eq 'high' or severity eq 'medium') and status eq 'new'",
        ))
        .and(query_param("$top", "1000"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            real_fixture("graph_alerts_v2_list_page_docs.json"),
            "application/json",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server, Arc::new(StaticTokenProvider::new("t")));
    let page = client
        .graph_alerts(&tenant(TENANT_A))
        .updated_since(ts("2024-05-02T00:00:00Z"))
        .created(Cmp::Lt, ts("2024-06-01T00:00:00Z"))
        .severities([GraphSeverity::High, GraphSeverity::Medium])
        .statuses([GraphStatus::New])
        .top(1000)
        .send()
        .await
        .unwrap();
    assert!(page.parsed().count() >= 1);
    let err = client
        .graph_alerts(&tenant(TENANT_A))
        .top(1001)
        .send()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("1..=1000"), "{err}");
}

#[test]
fn builder_validates() {
    let no_tokens = DefenderClient::builder().build().unwrap_err();
    assert!(no_tokens.to_string().contains("token provider"));
    let tokens = Arc::new(StaticTokenProvider::new("t"));
    let bad_ua = DefenderClient::builder()
        .token_provider(tokens.clone())
        .user_agent("Mozilla/5.0")
        .build()
        .unwrap_err();
    assert!(bad_ua.to_string().contains("MdatpPartner-"));
    let plain_remote = DefenderClient::builder()
        .token_provider(tokens.clone())
        .endpoints(
            defender_siem::cloud::Endpoints::default()
                .with_mde_api("http://api.example.com".parse().unwrap()),
        )
        .build()
        .unwrap_err();
    assert!(plain_remote.to_string().contains("https"), "{plain_remote}");
    let bad_ca = DefenderClient::builder()
        .token_provider(tokens.clone())
        .add_root_certificate_pem(
            b"-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n".to_vec(),
        )
        .build()
        .unwrap_err();
    assert!(bad_ca.to_string().contains("CA bundle"), "{bad_ca}");
    let good_ca = DefenderClient::builder()
        .token_provider(tokens)
        .add_root_certificate_pem(net::auth_fixture("test_app.cert.pem"))
        .build();
    assert!(good_ca.is_ok());
}

#[test]
fn client_streams_and_futures_are_send() {
    fn is_send<T: Send + Sync>(_: &T) {}
    fn is_send_only<T: Send>(_: &T) {}
    let client = DefenderClient::builder()
        .token_provider(Arc::new(StaticTokenProvider::new("t")))
        .build()
        .unwrap();
    is_send(&client);
    let query = client.alerts(&tenant(TENANT_A));
    is_send_only(&query.send());
    is_send_only(&query.clone().stream());
    is_send_only(&client.graph_alerts(&tenant(TENANT_A)).stream());
    is_send_only(&client.verify_access(&tenant(TENANT_A)));
}
