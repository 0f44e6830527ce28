//! [`Named`]: gives a sink the name its checkpoints are kept under.

use async_trait::async_trait;

use super::{AlertRecord, AlertSink, SinkError};

/// A sink under another name. The forwarder keys checkpoints by sink name,
/// so two sinks of the same kind (two Splunk indexes, two syslog
/// receivers) need distinct names. Errors of the inner sink carry this
/// name, with the inner sink's type and host beside it.
///
/// ```
/// use defender_siem::sink::{AlertSink, MemorySink, Named};
///
/// let sink = Named::new("splunk-eu", MemorySink::new());
/// assert_eq!(sink.name(), "splunk-eu");
/// ```
#[derive(Debug, Clone)]
pub struct Named<S> {
    name: String,
    inner: S,
}

impl<S: AlertSink> Named<S> {
    /// `inner`, called `name`.
    pub fn new(name: impl Into<String>, inner: S) -> Self {
        Named {
            name: name.into(),
            inner,
        }
    }

    /// The wrapped sink.
    pub fn inner(&self) -> &S {
        &self.inner
    }
}

#[async_trait]
impl<S: AlertSink> AlertSink for Named<S> {
    fn name(&self) -> &str {
        &self.name
    }

    fn accepts(&self, record: &AlertRecord) -> bool {
        self.inner.accepts(record)
    }

    async fn send(&self, batch: &[AlertRecord]) -> Result<(), SinkError> {
        self.inner
            .send(batch)
            .await
            .map_err(|e| e.renamed(&self.name))
    }

    async fn health(&self) -> Result<(), SinkError> {
        self.inner.health().await.map_err(|e| e.renamed(&self.name))
    }

    async fn flush(&self) -> Result<(), SinkError> {
        self.inner.flush().await.map_err(|e| e.renamed(&self.name))
    }
}
