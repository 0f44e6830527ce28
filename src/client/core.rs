//! [`DefenderClient`]: one client for every customer tenant.

use std::fmt;
use std::sync::Arc;

use serde_json::value::RawValue;

use super::alerts::AlertQuery;
use super::builder::DefenderClientBuilder;
use super::graph::GraphAlertQuery;
use super::rate::RateBudgets;
use crate::auth::consent::verify_access;
use crate::auth::{AccessCheck, AccessReport, TokenProvider};
use crate::cloud::Endpoints;
use crate::error::{Error, Result};
use crate::models::{Alert, GraphAlert, ParsedAlert};
use crate::retry::RetryPolicy;
use crate::tenant::TenantId;
use crate::transport::{Service, join_path};

/// The Defender for Endpoint and Graph alerts APIs, for any number of
/// customer tenants.
///
/// Cheap to clone (one `Arc`), `Send + Sync`, and meant to be shared: every
/// call names its tenant, and each tenant has its own token and its own
/// call budget, so one slow or throttled tenant never holds back another.
///
/// ```no_run
/// # async fn run() -> defender_siem::Result<()> {
/// use std::sync::Arc;
/// use futures_util::StreamExt;
/// use defender_siem::auth::{ClientSecretCredential, TokenSource};
/// use defender_siem::client::DefenderClient;
/// use defender_siem::models::Timestamp;
/// use defender_siem::{Secret, TenantId};
///
/// let credential = ClientSecretCredential::new("11111111-2222-3333-4444-555555555555", Secret::new("…"))?;
/// let client = DefenderClient::builder()
///     .token_provider(Arc::new(credential.cached()))
///     .user_agent("MdatpPartner-Contoso-AlertBridge/1.0.0")
///     .build()?;
/// let tenant = TenantId::new("a839b112-1253-6432-9bf6-94542403f21c")?;
/// let since: Timestamp = "2024-05-01T00:00:00Z".parse().map_err(|e| defender_siem::Error::Config(format!("{e}")))?;
/// let mut alerts = client.alerts(&tenant).updated_since(since).stream();
/// while let Some(alert) = alerts.next().await {
///     let alert = alert?;
///     println!("{:?} {:?}", alert.alert.id, alert.alert.title);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct DefenderClient {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) tokens: Arc<dyn TokenProvider>,
    pub(crate) endpoints: Endpoints,
    pub(crate) retry: RetryPolicy,
    pub(crate) mde_budget: RateBudgets,
    pub(crate) graph_budget: RateBudgets,
    pub(crate) user_agent: String,
    pub(crate) page_size: u32,
    pub(crate) pins: super::pin::TenantPins,
    pub(crate) limits: super::limits::Limits,
}

impl DefenderClient {
    /// A builder; only the token provider is required.
    pub fn builder() -> DefenderClientBuilder {
        DefenderClientBuilder::new()
    }

    pub(crate) fn from_inner(inner: Inner) -> Self {
        DefenderClient {
            inner: Arc::new(inner),
        }
    }

    pub(crate) fn inner(&self) -> &Inner {
        &self.inner
    }

    /// A query on `GET /api/alerts` of the Defender for Endpoint API.
    pub fn alerts(&self, tenant: &TenantId) -> AlertQuery {
        AlertQuery::new(self.clone(), tenant.clone())
    }

    /// A query on Graph's `GET /v1.0/security/alerts_v2`.
    pub fn graph_alerts(&self, tenant: &TenantId) -> GraphAlertQuery {
        GraphAlertQuery::new(self.clone(), tenant.clone())
    }

    /// One alert: `GET /api/alerts/{id}`.
    pub async fn alert(&self, tenant: &TenantId, id: &str) -> Result<ParsedAlert<Alert>> {
        let url = join_path(self.inner.endpoints.mde_api(), &["api", "alerts", id])?;
        let body = self.inner.get(Service::Defender, tenant, url).await?;
        single(&body)
    }

    /// One Graph alert: `GET /v1.0/security/alerts_v2/{id}`.
    pub async fn graph_alert(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<ParsedAlert<GraphAlert>> {
        let url = join_path(
            self.inner.endpoints.graph(),
            &["v1.0", "security", "alerts_v2", id],
        )?;
        let body = self.inner.get(Service::Graph, tenant, url).await?;
        single(&body)
    }

    /// Checks that a token for `tenant` can read Defender alerts (tenant,
    /// audience, `Alert.Read.All`); see [`crate::auth::consent`].
    pub async fn verify_access(&self, tenant: &TenantId) -> Result<AccessReport> {
        verify_access(self.inner.tokens.as_ref(), tenant, &self.inner.endpoints).await
    }

    /// The same check for Graph `alerts_v2` (`SecurityAlert.Read.All`).
    pub async fn verify_graph_access(&self, tenant: &TenantId) -> Result<AccessReport> {
        AccessCheck::graph(&self.inner.endpoints)
            .verify(self.inner.tokens.as_ref(), tenant)
            .await
    }

    /// The base URLs in use.
    pub fn endpoints(&self) -> &Endpoints {
        &self.inner.endpoints
    }

    /// The bounds on what a server may make the client read and wait.
    pub fn limits(&self) -> &super::Limits {
        &self.inner.limits
    }

    /// The `User-Agent` sent with every call.
    pub fn user_agent(&self) -> &str {
        &self.inner.user_agent
    }
}

fn single<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<ParsedAlert<T>> {
    let raw: Box<RawValue> = serde_json::from_slice(body)
        .map_err(|e| Error::Protocol(format!("the alert is not JSON: {e}")))?;
    Ok(ParsedAlert::from_raw(0, &raw)?)
}

impl fmt::Debug for DefenderClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DefenderClient")
            .field("endpoints", &self.inner.endpoints)
            .field("tokens", &self.inner.tokens)
            .field("user_agent", &self.inner.user_agent)
            .field("retry", &self.inner.retry)
            .field("page_size", &self.inner.page_size)
            .finish_non_exhaustive()
    }
}
