//! One authenticated GET: budget, token, retries, 401 handling.

use chrono::Utc;
use reqwest::header::{ACCEPT, AUTHORIZATION, RETRY_AFTER};
use serde::de::DeserializeOwned;
use tracing::{Instrument, debug, info_span};
use url::Url;

use super::core::Inner;
use crate::error::{Error, Result};
use crate::models::{Page, PageErrorKind, parse_page};
use crate::retry::{Attempt, Failure, parse_retry_after};
use crate::tenant::TenantId;
use crate::transport::{ApiError, Service, TENANT_HEADER, TransportError};

/// How one attempt ended, when it did not give a body.
enum Outcome {
    Unauthorized(ApiError),
    Api(ApiError),
    Transport(TransportError),
}

impl Inner {
    /// GETs `url` for `tenant` and returns the body of a 2xx answer.
    ///
    /// Every attempt first takes one call from the tenant's budget. 429,
    /// 5xx, timeouts and broken connections are retried by the client's
    /// [`crate::retry::RetryPolicy`]; a 401 drops the token and is retried
    /// once with a fresh one; other statuses fail at once.
    pub(crate) async fn get(
        &self,
        service: Service,
        tenant: &TenantId,
        url: Url,
    ) -> Result<Vec<u8>> {
        let span = info_span!("defender_get", %tenant, ?service, path = url.path());
        self.get_inner(service, tenant, url).instrument(span).await
    }

    /// GETs one page of alerts. A 200 whose body is cut short (a proxy or
    /// a connection that gave up mid-body) is retried like a broken
    /// connection, under the same retry policy; any other unreadable page
    /// fails at once.
    pub(crate) async fn get_page<T: DeserializeOwned>(
        &self,
        service: Service,
        tenant: &TenantId,
        url: Url,
    ) -> Result<Page<T>> {
        let fetched = self
            .retry
            .run(None, |_| async {
                let body = self
                    .get(service, tenant, url.clone())
                    .await
                    .map_err(Attempt::fatal)?;
                parse_page::<T>(&body).map_err(|e| {
                    let failure =
                        (e.kind() == PageErrorKind::Truncated).then_some(Failure::Connection);
                    Attempt {
                        failure,
                        error: Error::from(e),
                    }
                })
            })
            .await;
        fetched.map_err(|gave_up| gave_up.error)
    }

    async fn get_inner(&self, service: Service, tenant: &TenantId, url: Url) -> Result<Vec<u8>> {
        let scope = match service {
            Service::Graph => self.endpoints.graph_scope(),
            _ => self.endpoints.mde_scope(),
        };
        let budget = match service {
            Service::Graph => &self.graph_budget,
            _ => &self.mde_budget,
        };
        let mut retrier = self.retry.retrier(None);
        let mut reauthenticated = false;
        loop {
            budget.acquire(tenant).await;
            let token = self.tokens.token(tenant, &scope).await?;
            self.pins.check(tenant, &token)?;
            let mut request = self
                .http
                .get(url.clone())
                .header(
                    AUTHORIZATION,
                    crate::transport::bearer_header(token.secret())?,
                )
                .header(ACCEPT, "application/json")
                .header(TENANT_HEADER, tenant.as_str());
            if service == Service::Graph {
                request = request.header("Prefer", "include-unknown-enum-members");
            }
            let outcome = match request.send().await {
                Err(e) => Err(Outcome::Transport(TransportError::from_reqwest(
                    service,
                    Some(tenant),
                    e,
                ))),
                Ok(response) => {
                    read(
                        service,
                        tenant,
                        url.path(),
                        response,
                        &[token.secret().expose()],
                    )
                    .await
                }
            };
            let failed = match outcome {
                Ok(body) => return Ok(body),
                Err(Outcome::Unauthorized(_)) if !reauthenticated => {
                    debug!(%tenant, "401: dropping the token and retrying once");
                    self.tokens.invalidate(tenant, &scope);
                    reauthenticated = true;
                    continue;
                }
                Err(failed) => failed,
            };
            let failure: Option<Failure> = match &failed {
                Outcome::Api(e) => Some(e.as_failure()),
                Outcome::Transport(t) => t.as_failure(),
                Outcome::Unauthorized(_) => None,
            };
            let described = match &failed {
                Outcome::Api(e) | Outcome::Unauthorized(e) => e.to_string(),
                Outcome::Transport(t) => t.to_string(),
            };
            if retrier.wait(failure, described).await.is_err() {
                let attempts = retrier.attempts();
                return Err(match failed {
                    Outcome::Api(e) | Outcome::Unauthorized(e) => e.with_attempts(attempts).into(),
                    Outcome::Transport(t) => t.with_attempts(attempts).into(),
                });
            }
        }
    }
}

/// Reads a response: the body of a 2xx, or the error it stands for.
async fn read(
    service: Service,
    tenant: &TenantId,
    path: &str,
    response: reqwest::Response,
    sent: &[&str],
) -> std::result::Result<Vec<u8>, Outcome> {
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, Utc::now()));
    let body = response
        .bytes()
        .await
        .map_err(|e| Outcome::Transport(TransportError::from_reqwest(service, Some(tenant), e)))?;
    if (200..300).contains(&status) {
        return Ok(body.to_vec());
    }
    let err = ApiError::from_response(service, Some(tenant), status, path, retry_after, &body)
        .scrubbed_of(sent, &body);
    Err(if status == 401 {
        Outcome::Unauthorized(err)
    } else {
        Outcome::Api(err)
    })
}

/// Checks that `next` may receive the bearer token: same scheme, host and
/// port as the API base it came from.
pub(crate) fn same_origin(base: &Url, next: &Url) -> Result<()> {
    if base.scheme() == next.scheme()
        && base.host_str() == next.host_str()
        && base.port_or_known_default() == next.port_or_known_default()
    {
        Ok(())
    } else {
        Err(Error::Protocol(format!(
            "refusing to follow @odata.nextLink to {}://{}: it is not the API host, and the \
             token must not be sent elsewhere",
            next.scheme(),
            next.host_str().unwrap_or("?")
        )))
    }
}
