//! Credentials go only to the configured host: every HTTP client of the
//! crate refuses to follow a redirect to another origin (here: another
//! port), and says so.

#![cfg(all(feature = "splunk", feature = "sentinel"))]

use crate::net;
use crate::sink_support;

use std::sync::Arc;
use std::time::Duration;

use defender_siem::auth::{
    ClientSecretCredential, StaticTokenProvider, TokenProvider, TokenSource,
};
use defender_siem::cloud::{Cloud, Endpoints};
use defender_siem::retry::RetryPolicy;
use defender_siem::sink::AlertSink;
use defender_siem::sink::sentinel::SentinelSink;
use defender_siem::sink::splunk_hec::SplunkHecSink;
use defender_siem::{Secret, TenantId};
use url::Url;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

const HEC_TOKEN: &str = "SECRET-CANARY-hec-7f3a91";
const BEARER: &str = "SECRET-CANARY-bearer-7f3a92";
const CLIENT_SECRET: &str = "SECRET-CANARY-client-secret-7f3a93";

/// A server that sends everything to `target` with `status`, and the
/// server that must never be reached.
async fn redirecting(status: u16) -> (MockServer, MockServer) {
    let target = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .mount(&target)
        .await;
    let origin = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(status)
                .insert_header("location", format!("{}/stolen", target.uri()).as_str()),
        )
        .mount(&origin)
        .await;
    (origin, target)
}

async fn assert_untouched(target: &MockServer, what: &str) {
    let seen = target.received_requests().await.unwrap();
    assert!(
        seen.is_empty(),
        "{what}: the redirect target was called: {seen:?}"
    );
}

#[tokio::test]
async fn splunk_hec_does_not_follow_redirects() {
    for status in [302, 307, 308] {
        let (origin, target) = redirecting(status).await;
        let sink = SplunkHecSink::builder(&origin.uri(), HEC_TOKEN)
            .build()
            .unwrap();
        let err = sink.send(&[sink_support::full()]).await.unwrap_err();
        assert_eq!(err.status(), Some(status), "{err}");
        assert!(!err.is_retryable(), "{err}");
        let text = err.to_string();
        assert!(text.contains("redirect"), "{text}");
        assert!(!text.contains(HEC_TOKEN), "{text}");
        assert_eq!(origin.received_requests().await.unwrap().len(), 1);
        assert_untouched(&target, "splunk_hec").await;
    }
}

#[tokio::test]
async fn sentinel_does_not_follow_redirects() {
    for status in [302, 307] {
        let (origin, target) = redirecting(status).await;
        let tokens = Arc::new(StaticTokenProvider::new(BEARER));
        let sink = SentinelSink::builder(
            &origin.uri(),
            "dcr-000a00a000a00000a000000aa000a0aa",
            "Custom-DefenderAlerts_CL",
            tokens,
            TenantId::new("mssp.onmicrosoft.com").unwrap(),
        )
        .build()
        .unwrap();
        let err = sink.send(&[sink_support::full()]).await.unwrap_err();
        assert_eq!(err.status(), Some(status), "{err}");
        let text = err.to_string();
        assert!(text.contains("redirect"), "{text}");
        assert!(!text.contains(BEARER), "{text}");
        assert_untouched(&target, "sentinel").await;
    }
}

#[tokio::test]
async fn the_defender_client_does_not_follow_redirects() {
    let (origin, target) = redirecting(302).await;
    let tokens: Arc<dyn TokenProvider> = Arc::new(StaticTokenProvider::new(BEARER));
    let client = net::client(&origin, tokens);
    let err = client
        .alerts(&net::tenant(net::TENANT_A))
        .top(10)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(302), "{err}");
    let text = err.to_string();
    assert!(!text.contains(BEARER), "{text}");
    assert!(!text.contains('?'), "the query string leaked: {text}");
    assert_untouched(&target, "DefenderClient").await;
}

#[tokio::test]
async fn the_entra_token_request_does_not_follow_redirects() {
    let (origin, target) = redirecting(307).await;
    let url = Url::parse(&origin.uri()).unwrap();
    let credential = ClientSecretCredential::new(net::CLIENT_ID, Secret::new(CLIENT_SECRET))
        .unwrap()
        .with_endpoints(&Endpoints::new(Cloud::Public).with_authority(url))
        .with_retry(
            RetryPolicy::default()
                .max_attempts(1)
                .base_delay(Duration::from_millis(1)),
        );
    let err = credential
        .fetch(
            &net::tenant(net::TENANT_A),
            "https://api.securitycenter.microsoft.com/.default",
        )
        .await
        .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(!text.contains(CLIENT_SECRET), "{text}");
    assert_untouched(&target, "Entra token endpoint").await;
}
