//! The sinks the probe delivers to: the real `SplunkHecSink`, or a null
//! sink that does the same CPU work (HEC bodies, optional gzip) and drops
//! the bytes.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use defender_siem::format::HecEnvelope;
use defender_siem::sink::splunk_hec::{SplunkHecSink, encode_batches_reusing, gzip};
use defender_siem::sink::{AlertRecord, AlertSink, SinkError};

use crate::args::{Args, SinkKind};

/// A made-up HEC token: the null receiver accepts any.
const TOKEN: &str = "00000000-0000-4000-8000-000000000000";

/// Encodes every batch to HEC request bodies exactly as the HEC sink
/// would, then drops them.
#[derive(Debug)]
pub struct NullHecSink {
    envelope: HecEnvelope,
    max_bytes: usize,
    max_events: usize,
    gzip: bool,
    /// Body bytes produced (after gzip when on).
    pub bytes: AtomicU64,
    /// Request bodies produced.
    pub bodies: AtomicU64,
    /// Bodies of earlier batches, reused as the real sink reuses them.
    spare: Mutex<Vec<Vec<u8>>>,
}

#[async_trait]
impl AlertSink for NullHecSink {
    fn name(&self) -> &str {
        "null_hec"
    }

    async fn send(&self, batch: &[AlertRecord]) -> Result<(), SinkError> {
        let mut spare = std::mem::take(&mut *self.spare.lock().unwrap_or_else(|e| e.into_inner()));
        let bodies = encode_batches_reusing(
            batch,
            &self.envelope,
            self.max_bytes,
            self.max_events,
            &mut spare,
        );
        for body in bodies {
            let len = if self.gzip {
                black_box(gzip(&body.body)).len()
            } else {
                black_box(&body.body).len()
            };
            self.bytes.fetch_add(len as u64, Ordering::Relaxed);
            self.bodies.fetch_add(1, Ordering::Relaxed);
            spare.push(body.body);
        }
        spare.truncate(4);
        *self.spare.lock().unwrap_or_else(|e| e.into_inner()) = spare;
        Ok(())
    }
}

/// The sink to deliver to, and the null sink again (for its counters)
/// when it is that one.
pub type Built = (Arc<dyn AlertSink>, Option<Arc<NullHecSink>>);

/// The sink the arguments ask for.
pub fn build(args: &Args) -> Result<Built, String> {
    match args.sink {
        SinkKind::Null => {
            let null = Arc::new(NullHecSink {
                envelope: HecEnvelope::default(),
                max_bytes: args.max_bytes,
                max_events: args.batch,
                gzip: args.gzip,
                bytes: AtomicU64::new(0),
                bodies: AtomicU64::new(0),
                spare: Mutex::new(Vec::new()),
            });
            Ok((null.clone(), Some(null)))
        }
        SinkKind::Hec => {
            let url = args.hec_url.as_deref().unwrap_or_default();
            let hec = SplunkHecSink::builder(url, TOKEN)
                .max_batch_events(args.batch)
                .max_batch_bytes(args.max_bytes)
                .gzip(args.gzip)
                .build()
                .map_err(|e| e.to_string())?;
            Ok((Arc::new(hec), None))
        }
    }
}
