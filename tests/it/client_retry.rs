//! Failures: 401 drops the token and retries once, 429 waits Retry-After
//! (paused time), 5xx retries then gives up clearly, 4xx fails fast with the
//! Defender error's code, message and target.

use crate::net;

use std::sync::Arc;
use std::time::Duration;

use defender_siem::Error;
use defender_siem::auth::StaticTokenProvider;
use defender_siem::client::{DefenderClient, RateLimits};
use defender_siem::retry::RetryPolicy;
use defender_siem::transport::Service;
use net::{
    TENANT_A, TENANT_B, alert, client, drive, endpoints, freeze_auto_advance, page, real_fixture,
    tenant,
};
use tokio::time::Instant;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn count(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

#[tokio::test]
async fn unauthorized_drops_the_token_and_retries_once() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
            "error": {"code": "Unauthorized", "message": "Invalid token", "target": "t-401"}
        })))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(page(vec![alert("a", "2024-01-01T00:00:00Z")])),
        )
        .mount(&server)
        .await;
    let tokens = Arc::new(StaticTokenProvider::new("t"));
    let client = client(&server, tokens.clone());
    let page = client.alerts(&tenant(TENANT_A)).send().await.unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(tokens.invalidations(), 1);
    assert_eq!(tokens.calls(), 2);

    // A second 401 in a row is not retried again.
    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
            "error": {"code": "Unauthorized", "message": "Invalid token", "target": "t-401"}
        })))
        .mount(&server)
        .await;
    let err = client.alerts(&tenant(TENANT_A)).send().await.unwrap_err();
    assert_eq!(count(&server).await, 2);
    assert_eq!(err.status(), Some(401));
    assert_eq!(tokens.invalidations(), 2);
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.code(), Some("Unauthorized"));
    assert!(err.to_string().contains("audience"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn too_many_requests_waits_retry_after() {
    let _frozen = freeze_auto_advance();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "30")
                .set_body_raw(
                    real_fixture("graph_error_429_too_many_requests_docs.json"),
                    "application/json",
                ),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(vec![])))
        .mount(&server)
        .await;
    let client = DefenderClient::builder()
        .token_provider(Arc::new(StaticTokenProvider::new("t")))
        .endpoints(endpoints(&server))
        .timeout(Duration::from_secs(86_400))
        .build()
        .unwrap();
    let start = Instant::now();
    let task = tokio::spawn({
        let client = client.clone();
        async move {
            let result = client.alerts(&tenant(TENANT_A)).send().await;
            (result, Instant::now())
        }
    });
    let (result, finished) = drive(task, Duration::from_secs(1)).await;
    result.unwrap();
    let waited = finished - start;
    assert!(
        waited >= Duration::from_secs(30),
        "retried after {waited:?}"
    );
    assert!(waited < Duration::from_secs(60), "waited {waited:?}");
    assert_eq!(count(&server).await, 2);
}

#[tokio::test(start_paused = true)]
async fn retry_after_beyond_the_limit_gives_up_with_the_wait() {
    let _frozen = freeze_auto_advance();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "7200"))
        .mount(&server)
        .await;
    let client = DefenderClient::builder()
        .token_provider(Arc::new(StaticTokenProvider::new("t")))
        .endpoints(endpoints(&server))
        .retry_policy(RetryPolicy::default().max_retry_after(Duration::from_secs(600)))
        .build()
        .unwrap();
    let task = tokio::spawn(async move { client.alerts(&tenant(TENANT_A)).send().await });
    let err = drive(task, Duration::from_secs(1)).await.unwrap_err();
    assert!(err.is_retryable());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7200)));
    assert_eq!(err.status(), Some(429));
}

#[tokio::test]
async fn server_errors_are_retried_then_reported_clearly() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/alerts"))
        .respond_with(ResponseTemplate::new(503).set_body_json(serde_json::json!({
            "error": {"code": "ServiceUnavailable", "message": "Try later", "target": "t-503"}
        })))
        .expect(3)
        .mount(&server)
        .await;
    let client = client(&server, Arc::new(StaticTokenProvider::new("t")));
    let err = client
        .alerts(&tenant(TENANT_A))
        .top(5)
        .send()
        .await
        .unwrap_err();
    assert!(err.is_retryable());
    assert_eq!(err.status(), Some(503));
    assert_eq!(err.tenant().map(|t| t.as_str()), Some(TENANT_A));
    let text = err.to_string();
    assert!(text.contains("503"), "{text}");
    assert!(text.contains("ServiceUnavailable: Try later"), "{text}");
    assert!(text.contains("t-503"), "{text}");
    assert!(text.contains("gave up after 3 attempts"), "{text}");
    assert!(!text.contains("$top"), "no query string in errors: {text}");
}

#[tokio::test]
async fn client_errors_fail_fast_with_code_message_target() {
    for (status, fixture, code) in [
        (
            400,
            "mde_error_400_invalid_request_body_docs.json",
            "InvalidRequestBody",
        ),
        (
            404,
            "mde_error_404_resource_not_found_docs.json",
            "ResourceNotFound",
        ),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(status)
                    .set_body_raw(real_fixture(fixture), "application/json"),
            )
            .expect(1)
            .mount(&server)
            .await;
        let client = client(&server, Arc::new(StaticTokenProvider::new("t")));
        let err = client.alerts(&tenant(TENANT_A)).send().await.unwrap_err();
        let Error::Api(api) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(api.status(), status);
        assert_eq!(api.code(), Some(code));
        assert!(api.message().is_some());
        assert!(api.target().is_some());
        assert_eq!(api.service(), Service::Defender);
        assert!(!err.is_retryable());
    }
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(403).set_body_json(serde_json::json!({
            "error": {"code": "Forbidden", "message": "Missing application roles", "target": "t-403"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server, Arc::new(StaticTokenProvider::new("t")));
    let err = client.alerts(&tenant(TENANT_A)).send().await.unwrap_err();
    assert!(err.to_string().contains("Alert.Read.All"), "{err}");
}

#[tokio::test]
async fn refused_connections_are_retried_then_reported_without_the_query() {
    // A port nothing listens on: bind, note the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base: url::Url = format!("http://127.0.0.1:{port}").parse().unwrap();
    let client = DefenderClient::builder()
        .token_provider(Arc::new(StaticTokenProvider::new("t")))
        .endpoints(defender_siem::cloud::Endpoints::default().with_mde_api(base))
        .retry_policy(net::fast_retry())
        .build()
        .unwrap();
    let err = client
        .alerts(&tenant(TENANT_A))
        .filter("id eq 'secretish'")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert!(err.is_retryable());
    let text = err.to_string();
    assert!(text.contains("gave up after 3 attempts"), "{text}");
    assert!(
        !text.contains("secretish") && !text.contains("$filter"),
        "{text}"
    );
}

/// Tenant A has used its budget; tenant B still goes through at once.
#[tokio::test(start_paused = true)]
async fn one_tenants_budget_never_blocks_another() {
    let _frozen = freeze_auto_advance();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(vec![])))
        .mount(&server)
        .await;
    let client = DefenderClient::builder()
        .token_provider(Arc::new(StaticTokenProvider::new("t")))
        .endpoints(endpoints(&server))
        .timeout(Duration::from_secs(86_400))
        .rate_limits(RateLimits::new(Some(2), Some(1_500)))
        .build()
        .unwrap();
    let start = Instant::now();
    for _ in 0..2 {
        let c = client.clone();
        drive(
            tokio::spawn(async move { c.alerts(&tenant(TENANT_A)).send().await }),
            Duration::from_millis(1),
        )
        .await
        .unwrap();
    }
    // A's third call must wait for its minute; B's call does not.
    let a = {
        let c = client.clone();
        tokio::spawn(async move {
            c.alerts(&tenant(TENANT_A)).send().await.unwrap();
            Instant::now()
        })
    };
    let b = {
        let c = client.clone();
        tokio::spawn(async move {
            c.alerts(&tenant(TENANT_B)).send().await.unwrap();
            Instant::now()
        })
    };
    let b_done = drive(b, Duration::from_millis(1)).await;
    assert!(!a.is_finished(), "A should still be waiting for its budget");
    assert!(
        b_done - start < Duration::from_secs(60),
        "B waited {:?}",
        b_done - start
    );
    let a_done = drive(a, Duration::from_secs(1)).await;
    assert!(
        a_done - start >= Duration::from_secs(60),
        "A went early: {:?}",
        a_done - start
    );
}
