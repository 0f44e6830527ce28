//! One authenticated GET: budget, token, retries, 401 handling.

use chrono::Utc;
use std::time::Duration;

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_ENCODING, RETRY_AFTER};
use serde::de::DeserializeOwned;
use tracing::{Instrument, debug, info_span};
use url::Url;

use super::core::Inner;
use super::limits::{Limit, LimitError};
use crate::error::{Error, Result};
use crate::models::{Page, PageErrorKind, parse_page};
use crate::retry::{Failure, Stop, WaitBudget, parse_retry_after};
use crate::tenant::TenantId;
use crate::transport::{ApiError, Service, TENANT_HEADER, TransportError};

/// How one attempt ended, when it did not give a body.
enum Outcome {
    Unauthorized(ApiError),
    Api(ApiError),
    Transport(TransportError),
    /// Not to be retried, returned as it is (a limit hit).
    Fatal(Error),
}

impl Inner {
    /// GETs `url` for `tenant` and returns the body of a 2xx answer.
    ///
    /// Every attempt first takes one call from the tenant's budget. 429,
    /// 5xx, timeouts and broken connections are retried by the client's
    /// [`crate::retry::RetryPolicy`]; a 401 drops the token and is retried
    /// once with a fresh one; other statuses fail at once. The body may
    /// not pass [`super::Limits::max_response_bytes`].
    pub(crate) async fn get(
        &self,
        service: Service,
        tenant: &TenantId,
        url: Url,
    ) -> Result<Vec<u8>> {
        self.get_within(service, tenant, url, None).await
    }

    /// [`Inner::get`], with every retry wait also taken from `budget` (the
    /// poll's [`super::Limits::max_retry_wait_per_poll`]).
    async fn get_within(
        &self,
        service: Service,
        tenant: &TenantId,
        url: Url,
        budget: Option<&WaitBudget>,
    ) -> Result<Vec<u8>> {
        let span = info_span!("defender_get", %tenant, ?service, path = url.path());
        self.get_inner(service, tenant, url, budget)
            .instrument(span)
            .await
    }

    /// GETs one page of alerts. A 200 whose body is cut short (a proxy or
    /// a connection that gave up mid-body) is retried like a broken
    /// connection, under the same retry policy; any other unreadable page
    /// fails at once. Retry waits are also taken from `budget`, when given.
    pub(crate) async fn get_page<T: DeserializeOwned>(
        &self,
        service: Service,
        tenant: &TenantId,
        url: Url,
        budget: Option<&WaitBudget>,
    ) -> Result<Page<T>> {
        let mut retrier = self.retry.retrier(None);
        if let Some(budget) = budget {
            retrier = retrier.with_budget(budget);
        }
        loop {
            let body = self
                .get_within(service, tenant, url.clone(), budget)
                .await?;
            let e = match parse_page::<T>(&body) {
                Ok(page) => return Ok(page),
                Err(e) => e,
            };
            let failure = (e.kind() == PageErrorKind::Truncated).then_some(Failure::Connection);
            let error = Error::from(e);
            match retrier.wait(failure, &error).await {
                Ok(()) => {}
                Err(Stop::BudgetSpent(limit)) => {
                    return Err(wait_limit(tenant, limit, &error.to_string()));
                }
                Err(_) => return Err(error),
            }
        }
    }

    async fn get_inner(
        &self,
        service: Service,
        tenant: &TenantId,
        url: Url,
        budget: Option<&WaitBudget>,
    ) -> Result<Vec<u8>> {
        let scope = match service {
            Service::Graph => self.endpoints.graph_scope(),
            _ => self.endpoints.mde_scope(),
        };
        let rate = match service {
            Service::Graph => &self.graph_budget,
            _ => &self.mde_budget,
        };
        let mut retrier = self.retry.retrier(None);
        if let Some(budget) = budget {
            retrier = retrier.with_budget(budget);
        }
        let mut reauthenticated = false;
        loop {
            rate.acquire(tenant).await;
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
                        self.limits.max_response_bytes,
                    )
                    .await
                }
            };
            let failed = match outcome {
                Ok(body) => return Ok(body),
                Err(Outcome::Fatal(e)) => return Err(e),
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
                Outcome::Unauthorized(_) | Outcome::Fatal(_) => None,
            };
            let described = match &failed {
                Outcome::Api(e) | Outcome::Unauthorized(e) => e.to_string(),
                Outcome::Transport(t) => t.to_string(),
                Outcome::Fatal(e) => e.to_string(),
            };
            if let Err(stop) = retrier.wait(failure, &described).await {
                if let Stop::BudgetSpent(limit) = stop {
                    return Err(wait_limit(tenant, limit, &described));
                }
                let attempts = retrier.attempts();
                return Err(match failed {
                    Outcome::Api(e) | Outcome::Unauthorized(e) => e.with_attempts(attempts).into(),
                    Outcome::Transport(t) => t.with_attempts(attempts).into(),
                    Outcome::Fatal(e) => e,
                });
            }
        }
    }
}

/// The error when a poll's retries have waited all they may.
fn wait_limit(tenant: &TenantId, limit: Duration, last: &str) -> Error {
    LimitError::new(
        tenant.clone(),
        Limit::RetryWaitPerPoll(limit),
        format!(
            "the server kept refusing (last: {}) and the next retry wait would take this poll's \
             total waiting past the limit",
            crate::transport::clip(last, 300)
        ),
    )
    .into()
}

/// The most of an error body that is read: enough for any JSON error, and
/// the rest is never read.
const ERROR_BODY_BYTES: u64 = 64 * 1024;

/// Reads a response: the body of a 2xx (at most `max_bytes`, counted as it
/// streams in), or the error it stands for (its body cut at
/// [`ERROR_BODY_BYTES`]).
async fn read(
    service: Service,
    tenant: &TenantId,
    path: &str,
    mut response: reqwest::Response,
    sent: &[&str],
    max_bytes: u64,
) -> std::result::Result<Vec<u8>, Outcome> {
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, Utc::now()));
    let ok = (200..300).contains(&status);
    let too_big = |what: String| {
        Outcome::Fatal(
            LimitError::new(tenant.clone(), Limit::ResponseBytes(max_bytes), what).into(),
        )
    };
    if ok {
        // The crate never asks for a compressed body and never decodes
        // one: a small compressed body cannot turn into a huge one here.
        if let Some(encoding) = response
            .headers()
            .get(CONTENT_ENCODING)
            .map(|v| {
                String::from_utf8_lossy(v.as_bytes())
                    .trim()
                    .to_ascii_lowercase()
            })
            .filter(|e| !e.is_empty() && e != "identity")
        {
            return Err(Outcome::Fatal(Error::Protocol(format!(
                "tenant {tenant}: the answer to {path} is `{}`-encoded, which the client never \
                 asks for and never decodes; refused unread",
                crate::transport::clip(&encoding, 40)
            ))));
        }
        if let Some(length) = response.content_length()
            && length > max_bytes
        {
            return Err(too_big(format!(
                "the answer to {path} announces {length} bytes (Content-Length); refused unread"
            )));
        }
    }
    let cap = if ok { max_bytes } else { ERROR_BODY_BYTES };
    let expected = response.content_length().unwrap_or(0).min(cap);
    let mut body = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
    loop {
        let chunk = match response.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(e) => {
                return Err(Outcome::Transport(TransportError::from_reqwest(
                    service,
                    Some(tenant),
                    e,
                )));
            }
        };
        let total = (body.len() as u64).saturating_add(chunk.len() as u64);
        if total > cap {
            if ok {
                return Err(too_big(format!(
                    "the answer to {path} went past {cap} bytes while it was read; the rest \
                     was not read"
                )));
            }
            let room = usize::try_from(cap).unwrap_or(0).saturating_sub(body.len());
            body.extend_from_slice(&chunk[..room.min(chunk.len())]);
            break;
        }
        body.extend_from_slice(&chunk);
    }
    if ok {
        return Ok(body);
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
    // `user:password@` would make the HTTP client send Basic credentials
    // in place of the bearer token.
    if !next.username().is_empty() || next.password().is_some() {
        return Err(Error::Protocol(format!(
            "refusing to follow @odata.nextLink to {}://{}: it carries user credentials \
             (`user:password@`), which would replace the bearer token",
            next.scheme(),
            next.host_str().unwrap_or("?")
        )));
    }
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
