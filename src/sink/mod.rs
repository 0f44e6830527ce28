//! PLACEHOLDER mirroring the interface the sinks branch provides; replaced
//! at merge time.
#![allow(missing_docs)]

use async_trait::async_trait;

pub mod email;
mod error;
mod record;

pub use error::{SinkError, SinkErrorKind};
pub use record::AlertRecord;

#[async_trait]
pub trait AlertSink: Send + Sync + std::fmt::Debug {
    fn name(&self) -> &str;
    async fn send(&self, batch: &[AlertRecord]) -> Result<(), SinkError>;
    async fn health(&self) -> Result<(), SinkError> {
        Ok(())
    }
    async fn flush(&self) -> Result<(), SinkError> {
        Ok(())
    }
}
