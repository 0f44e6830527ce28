//! [`Simulator`]: the handle of a running simulator.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use url::Url;

use super::builder::SimulatorBuilder;
use super::clock::SimClock;
use super::query::ground_truth;
use super::state::State;
use super::stats::Stats;
use super::tenant::SimTenant;
use crate::cloud::{Cloud, Endpoints};

/// The CA a TLS simulator's certificate chains to.
#[derive(Debug)]
pub(crate) struct TlsInfo {
    pub ca_path: PathBuf,
    pub ca_pem: String,
}

/// A running simulator: where it listens, its credentials and tenants, its
/// clock, its ground truth and its counters.
///
/// It serves until [`Simulator::shutdown`] is awaited or the handle is
/// dropped. See the [module docs](super) for an example.
#[derive(Debug)]
pub struct Simulator {
    state: Arc<State>,
    base: Url,
    local: SocketAddr,
    tls: Option<TlsInfo>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl Simulator {
    /// A builder with the defaults (3 tenants, 50 alerts each, seed 1).
    pub fn builder() -> SimulatorBuilder {
        SimulatorBuilder::default()
    }

    pub(crate) fn new(
        state: Arc<State>,
        base: Url,
        local: SocketAddr,
        tls: Option<TlsInfo>,
        stop: watch::Sender<bool>,
        task: JoinHandle<()>,
    ) -> Self {
        Simulator {
            state,
            base,
            local,
            tls,
            stop,
            task: Some(task),
        }
    }

    /// The socket address the simulator listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// The Entra authority base, e.g. `http://127.0.0.1:41234/`: the token
    /// endpoint of a tenant is `{authority}{tenant}/oauth2/v2.0/token`.
    pub fn authority_url(&self) -> Url {
        self.base.clone()
    }

    /// The MDE API base: `{api_base}api/alerts`.
    pub fn api_base(&self) -> Url {
        self.base.clone()
    }

    /// The Graph base: `{graph_base}v1.0/security/alerts_v2`.
    pub fn graph_base(&self) -> Url {
        self.base.clone()
    }

    /// Public-cloud [`Endpoints`] with the authority, MDE, XDR and Graph
    /// hosts pointed at the simulator. Tokens are still requested for the
    /// real resources (`https://api.securitycenter.microsoft.com/.default`),
    /// which the simulator accepts.
    pub fn endpoints(&self) -> Endpoints {
        Endpoints::new(Cloud::Public)
            .with_authority(self.base.clone())
            .with_mde_api(self.base.clone())
            .with_xdr_api(self.base.clone())
            .with_graph(self.base.clone())
    }

    /// The MSSP app's client id.
    pub fn client_id(&self) -> &str {
        &self.state.settings.client_id
    }

    /// The MSSP app's client secret.
    pub fn client_secret(&self) -> &str {
        &self.state.settings.client_secret
    }

    /// The simulated tenants, in order.
    pub fn tenants(&self) -> &[SimTenant] {
        &self.state.tenants
    }

    /// Path of the CA certificate (PEM) to trust, when TLS is on.
    pub fn ca_cert_path(&self) -> Option<&Path> {
        self.tls.as_ref().map(|t| t.ca_path.as_path())
    }

    /// The CA certificate (PEM), when TLS is on.
    pub fn ca_cert_pem(&self) -> Option<&str> {
        self.tls.as_ref().map(|t| t.ca_pem.as_str())
    }

    /// The simulator's clock.
    pub fn clock(&self) -> &SimClock {
        &self.state.clock
    }

    /// The simulated now.
    pub fn now(&self) -> DateTime<Utc> {
        self.state.now()
    }

    /// Moves the clock forward (same as `clock().advance(by)`).
    pub fn advance(&self, by: Duration) {
        self.state.clock.advance(by);
    }

    /// Every alert of the tenant (by id or domain) that is visible now, each
    /// in its visible version, exactly as `GET /api/alerts?$expand=evidence`
    /// returns it right now without faults, in the same order. `None` for
    /// an unknown tenant.
    pub fn ground_truth(&self, tenant: &str) -> Option<Vec<Value>> {
        let index = self.state.tenant_index(tenant)?;
        ground_truth(&self.state, index, self.state.now())
    }

    /// The counters also served at `/_sim/stats`.
    pub fn stats(&self) -> Stats {
        self.state.stats()
    }

    /// A refresh token for the v1 `refresh_token` grant of this tenant, as
    /// the portal once handed them out. `None` for an unknown tenant.
    pub fn issue_refresh_token(&self, tenant: &str) -> Option<String> {
        let index = self.state.tenant_index(tenant)?;
        Some(
            self.state
                .mint_refresh_token(index, &self.state.settings.client_id),
        )
    }

    /// The one-line description `examples/simulator.rs` prints:
    /// `authority_host`, `api_base`, `graph_base`, `client_id`,
    /// `client_secret`, `ca_cert` (with TLS) and `tenants` (`id`, `name`,
    /// `alerts` visible now).
    pub fn info(&self) -> Value {
        let base = self.state.base_url.clone();
        let tenants: Vec<Value> = self
            .state
            .tenants
            .iter()
            .map(|t| {
                let alerts = self.ground_truth(&t.id).map_or(0, |a| a.len());
                json!({"id": t.id, "name": t.name, "alerts": alerts})
            })
            .collect();
        let mut info = json!({
            "authority_host": base,
            "api_base": base,
            "graph_base": base,
            "client_id": self.client_id(),
            "client_secret": self.client_secret(),
            "tenants": tenants,
        });
        if let Some(path) = self.ca_cert_path() {
            info["ca_cert"] = json!(path.display().to_string());
        }
        info
    }

    /// Stops accepting connections, ends open ones, and waits for the
    /// server task. A TLS simulator also removes its `ca.pem`.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        if let Some(tls) = &self.tls {
            let _ = std::fs::remove_file(&tls.ca_path);
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
