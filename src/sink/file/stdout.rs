//! [`StdoutSink`]: one line per alert on standard output.

use async_trait::async_trait;
use chrono::Utc;
use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;

use crate::format::Format;
use crate::sink::{AlertRecord, AlertSink, SinkError};

/// Writes one line per alert to standard output, in any [`Format`]
/// (default the raw JSON). Batches are written whole, never interleaved.
/// A failed write reports [`SinkError::accepted`] 0 (standard output cannot
/// say how much of the batch got out, and cannot be cut back), so the caller
/// writes the whole batch again: some lines may then appear twice.
///
/// ```no_run
/// # async fn run() -> Result<(), defender_siem::sink::SinkError> {
/// use defender_siem::format::Format;
/// use defender_siem::sink::{AlertSink, StdoutSink};
///
/// let sink = StdoutSink::new(Format::Cef(Default::default()));
/// # let batch = [];
/// sink.send(&batch).await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct StdoutSink {
    format: Format,
    buf: Mutex<Vec<u8>>,
}

impl Default for StdoutSink {
    fn default() -> Self {
        StdoutSink::new(Format::Json)
    }
}

impl StdoutSink {
    /// A sink writing `format` lines.
    pub fn new(format: Format) -> Self {
        StdoutSink {
            format,
            buf: Mutex::new(Vec::new()),
        }
    }
}

#[async_trait]
impl AlertSink for StdoutSink {
    fn name(&self) -> &str {
        "stdout"
    }

    /// Every record, but one whose typed view could not be read
    /// ([`AlertRecord::is_malformed`]) only when the format carries the raw
    /// JSON ([`crate::format::Format::carries_raw_json`]).
    fn accepts(&self, record: &AlertRecord) -> bool {
        !record.is_malformed() || self.format.carries_raw_json()
    }

    async fn send(&self, batch: &[AlertRecord]) -> Result<(), SinkError> {
        let mut buf = self.buf.lock().await;
        buf.clear();
        let now = Utc::now();
        for record in batch {
            self.format.encode_line(record, now, &mut buf);
        }
        let mut out = tokio::io::stdout();
        out.write_all(&buf)
            .await
            .map_err(|e| SinkError::io("stdout", "cannot write to stdout", e).at("stdout"))?;
        out.flush()
            .await
            .map_err(|e| SinkError::io("stdout", "cannot write to stdout", e).at("stdout"))
    }
}
