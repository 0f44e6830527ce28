//! PLACEHOLDER mirroring the interface the sinks branch provides; replaced
//! at merge time.
#![allow(missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::value::RawValue;

use crate::models::{Alert, ParsedAlert};
use crate::tenant::TenantInfo;

pub mod email;

#[derive(Debug, Clone)]
pub struct AlertRecord {
    pub tenant: Arc<TenantInfo>,
    pub alert: Alert,
    pub raw: Box<RawValue>,
}

impl AlertRecord {
    pub fn new(tenant: Arc<TenantInfo>, parsed: ParsedAlert<Alert>) -> Self {
        AlertRecord {
            tenant,
            alert: parsed.alert,
            raw: parsed.raw,
        }
    }
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("{sink}: {message}")]
pub struct SinkError {
    pub sink: String,
    pub message: String,
    pub retryable: bool,
    pub retry_after: Option<Duration>,
}

impl SinkError {
    pub fn is_retryable(&self) -> bool {
        self.retryable
    }
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }
}

#[async_trait]
pub trait AlertSink: Send + Sync + std::fmt::Debug {
    fn name(&self) -> &str;
    async fn send(&self, batch: &[AlertRecord]) -> Result<(), SinkError>;
}
