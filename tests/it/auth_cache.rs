//! The token cache: one fetch per (tenant, scope) however many callers,
//! tenants isolated, refresh ahead of expiry on tokio's clock, drop on 401.

use crate::net;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use defender_siem::auth::{AccessToken, ClientSecretCredential, TokenProvider, TokenSource};
use defender_siem::retry::RetryPolicy;
use defender_siem::{Secret, TenantId};
use futures_util::future::join_all;
use net::{CLIENT_ID, TENANT_A, TENANT_B, client, endpoints, page, tenant, token_body};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SCOPE: &str = "https://api.securitycenter.microsoft.com/.default";

async fn mount_token(server: &MockServer, tenant_id: &str, token: &str, delay: Duration) {
    Mock::given(method("POST"))
        .and(path(format!("/{tenant_id}/oauth2/v2.0/token")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(token_body(token, 3599))
                .set_delay(delay),
        )
        .named(format!("token endpoint of {tenant_id}"))
        .mount(server)
        .await;
}

fn provider(server: &MockServer) -> Arc<dyn TokenProvider> {
    Arc::new(
        ClientSecretCredential::new(CLIENT_ID, Secret::new("secret-value"))
            .unwrap()
            .with_endpoints(&endpoints(server))
            .with_retry(RetryPolicy::never())
            .cached(),
    )
}

async fn token_requests(server: &MockServer, tenant_id: &str) -> usize {
    let wanted = format!("/{tenant_id}/oauth2/v2.0/token");
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == wanted)
        .count()
}

/// 100 concurrent alert calls for one tenant: exactly 1 token request.
/// The same for two tenants at once: exactly 1 each, 2 in all.
#[tokio::test]
async fn hundred_concurrent_calls_make_one_token_request_per_tenant() {
    let server = MockServer::start().await;
    // A slow token endpoint widens the window in which callers pile up.
    mount_token(&server, TENANT_A, "tok-a", Duration::from_millis(200)).await;
    mount_token(&server, TENANT_B, "tok-b", Duration::from_millis(200)).await;
    Mock::given(method("GET"))
        .and(path("/api/alerts"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(vec![])))
        .mount(&server)
        .await;
    let client = client(&server, provider(&server));

    let a = tenant(TENANT_A);
    let calls = (0..100).map(|_| {
        let client = client.clone();
        let a = a.clone();
        tokio::spawn(async move { client.alerts(&a).send().await })
    });
    for r in join_all(calls).await {
        r.unwrap().unwrap();
    }
    assert_eq!(token_requests(&server, TENANT_A).await, 1);

    let server_b = MockServer::start().await;
    mount_token(&server_b, TENANT_A, "tok-a", Duration::from_millis(200)).await;
    mount_token(&server_b, TENANT_B, "tok-b", Duration::from_millis(200)).await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(vec![])))
        .mount(&server_b)
        .await;
    let client = net::client(&server_b, provider(&server_b));
    let calls = (0..100).map(|i| {
        let client = client.clone();
        let t = tenant(if i % 2 == 0 { TENANT_A } else { TENANT_B });
        tokio::spawn(async move { client.alerts(&t).send().await })
    });
    for r in join_all(calls).await {
        r.unwrap().unwrap();
    }
    assert_eq!(token_requests(&server_b, TENANT_A).await, 1);
    assert_eq!(token_requests(&server_b, TENANT_B).await, 1);
    let total = server_b
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .count();
    assert_eq!(total, 2);
}

/// Tenant A's token endpoint hangs for seconds; tenant B gets its token
/// and its alerts meanwhile. Checked by order of completion, not by time.
#[tokio::test]
async fn a_slow_tenant_does_not_delay_another() {
    let server = MockServer::start().await;
    mount_token(&server, TENANT_A, "tok-a", Duration::from_secs(3)).await;
    mount_token(&server, TENANT_B, "tok-b", Duration::ZERO).await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(vec![])))
        .mount(&server)
        .await;
    let client = client(&server, provider(&server));
    let slow = {
        let client = client.clone();
        tokio::spawn(async move { client.alerts(&tenant(TENANT_A)).send().await })
    };
    // Let A's fetch start (it holds A's slot while waiting).
    while token_requests(&server, TENANT_A).await == 0 {
        tokio::task::yield_now().await;
    }
    client.alerts(&tenant(TENANT_B)).send().await.unwrap();
    assert!(
        !slow.is_finished(),
        "B finished while A was still waiting for its token"
    );
    slow.await.unwrap().unwrap();
}

/// A source that counts fetches and hands out 1-hour tokens.
#[derive(Debug, Default)]
struct Counting {
    fetches: AtomicUsize,
}

#[async_trait]
impl TokenSource for Counting {
    async fn fetch(&self, _tenant: &TenantId, _scope: &str) -> defender_siem::Result<AccessToken> {
        let n = self.fetches.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(AccessToken::new(
            format!("token-{n}"),
            Utc::now() + chrono::Duration::seconds(3600),
        ))
    }
}

#[tokio::test(start_paused = true)]
async fn refreshes_ahead_of_expiry_on_tokio_time() {
    let cache = Counting::default().cached();
    let t = tenant(TENANT_A);
    assert_eq!(
        cache.token(&t, SCOPE).await.unwrap().secret().expose(),
        "token-1"
    );
    // 54 minutes later the token (valid 60) is still outside the 5-minute margin.
    tokio::time::advance(Duration::from_secs(54 * 60)).await;
    assert_eq!(
        cache.token(&t, SCOPE).await.unwrap().secret().expose(),
        "token-1"
    );
    // At 55:01 it is inside the margin: replaced before it expires.
    tokio::time::advance(Duration::from_secs(61)).await;
    assert_eq!(
        cache.token(&t, SCOPE).await.unwrap().secret().expose(),
        "token-2"
    );
    assert_eq!(cache.source().fetches.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn refresh_margin_is_configurable_and_keys_are_separate() {
    let cache = Counting::default()
        .cached()
        .refresh_ahead(Duration::from_secs(20 * 60));
    let t = tenant(TENANT_A);
    cache.token(&t, SCOPE).await.unwrap();
    cache
        .token(&t, "https://graph.microsoft.com/.default")
        .await
        .unwrap();
    cache.token(&tenant(TENANT_B), SCOPE).await.unwrap();
    assert_eq!(cache.source().fetches.load(Ordering::SeqCst), 3);
    tokio::time::advance(Duration::from_secs(41 * 60)).await;
    cache.token(&t, SCOPE).await.unwrap();
    assert_eq!(cache.source().fetches.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn invalidate_drops_only_that_key() {
    let cache = Counting::default().cached();
    let (a, b) = (tenant(TENANT_A), tenant(TENANT_B));
    cache.token(&a, SCOPE).await.unwrap();
    cache.token(&b, SCOPE).await.unwrap();
    cache.invalidate(&a, SCOPE);
    assert_eq!(
        cache.token(&a, SCOPE).await.unwrap().secret().expose(),
        "token-3"
    );
    assert_eq!(
        cache.token(&b, SCOPE).await.unwrap().secret().expose(),
        "token-2"
    );
}

/// Tokens shorter-lived than the margin are still cached for half their life.
#[tokio::test(start_paused = true)]
async fn short_lived_tokens_are_still_cached() {
    #[derive(Debug, Default)]
    struct Short(AtomicUsize);
    #[async_trait]
    impl TokenSource for Short {
        async fn fetch(&self, _: &TenantId, _: &str) -> defender_siem::Result<AccessToken> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(AccessToken::new(
                "s",
                Utc::now() + chrono::Duration::seconds(120),
            ))
        }
    }
    let cache = Short::default().cached();
    let t = tenant(TENANT_A);
    cache.token(&t, SCOPE).await.unwrap();
    tokio::time::advance(Duration::from_secs(30)).await;
    cache.token(&t, SCOPE).await.unwrap();
    assert_eq!(cache.source().0.load(Ordering::SeqCst), 1);
    tokio::time::advance(Duration::from_secs(31)).await;
    cache.token(&t, SCOPE).await.unwrap();
    assert_eq!(cache.source().0.load(Ordering::SeqCst), 2);
}

/// A customer that has not consented: 20 callers at once, one request to
/// Entra, and every caller gets the AADSTS700016 error.
#[tokio::test]
async fn a_refusal_is_shared_with_the_waiting_callers() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(
                    serde_json::json!({"error": "unauthorized_client", "error_codes": [700016]}),
                )
                .set_delay(Duration::from_millis(200)),
        )
        .mount(&server)
        .await;
    let tokens = provider(&server);
    let calls = (0..20).map(|_| {
        let tokens = tokens.clone();
        tokio::spawn(async move { tokens.token(&tenant(TENANT_A), SCOPE).await })
    });
    for r in join_all(calls).await {
        assert_eq!(r.unwrap().unwrap_err().aadsts(), Some(700016));
    }
    assert_eq!(token_requests(&server, TENANT_A).await, 1);
    // A later call asks again.
    assert!(tokens.token(&tenant(TENANT_A), SCOPE).await.is_err());
    assert_eq!(token_requests(&server, TENANT_A).await, 2);
}
