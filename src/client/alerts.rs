//! [`AlertQuery`]: `GET /api/alerts` of the Defender for Endpoint API.

use std::fmt;
use std::pin::Pin;

use futures_util::Stream;
use url::Url;

use super::core::DefenderClient;
use super::filter::{Cmp, any_of, encode_query, join_terms, time_term};
use super::paging;
use crate::error::{Error, Result};
use crate::models::{Alert, AlertStatus, DetectionSource, Page, ParsedAlert, Severity, Timestamp};
use crate::tenant::TenantId;
use crate::transport::{Service, join_path};

/// The largest `$top` the Defender API accepts.
pub const MAX_TOP: u32 = 10_000;

/// A stream of alerts across pages; a malformed alert is an `Err` item
/// ([`Error::MalformedAlert`], with its raw bytes) and the stream goes on.
pub type AlertStream<T = Alert> = Pin<Box<dyn Stream<Item = Result<ParsedAlert<T>>> + Send>>;

/// A query on `GET /api/alerts` for one tenant. Build it with
/// [`DefenderClient::alerts`], then [`send`](AlertQuery::send) it for one
/// page or [`stream`](AlertQuery::stream) every page.
///
/// ```
/// use std::sync::Arc;
/// use defender_siem::auth::StaticTokenProvider;
/// use defender_siem::client::{Cmp, DefenderClient};
/// use defender_siem::models::{Severity, Timestamp};
/// use defender_siem::TenantId;
///
/// let client = DefenderClient::builder()
///     .token_provider(Arc::new(StaticTokenProvider::new("t")))
///     .build()?;
/// let since: Timestamp = "2024-05-02T09:14:05.2Z".parse().unwrap();
/// let query = client
///     .alerts(&TenantId::new("contoso.com")?)
///     .last_update_time(Cmp::Ge, since)
///     .severities([Severity::High, Severity::Medium])
///     .top(500)
///     .expand_evidence();
/// assert_eq!(
///     query.query_string()?,
///     "$filter=lastUpdateTime%20ge%202024-05-02T09:14:05.2Z%20and%20\
///      (severity%20eq%20%27High%27%20or%20severity%20eq%20%27Medium%27)\
///      &$top=500&$expand=evidence"
/// );
/// # Ok::<(), defender_siem::Error>(())
/// ```
#[derive(Clone)]
#[must_use]
pub struct AlertQuery {
    pub(crate) client: DefenderClient,
    pub(crate) tenant: TenantId,
    terms: Vec<String>,
    pub(crate) top: Option<u32>,
    pub(crate) skip: Option<u32>,
    expand_evidence: bool,
}

impl AlertQuery {
    pub(crate) fn new(client: DefenderClient, tenant: TenantId) -> Self {
        AlertQuery {
            client,
            tenant,
            terms: Vec::new(),
            top: None,
            skip: None,
            expand_evidence: false,
        }
    }

    /// `lastUpdateTime <cmp> <at>`.
    pub fn last_update_time(mut self, cmp: Cmp, at: Timestamp) -> Self {
        self.terms.push(time_term("lastUpdateTime", cmp, &at));
        self
    }

    /// `lastUpdateTime ge <at>`: everything changed since `at`, the
    /// incremental-polling cursor.
    pub fn updated_since(self, at: Timestamp) -> Self {
        self.last_update_time(Cmp::Ge, at)
    }

    /// `alertCreationTime <cmp> <at>`.
    pub fn created(mut self, cmp: Cmp, at: Timestamp) -> Self {
        self.terms.push(time_term("alertCreationTime", cmp, &at));
        self
    }

    /// `severity eq '<s>'`.
    pub fn severity(self, severity: Severity) -> Self {
        self.severities([severity])
    }

    /// Any of these severities.
    pub fn severities(mut self, severities: impl IntoIterator<Item = Severity>) -> Self {
        let values: Vec<Severity> = severities.into_iter().collect();
        self.terms
            .extend(any_of("severity", values.iter().map(Severity::as_str)));
        self
    }

    /// `status eq '<s>'`.
    pub fn status(self, status: AlertStatus) -> Self {
        self.statuses([status])
    }

    /// Any of these statuses.
    pub fn statuses(mut self, statuses: impl IntoIterator<Item = AlertStatus>) -> Self {
        let values: Vec<AlertStatus> = statuses.into_iter().collect();
        self.terms
            .extend(any_of("status", values.iter().map(AlertStatus::as_str)));
        self
    }

    /// Any of these detection sources.
    pub fn detection_sources(mut self, sources: impl IntoIterator<Item = DetectionSource>) -> Self {
        let values: Vec<DetectionSource> = sources.into_iter().collect();
        self.terms.extend(any_of(
            "detectionSource",
            values.iter().map(DetectionSource::as_str),
        ));
        self
    }

    /// Any of these categories (`Execution`, `CredentialAccess`, …).
    pub fn categories<S: AsRef<str>>(mut self, categories: impl IntoIterator<Item = S>) -> Self {
        self.terms.extend(any_of("category", categories));
        self
    }

    /// `incidentId eq <id>`.
    pub fn incident_id(mut self, id: i64) -> Self {
        self.terms.push(format!("incidentId eq {id}"));
        self
    }

    /// Adds a raw OData term, joined to the others with `and`.
    pub fn filter(mut self, term: impl Into<String>) -> Self {
        self.terms.push(term.into());
        self
    }

    /// `$top`: alerts per page, 1 to 10,000 (checked when sent). Default for
    /// [`send`](AlertQuery::send): the API's; for
    /// [`stream`](AlertQuery::stream): the client's page size.
    pub fn top(mut self, top: u32) -> Self {
        self.top = Some(top);
        self
    }

    /// `$skip`: alerts to skip. Default 0.
    pub fn skip(mut self, skip: u32) -> Self {
        self.skip = Some(skip);
        self
    }

    /// `$expand=evidence`: include each alert's evidence.
    pub fn expand_evidence(mut self) -> Self {
        self.expand_evidence = true;
        self
    }

    /// The query string [`send`](AlertQuery::send) would use.
    pub fn query_string(&self) -> Result<String> {
        self.query(&[], self.top, self.skip)
    }

    pub(crate) fn query(
        &self,
        extra: &[String],
        top: Option<u32>,
        skip: Option<u32>,
    ) -> Result<String> {
        if let Some(top) = top
            && !(1..=MAX_TOP).contains(&top)
        {
            return Err(Error::Config(format!("$top {top} is outside 1..=10000")));
        }
        let mut terms = self.terms.clone();
        terms.extend(extra.iter().cloned());
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(filter) = join_terms(&terms) {
            pairs.push(("$filter", filter));
        }
        if let Some(top) = top {
            pairs.push(("$top", top.to_string()));
        }
        if let Some(skip) = skip.filter(|s| *s > 0) {
            pairs.push(("$skip", skip.to_string()));
        }
        if self.expand_evidence {
            pairs.push(("$expand", "evidence".into()));
        }
        Ok(encode_query(&pairs))
    }

    pub(crate) fn url(&self, query: &str) -> Result<Url> {
        let mut url = join_path(self.client.endpoints().mde_api(), &["api", "alerts"])?;
        url.set_query((!query.is_empty()).then_some(query));
        Ok(url)
    }

    /// Fetches one page.
    pub async fn send(&self) -> Result<Page<Alert>> {
        let url = self.url(&self.query_string()?)?;
        self.client
            .inner()
            .get_page(Service::Defender, &self.tenant, url, None)
            .await
    }

    /// Every alert the query matches, page by page (see the paging strategy
    /// in [`crate::client`]). Holds one page in memory at a time, plus the
    /// ids already yielded in the current time window.
    pub fn stream(self) -> AlertStream {
        paging::mde_stream(self)
    }
}

impl fmt::Debug for AlertQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlertQuery")
            .field("tenant", &self.tenant)
            .field("filter", &self.terms)
            .field("top", &self.top)
            .field("skip", &self.skip)
            .field("expand_evidence", &self.expand_evidence)
            .finish_non_exhaustive()
    }
}
