//! Helpers shared by the simulator tests: a plain reqwest client, token
//! requests and API calls.
#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use defender_siem::Secret;
use defender_siem::auth::{ClientSecretCredential, TokenProvider, TokenSource};
use defender_siem::client::{DefenderClient, RateLimits};
use defender_siem::simulator::{Simulator, SimulatorBuilder};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;

pub const MDE_SCOPE: &str = "https://api.securitycenter.microsoft.com/.default";
pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";

/// The MSSP app's client credentials against the simulator's Entra, with
/// the token cache in front.
pub fn sim_tokens(sim: &Simulator) -> Arc<dyn TokenProvider> {
    Arc::new(
        ClientSecretCredential::new(sim.client_id(), Secret::new(sim.client_secret()))
            .unwrap()
            .with_endpoints(&sim.endpoints())
            .cached(),
    )
}

/// A Defender client for `sim` with [`sim_tokens`] and no rate limits.
/// The simulator's tenants as the forwarder takes them.
pub fn sim_tenants(sim: &Simulator) -> Vec<defender_siem::TenantInfo> {
    sim.tenants()
        .iter()
        .map(|t| {
            defender_siem::TenantInfo::new(
                defender_siem::TenantId::new(&t.id).unwrap(),
                t.name.clone(),
            )
        })
        .collect()
}

pub fn sim_client(sim: &Simulator) -> DefenderClient {
    DefenderClient::builder()
        .token_provider(sim_tokens(sim))
        .endpoints(sim.endpoints())
        .rate_limits(RateLimits::unlimited())
        .build()
        .unwrap()
}

/// The form of a client-credentials token request for the MSSP app.
pub fn client_credentials<'a>(
    sim: &'a Simulator,
    secret: &'a str,
    scope: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "client_credentials"),
        ("client_id", sim.client_id()),
        ("client_secret", secret),
        ("scope", scope),
    ]
}

/// A builder with a manual clock, no new alerts and no late arrivals:
/// tests switch on what they exercise.
pub fn quiet() -> SimulatorBuilder {
    Simulator::builder()
        .manual_clock()
        .late_rate(0.0)
        .new_alerts_per_hour(0.0)
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().build().unwrap()
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

pub async fn read(response: reqwest::Response) -> Reply {
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.unwrap().to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

/// Posts a token request form to `{authority}{tenant}/oauth2/{path}`.
pub async fn token_request(
    sim: &Simulator,
    tenant: &str,
    path: &str,
    form: &[(&str, &str)],
) -> Reply {
    let url = sim
        .authority_url()
        .join(&format!("{tenant}/oauth2/{path}"))
        .unwrap();
    read(client().post(url).form(form).send().await.unwrap()).await
}

/// A v2 client-credentials token for `scope`.
pub async fn token(sim: &Simulator, tenant: &str, scope: &str) -> String {
    let reply = token_request(
        sim,
        tenant,
        "v2.0/token",
        &client_credentials(sim, sim.client_secret(), scope),
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    reply.json()["access_token"].as_str().unwrap().to_owned()
}

/// `GET {api_base}{path}` with a bearer token.
pub async fn get(sim: &Simulator, token: &str, path: &str) -> Reply {
    let url = sim.api_base().join(path).unwrap();
    read(client().get(url).bearer_auth(token).send().await.unwrap()).await
}

/// The alerts of a list response.
pub fn values(reply: &Reply) -> Vec<Value> {
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    reply.json()["value"].as_array().unwrap().clone()
}

/// The ids of alerts.
pub fn ids(alerts: &[Value]) -> Vec<String> {
    alerts
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Asserts an Entra error with this HTTP status, `error` and AADSTS code.
pub fn assert_entra_error(reply: &Reply, status: u16, error: &str, code: u64) {
    let body = reply.json();
    assert_eq!(reply.status.as_u16(), status, "{body}");
    assert_eq!(body["error"], error, "{body}");
    assert_eq!(body["error_codes"][0], code, "{body}");
    let description = body["error_description"].as_str().unwrap();
    assert!(
        description.starts_with(&format!("AADSTS{code}: ")),
        "{description}"
    );
    for line in ["\r\nTrace ID: ", "\r\nCorrelation ID: ", "\r\nTimestamp: "] {
        assert!(description.contains(line), "{description}");
    }
    for key in ["timestamp", "trace_id", "correlation_id", "error_uri"] {
        assert!(body[key].is_string(), "{key} missing: {body}");
    }
}

/// Asserts an API error `{"error":{"code","message",…}}` with this status.
pub fn assert_api_error(reply: &Reply, status: u16, code: &str) {
    let body = reply.json();
    assert_eq!(reply.status.as_u16(), status, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
}
