//! [`AlertSource`]: where the forwarder gets alerts from.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use futures_util::Stream;

use crate::client::DefenderClient;
use crate::error::Result;
use crate::models::{Alert, ParsedAlert, Timestamp};
use crate::tenant::TenantId;

/// Every alert version of one query, page after page. A malformed alert is
/// an `Err(Error::MalformedAlert)` item and the stream goes on; any other
/// error ends the tenant's poll.
pub type SourceStream<'a> = Pin<Box<dyn Stream<Item = Result<ParsedAlert<Alert>>> + Send + 'a>>;

/// The tenant GUID a source's token names (see [`AlertSource::token_tenant`]).
pub type TenantFuture<'a> = Pin<Box<dyn Future<Output = Result<Option<String>>> + Send + 'a>>;

/// Something the forwarder can poll: the [`DefenderClient`] in production,
/// anything else in tests or for other APIs.
pub trait AlertSource: Send + Sync + fmt::Debug {
    /// Every alert of `tenant` with `lastUpdateTime` at or after `since`,
    /// with evidence, across all pages of `page_size` alerts.
    fn alerts_since<'a>(
        &'a self,
        tenant: &'a TenantId,
        since: Timestamp,
        page_size: u32,
    ) -> SourceStream<'a>;

    /// The tenant GUID (`tid` claim) of the token this source would use for
    /// `tenant`, or `None` when it cannot tell (the default). The forwarder
    /// pins a tenant configured by domain to it on first start and fails a
    /// tenant whose token names another tenant than its pin.
    fn token_tenant<'a>(&'a self, tenant: &'a TenantId) -> TenantFuture<'a> {
        let _ = tenant;
        Box::pin(async { Ok(None) })
    }

    /// Tells the source which GUID `tenant` is pinned to, so it can check
    /// every token it uses (the default does nothing).
    fn pin_tenant(&self, tenant: &TenantId, guid: &str) -> Result<()> {
        let _ = (tenant, guid);
        Ok(())
    }
}

impl AlertSource for DefenderClient {
    fn alerts_since<'a>(
        &'a self,
        tenant: &'a TenantId,
        since: Timestamp,
        page_size: u32,
    ) -> SourceStream<'a> {
        self.alerts(tenant)
            .updated_since(since)
            .expand_evidence()
            .top(page_size)
            .stream()
    }

    fn token_tenant<'a>(&'a self, tenant: &'a TenantId) -> TenantFuture<'a> {
        Box::pin(self.token_tenant_id(tenant))
    }

    fn pin_tenant(&self, tenant: &TenantId, guid: &str) -> Result<()> {
        DefenderClient::pin_tenant(self, tenant, guid)
    }
}
