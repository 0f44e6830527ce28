//! [`GraphAlertQuery`]: Microsoft Graph `GET /v1.0/security/alerts_v2`.

use std::fmt;

use url::Url;

use super::alerts::AlertStream;
use super::core::DefenderClient;
use super::filter::{Cmp, any_of, encode_query, join_terms, time_term};
use super::paging;
use crate::error::{Error, Result};
use crate::models::{GraphAlert, GraphSeverity, GraphStatus, Page, ServiceSource, Timestamp};
use crate::tenant::TenantId;
use crate::transport::{Service, join_path};

/// The largest `$top` Graph accepts for alerts.
pub const GRAPH_MAX_TOP: u32 = 1_000;

/// A query on Graph `alerts_v2` for one tenant, built with
/// [`DefenderClient::graph_alerts`]. Every call sends
/// `Prefer: include-unknown-enum-members`, so newer enum values arrive as
/// they are. Paging follows `@odata.nextLink`.
///
/// ```
/// use std::sync::Arc;
/// use defender_siem::auth::StaticTokenProvider;
/// use defender_siem::client::DefenderClient;
/// use defender_siem::models::{GraphSeverity, ServiceSource};
/// use defender_siem::TenantId;
///
/// let client = DefenderClient::builder()
///     .token_provider(Arc::new(StaticTokenProvider::new("t")))
///     .build()?;
/// let query = client
///     .graph_alerts(&TenantId::new("contoso.com")?)
///     .updated_since("2024-05-02T00:00:00Z".parse().unwrap())
///     .service_sources([ServiceSource::MicrosoftDefenderForEndpoint])
///     .severities([GraphSeverity::High])
///     .top(200);
/// assert_eq!(
///     query.query_string()?,
///     "$filter=lastUpdateDateTime%20ge%202024-05-02T00:00:00Z%20and%20\
///      serviceSource%20eq%20%27microsoftDefenderForEndpoint%27%20and%20\
///      severity%20eq%20%27high%27&$top=200"
/// );
/// # Ok::<(), defender_siem::Error>(())
/// ```
#[derive(Clone)]
#[must_use]
pub struct GraphAlertQuery {
    pub(crate) client: DefenderClient,
    pub(crate) tenant: TenantId,
    terms: Vec<String>,
    top: Option<u32>,
}

impl GraphAlertQuery {
    pub(crate) fn new(client: DefenderClient, tenant: TenantId) -> Self {
        GraphAlertQuery {
            client,
            tenant,
            terms: Vec::new(),
            top: None,
        }
    }

    /// `lastUpdateDateTime <cmp> <at>`.
    pub fn last_update_time(mut self, cmp: Cmp, at: Timestamp) -> Self {
        self.terms.push(time_term("lastUpdateDateTime", cmp, &at));
        self
    }

    /// `lastUpdateDateTime ge <at>`.
    pub fn updated_since(self, at: Timestamp) -> Self {
        self.last_update_time(Cmp::Ge, at)
    }

    /// `createdDateTime <cmp> <at>`.
    pub fn created(mut self, cmp: Cmp, at: Timestamp) -> Self {
        self.terms.push(time_term("createdDateTime", cmp, &at));
        self
    }

    /// Any of these severities.
    pub fn severities(mut self, values: impl IntoIterator<Item = GraphSeverity>) -> Self {
        let values: Vec<GraphSeverity> = values.into_iter().collect();
        self.terms
            .extend(any_of("severity", values.iter().map(GraphSeverity::as_str)));
        self
    }

    /// Any of these statuses.
    pub fn statuses(mut self, values: impl IntoIterator<Item = GraphStatus>) -> Self {
        let values: Vec<GraphStatus> = values.into_iter().collect();
        self.terms
            .extend(any_of("status", values.iter().map(GraphStatus::as_str)));
        self
    }

    /// Any of these products (`microsoftDefenderForEndpoint`, …).
    pub fn service_sources(mut self, values: impl IntoIterator<Item = ServiceSource>) -> Self {
        let values: Vec<ServiceSource> = values.into_iter().collect();
        self.terms.extend(any_of(
            "serviceSource",
            values.iter().map(ServiceSource::as_str),
        ));
        self
    }

    /// Adds a raw OData term, joined to the others with `and`.
    pub fn filter(mut self, term: impl Into<String>) -> Self {
        self.terms.push(term.into());
        self
    }

    /// `$top`: alerts per page, 1 to 1,000 (checked when sent). Default: Graph's.
    pub fn top(mut self, top: u32) -> Self {
        self.top = Some(top);
        self
    }

    /// The query string of the first page.
    pub fn query_string(&self) -> Result<String> {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(filter) = join_terms(&self.terms) {
            pairs.push(("$filter", filter));
        }
        if let Some(top) = self.top {
            if !(1..=GRAPH_MAX_TOP).contains(&top) {
                return Err(Error::Config(format!(
                    "Graph $top {top} is outside 1..=1000"
                )));
            }
            pairs.push(("$top", top.to_string()));
        }
        Ok(encode_query(&pairs))
    }

    pub(crate) fn url(&self, query: &str) -> Result<Url> {
        let mut url = join_path(
            self.client.endpoints().graph(),
            &["v1.0", "security", "alerts_v2"],
        )?;
        url.set_query((!query.is_empty()).then_some(query));
        Ok(url)
    }

    /// Fetches the first page; its `next_link` leads to the next one.
    pub async fn send(&self) -> Result<Page<GraphAlert>> {
        let url = self.url(&self.query_string()?)?;
        self.client
            .inner()
            .get_page(Service::Graph, &self.tenant, url, None)
            .await
    }

    /// Every alert, following `@odata.nextLink` (only to the Graph host).
    pub fn stream(self) -> AlertStream<GraphAlert> {
        paging::graph_stream(self)
    }
}

impl fmt::Debug for GraphAlertQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphAlertQuery")
            .field("tenant", &self.tenant)
            .field("filter", &self.terms)
            .field("top", &self.top)
            .finish_non_exhaustive()
    }
}
