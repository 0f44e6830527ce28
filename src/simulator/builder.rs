//! [`SimulatorBuilder`]: every knob of the simulator, and `start()`.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tokio::net::TcpListener;
use tokio::sync::watch;
use url::Url;

use super::clock::SimClock;
use super::data::TimelineConfig;
use super::faults::{FaultKind, FaultRates};
use super::handle::{Simulator, TlsInfo};
use super::rng::Rng;
use super::server::{router, serve};
use super::state::{Settings, State};
use super::tenant::{SimTenant, TenantSetup};
use super::throttle::Budget;
use super::tls;
use crate::{Error, Result};

/// The instant a manual clock starts at unless told otherwise:
/// 2025-06-02T08:00:00Z.
pub const DEFAULT_MANUAL_START: i64 = 1_748_851_200;

/// Configures and starts a [`Simulator`]. Every setter says its default.
#[derive(Debug, Clone)]
#[must_use]
pub struct SimulatorBuilder {
    tenants: usize,
    alerts_per_tenant: usize,
    seed: u64,
    listen: SocketAddr,
    budget: Budget,
    faults: FaultRates,
    slow_delay: Duration,
    late_rate: f64,
    late_delay: (Duration, Duration),
    new_alerts_per_hour: f64,
    history: Duration,
    token_lifetime: Duration,
    refresh_token_lifetime: Duration,
    tls: bool,
    cert_dir: Option<PathBuf>,
    manual_start: Option<DateTime<Utc>>,
    setups: BTreeMap<usize, TenantSetup>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

impl Default for SimulatorBuilder {
    fn default() -> Self {
        SimulatorBuilder {
            tenants: 3,
            alerts_per_tenant: 50,
            seed: 1,
            listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            budget: Budget {
                per_minute: Some(100),
                per_hour: Some(1_500),
            },
            faults: FaultRates::default(),
            slow_delay: Duration::from_secs(2),
            late_rate: 0.05,
            late_delay: (Duration::from_secs(120), Duration::from_secs(900)),
            new_alerts_per_hour: 4.0,
            history: Duration::from_secs(7 * 86_400),
            token_lifetime: Duration::from_secs(3_599),
            refresh_token_lifetime: Duration::from_secs(90 * 86_400),
            tls: false,
            cert_dir: None,
            manual_start: None,
            setups: BTreeMap::new(),
            client_id: None,
            client_secret: None,
        }
    }
}

fn delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

impl SimulatorBuilder {
    /// Number of customer tenants. Default 3.
    pub fn tenants(mut self, n: usize) -> Self {
        self.tenants = n;
        self
    }

    /// Alerts each tenant already has when the simulator starts, spread over
    /// the [`history`](Self::history). Default 50.
    pub fn alerts_per_tenant(mut self, n: usize) -> Self {
        self.alerts_per_tenant = n;
        self
    }

    /// The seed all data, ids, credentials and fault draws derive from.
    /// Default 1.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Address to listen on. Default `127.0.0.1:0` (any free port).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// API calls a tenant may make per sliding minute, for the MDE API and
    /// for Graph separately. Default 100.
    pub fn rate_per_minute(mut self, n: u32) -> Self {
        self.budget.per_minute = Some(n);
        self
    }

    /// API calls a tenant may make per sliding hour. Default 1,500.
    pub fn rate_per_hour(mut self, n: u32) -> Self {
        self.budget.per_hour = Some(n);
        self
    }

    /// Turns throttling off (no 429s at all). Default on.
    pub fn no_throttling(mut self) -> Self {
        self.budget = Budget {
            per_minute: None,
            per_hour: None,
        };
        self
    }

    /// Faults `rate` (0–1) of API calls, spread evenly over the six API
    /// fault kinds, and `rate` of token requests. Default 0.
    pub fn fault_rate(mut self, rate: f64) -> Self {
        self.faults.set_all(rate);
        self
    }

    /// Sets the rate (0–1) of one fault kind, leaving the others. Default 0.
    pub fn fault(mut self, kind: FaultKind, rate: f64) -> Self {
        self.faults.set(kind, rate);
        self
    }

    /// How long a [`FaultKind::SlowResponse`] waits (real time). Default 2 s.
    pub fn slow_response_delay(mut self, delay: Duration) -> Self {
        self.slow_delay = delay;
        self
    }

    /// Share (0–1) of alert versions that become visible late. Default 0.05.
    pub fn late_rate(mut self, rate: f64) -> Self {
        self.late_rate = if rate.is_finite() {
            rate.clamp(0.0, 1.0)
        } else {
            0.0
        };
        self
    }

    /// How late a late version becomes visible, after its
    /// `lastUpdateTime`. Default 2 to 15 minutes.
    pub fn late_delay(mut self, min: Duration, max: Duration) -> Self {
        self.late_delay = (min, max.max(min));
        self
    }

    /// New alerts per tenant per simulated hour after the start. Default 4;
    /// 0 stops new alerts (existing ones are still updated).
    pub fn new_alerts_per_hour(mut self, rate: f64) -> Self {
        self.new_alerts_per_hour = rate;
        self
    }

    /// How far back the initial alerts reach. Default 7 days.
    pub fn history(mut self, history: Duration) -> Self {
        self.history = history;
        self
    }

    /// Lifetime of access tokens (`expires_in`). Default 3,599 s.
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    /// How long an unused refresh token stays valid. Default 90 days.
    pub fn refresh_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.refresh_token_lifetime = lifetime;
        self
    }

    /// Serve HTTPS with a fresh certificate for `127.0.0.1` and `localhost`
    /// whose CA is written to a PEM file ([`Simulator::ca_cert_path`]).
    /// Default off.
    pub fn tls(mut self, on: bool) -> Self {
        self.tls = on;
        self
    }

    /// Folder for `ca.pem`. Default: a new folder under the system temp dir.
    pub fn cert_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cert_dir = Some(dir.into());
        self
    }

    /// Use a manual clock starting at 2025-06-02T08:00:00Z; it moves only
    /// through [`SimClock::advance`]. Default: the wall clock.
    pub fn manual_clock(self) -> Self {
        let start = DateTime::from_timestamp(DEFAULT_MANUAL_START, 0).unwrap_or_default();
        self.manual_clock_at(start)
    }

    /// Use a manual clock starting at `start`.
    pub fn manual_clock_at(mut self, start: DateTime<Utc>) -> Self {
        self.manual_start = Some(start);
        self
    }

    /// Use the wall clock (the default).
    pub fn wall_clock(mut self) -> Self {
        self.manual_start = None;
        self
    }

    /// Sets up tenant number `index` (0-based) as `setup`. Default
    /// [`TenantSetup::Ready`] for all.
    pub fn tenant_setup(mut self, index: usize, setup: TenantSetup) -> Self {
        self.setups.insert(index, setup);
        self
    }

    /// Tenant `index` has not consented: token requests get AADSTS700016.
    pub fn not_consented(self, index: usize) -> Self {
        self.tenant_setup(index, TenantSetup::NotConsented)
    }

    /// Tenant `index` issues tokens without `Alert.Read.All`: APIs answer 403.
    pub fn missing_role(self, index: usize) -> Self {
        self.tenant_setup(index, TenantSetup::MissingRole)
    }

    /// The MSSP app's client id. Default: a GUID derived from the seed.
    pub fn client_id(mut self, id: impl Into<String>) -> Self {
        self.client_id = Some(id.into());
        self
    }

    /// The MSSP app's client secret. Default: derived from the seed.
    pub fn client_secret(mut self, secret: impl Into<String>) -> Self {
        self.client_secret = Some(secret.into());
        self
    }

    /// Binds the port, prepares TLS if asked, and starts serving.
    ///
    /// Fails when the address cannot be bound, the certificate cannot be
    /// made or written, or there are no tenants.
    pub async fn start(self) -> Result<Simulator> {
        if self.tenants == 0 {
            return Err(Error::Config(
                "the simulator needs at least one tenant".into(),
            ));
        }
        let clock = self
            .manual_start
            .map_or_else(SimClock::wall, SimClock::manual);
        let listener = TcpListener::bind(self.listen)
            .await
            .map_err(|e| Error::io(format!("binding the simulator to {}", self.listen), e))?;
        let local = listener
            .local_addr()
            .map_err(|e| Error::io("reading the simulator's address", e))?;
        let tls = if self.tls {
            let dir = self.cert_dir.clone().unwrap_or_else(|| {
                std::env::temp_dir().join(format!(
                    "defender-siem-sim-{}-{}",
                    std::process::id(),
                    local.port()
                ))
            });
            Some(tls::generate(&dir)?)
        } else {
            None
        };
        let host = match local.ip() {
            ip if ip.is_unspecified() => "127.0.0.1".to_owned(),
            IpAddr::V6(ip) => format!("[{ip}]"),
            IpAddr::V4(ip) => ip.to_string(),
        };
        let scheme = if tls.is_some() { "https" } else { "http" };
        let base_url = format!("{scheme}://{host}:{}", local.port());
        let base = Url::parse(&format!("{base_url}/"))
            .map_err(|e| Error::Config(format!("simulator URL {base_url}: {e}")))?;

        let mut rng = Rng::new(&[self.seed, 0xc11e]);
        let client_id = self.client_id.clone().unwrap_or_else(|| rng.guid());
        let client_secret = self
            .client_secret
            .clone()
            .unwrap_or_else(|| format!("Sim8Q~{}", rng.hex(34)));
        let tenants: Vec<SimTenant> = (0..self.tenants)
            .map(|i| {
                SimTenant::generate(
                    self.seed,
                    i,
                    self.setups.get(&i).copied().unwrap_or_default(),
                )
            })
            .collect();
        let settings = Settings {
            seed: self.seed,
            budget: self.budget,
            faults: self.faults.clone(),
            slow_delay: self.slow_delay,
            token_lifetime: delta(self.token_lifetime),
            refresh_lifetime: delta(self.refresh_token_lifetime),
            timeline: TimelineConfig {
                seed: self.seed,
                start: clock.now(),
                initial: self.alerts_per_tenant,
                new_per_hour: self.new_alerts_per_hour,
                history: delta(self.history),
                late_rate: self.late_rate,
                late_min: delta(self.late_delay.0),
                late_max: delta(self.late_delay.1),
            },
            client_id,
            client_secret,
        };
        let state = Arc::new(State::new(settings, clock, tenants, base_url));
        let (stop, stopped) = watch::channel(false);
        let acceptor = tls.as_ref().map(|t| t.acceptor.clone());
        let task = tokio::spawn(serve(
            listener,
            router(Arc::clone(&state)),
            acceptor,
            stopped,
        ));
        tracing::info!(address = %local, tenants = self.tenants, tls = self.tls, "simulator started");
        let tls = tls.map(|t| TlsInfo {
            ca_path: t.ca_path,
            ca_pem: t.ca_pem,
        });
        Ok(Simulator::new(state, base, local, tls, stop, task))
    }
}
