//! [`AlertSource`]: where the forwarder gets alerts from.

use std::fmt;
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
}
