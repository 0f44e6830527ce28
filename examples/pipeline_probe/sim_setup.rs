//! The in-process simulator and a `DefenderClient` for it, shared by the
//! simulator, tenants and tokens modes.

use std::sync::Arc;

use defender_siem::auth::{ClientSecretCredential, TokenSource};
use defender_siem::client::{DefenderClient, RateLimits};
use defender_siem::simulator::Simulator;
use defender_siem::{Secret, TenantId, TenantInfo};

/// A quiet simulator: no throttling, no faults, no new or late alerts, a
/// manual clock, so every alert exists from the start.
pub async fn simulator(tenants: usize, alerts: usize) -> Result<Simulator, String> {
    Simulator::builder()
        .tenants(tenants)
        .alerts_per_tenant(alerts)
        .seed(7)
        .manual_clock()
        .no_throttling()
        .late_rate(0.0)
        .new_alerts_per_hour(0.0)
        .start()
        .await
        .map_err(|e| format!("simulator: {e}"))
}

/// A client with the simulator's app credentials and a shared token cache.
pub fn client(sim: &Simulator, limits: RateLimits) -> Result<DefenderClient, String> {
    let credential = ClientSecretCredential::new(sim.client_id(), Secret::new(sim.client_secret()))
        .map_err(|e| e.to_string())?
        .with_endpoints(&sim.endpoints())
        .cached();
    DefenderClient::builder()
        .token_provider(Arc::new(credential))
        .endpoints(sim.endpoints())
        .rate_limits(limits)
        .build()
        .map_err(|e| e.to_string())
}

/// The simulator's tenants as the forwarder takes them.
pub fn tenants(sim: &Simulator) -> Result<Vec<TenantInfo>, String> {
    sim.tenants()
        .iter()
        .map(|t| {
            TenantId::new(&t.id)
                .map(|id| TenantInfo::new(id, t.name.clone()))
                .map_err(|e| e.to_string())
        })
        .collect()
}

/// Token endpoint requests over all tenants.
pub fn token_requests(sim: &Simulator) -> u64 {
    sim.stats().tenants.values().map(|t| t.token_requests).sum()
}
