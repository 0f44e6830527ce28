//! Numbers a server sends are never trusted: a stand-in Entra endpoint
//! (wiremock on 127.0.0.1) answering hostile `expires_in` values, and a
//! stand-in Defender API asking for absurd `Retry-After` waits. Nothing
//! panics; each gives a sensible lifetime or a clear error.

use crate::net;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use defender_siem::Secret;
use defender_siem::auth::{
    ClientSecretCredential, StaticTokenProvider, TokenProvider, TokenSource,
};
use defender_siem::retry::RetryPolicy;
use net::{CLIENT_ID, TENANT_A, alert, client, endpoints, page, tenant};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const MDE_SCOPE: &str = "https://api.securitycenter.microsoft.com/.default";

/// A stand-in serving a token with this `expires_in` (as raw JSON text) and
/// one page of alerts to any bearer.
async fn stand_in(expires_in: &str) -> MockServer {
    let server = MockServer::start().await;
    let body = format!(
        r#"{{"token_type":"Bearer","access_token":"tok-hostile","expires_in":{expires_in}}}"#
    );
    Mock::given(method("POST"))
        .and(path(format!("/{TENANT_A}/oauth2/v2.0/token")))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/alerts"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(page(vec![alert("a1", "2024-05-02T10:00:00Z")])),
        )
        .mount(&server)
        .await;
    server
}

fn credential(server: &MockServer) -> ClientSecretCredential {
    ClientSecretCredential::new(CLIENT_ID, Secret::new("client-s3cr3t"))
        .unwrap()
        .with_endpoints(&endpoints(server))
        .with_retry(RetryPolicy::never())
}

#[tokio::test]
async fn huge_expires_in_is_clamped_to_a_day_and_list_alerts_works() {
    for huge in [
        "10000000000000",
        "9223372036854775807",
        "18446744073709551615",
        "1e300",
        "\"1e300\"",
    ] {
        let server = stand_in(huge).await;
        let before = Utc::now();
        let token = credential(&server)
            .fetch(&tenant(TENANT_A), MDE_SCOPE)
            .await
            .unwrap_or_else(|e| panic!("{huge}: {e}"));
        let lifetime = (token.expires_at() - before).num_seconds();
        assert!((86_390..=86_400).contains(&lifetime), "{huge}: {lifetime}");

        // Through the cache and the client, as the forwarder does.
        let tokens: Arc<dyn TokenProvider> = Arc::new(credential(&server).cached());
        let got = client(&server, tokens)
            .alerts(&tenant(TENANT_A))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{huge}: {e}"));
        assert_eq!(got.alerts.len(), 1, "{huge}");
    }
}

#[tokio::test]
async fn a_string_expires_in_still_works() {
    let server = stand_in("\"3600\"").await;
    let before = Utc::now();
    let token = credential(&server)
        .fetch(&tenant(TENANT_A), MDE_SCOPE)
        .await
        .unwrap();
    let lifetime = (token.expires_at() - before).num_seconds();
    assert!((3590..=3600).contains(&lifetime), "{lifetime}");
}

#[tokio::test]
async fn unusable_expires_in_is_a_clear_error_naming_the_tenant_and_field() {
    for (value, why) in [
        ("-3600", "`expires_in` gives a lifetime of -3600 s"),
        ("0", "`expires_in` gives a lifetime of 0 s"),
        ("-1e300", "`expires_in` gives a lifetime of"),
        ("\"abc\"", "`expires_in` is a text that is not a number"),
    ] {
        let server = stand_in(value).await;
        let tokens: Arc<dyn TokenProvider> = Arc::new(credential(&server).cached());
        let e = client(&server, tokens)
            .alerts(&tenant(TENANT_A))
            .send()
            .await
            .expect_err(value)
            .to_string();
        assert!(e.contains(why), "{value}: {e}");
        assert!(e.contains(TENANT_A), "{value}: {e}");
        assert!(
            !e.contains("tok-hostile") && !e.contains("client-s3cr3t"),
            "{e}"
        );
    }
}

#[tokio::test]
async fn a_far_expires_on_is_clamped_to_a_day() {
    let server = MockServer::start().await;
    let far: Value = json!({"access_token": "t", "expires_on": i64::MAX});
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(far))
        .mount(&server)
        .await;
    let before = Utc::now();
    let token = credential(&server)
        .fetch(&tenant(TENANT_A), MDE_SCOPE)
        .await
        .unwrap();
    assert!((token.expires_at() - before).num_seconds() <= 86_400);
}

#[tokio::test]
async fn absurd_retry_after_never_overflows_and_ends_the_call() {
    for wait in [
        "1000000000000000000",
        "1e300",
        "Fri, 31 Dec 9999 23:59:59 GMT",
    ] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/api/alerts"))
            .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", wait))
            .mount(&server)
            .await;
        let started = Instant::now();
        let e = client(&server, Arc::new(StaticTokenProvider::new("t")))
            .alerts(&tenant(TENANT_A))
            .send()
            .await
            .expect_err(wait);
        assert_eq!(e.status(), Some(429), "{wait}: {e}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{wait}: waited {:?}",
            started.elapsed()
        );
    }
}
