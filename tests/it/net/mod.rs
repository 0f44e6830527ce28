//! Helpers for the client and auth tests: loopback wiremock servers only.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use defender_siem::TenantId;
use defender_siem::auth::TokenProvider;
use defender_siem::client::DefenderClient;
use defender_siem::cloud::{Cloud, Endpoints};
use defender_siem::retry::RetryPolicy;
use serde_json::{Value, json};
use tokio::task::JoinHandle;
use url::Url;
use wiremock::MockServer;

pub const CLIENT_ID: &str = "11111111-2222-3333-4444-555555555555";
pub const TENANT_A: &str = "aaaaaaaa-0000-0000-0000-000000000001";
pub const TENANT_B: &str = "bbbbbbbb-0000-0000-0000-000000000002";

pub fn tenant(id: &str) -> TenantId {
    TenantId::new(id).unwrap()
}

/// Every host of the public cloud replaced by the mock server.
pub fn endpoints(server: &MockServer) -> Endpoints {
    let url = Url::parse(&server.uri()).unwrap();
    Endpoints::new(Cloud::Public)
        .with_authority(url.clone())
        .with_mde_api(url.clone())
        .with_graph(url)
}

/// Retries fast enough for real time.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(3)
        .base_delay(Duration::from_millis(1))
        .max_delay(Duration::from_millis(5))
}

pub fn client(server: &MockServer, tokens: Arc<dyn TokenProvider>) -> DefenderClient {
    DefenderClient::builder()
        .token_provider(tokens)
        .endpoints(endpoints(server))
        .retry_policy(fast_retry())
        .user_agent("MdatpPartner-Contoso-AlertBridge/1.2.3")
        .build()
        .unwrap()
}

/// An unsigned JWT with these claims (the crate never checks signatures).
pub fn fake_jwt(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{payload}.c2lnbmF0dXJl")
}

/// A v2 token response.
pub fn token_body(access_token: &str, expires_in: u64) -> Value {
    json!({"token_type": "Bearer", "expires_in": expires_in, "access_token": access_token})
}

/// A minimal MDE alert.
pub fn alert(id: &str, last_update: &str) -> Value {
    json!({"id": id, "severity": "High", "title": format!("alert {id}"), "lastUpdateTime": last_update})
}

/// An OData page of these alerts.
pub fn page(alerts: Vec<Value>) -> Value {
    json!({"@odata.context": "https://api.security.microsoft.com/api/$metadata#Alerts", "value": alerts})
}

pub fn auth_fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/auth")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn real_fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/real")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Keeps tokio's paused clock from jumping ahead on its own while real
/// sockets are in flight (a running blocking task inhibits auto-advance);
/// tests move time with [`drive`] instead.
pub struct Frozen(Option<std::sync::mpsc::Sender<()>>);

pub fn freeze_auto_advance() -> Frozen {
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    tokio::task::spawn_blocking(move || {
        let _ = rx.recv();
    });
    Frozen(Some(tx))
}

impl Drop for Frozen {
    fn drop(&mut self) {
        self.0.take();
    }
}

/// Runs `task` to completion on paused time, moving the clock by `step`
/// whenever the task is idle. Gives up (panics) after 60 real seconds.
pub async fn drive<T>(task: JoinHandle<T>, step: Duration) -> T {
    drive_clocks(task, step, |_| {}).await
}

/// [`drive`], also moving a second clock (the simulator's) by the same
/// `step` each time tokio's moves.
pub async fn drive_clocks<T>(
    task: JoinHandle<T>,
    step: Duration,
    mut also: impl FnMut(Duration),
) -> T {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !task.is_finished() {
        assert!(
            std::time::Instant::now() < deadline,
            "the task never finished"
        );
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
        std::thread::sleep(Duration::from_millis(1));
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
        if !task.is_finished() {
            tokio::time::advance(step).await;
            also(step);
        }
    }
    task.await.unwrap()
}
