//! Records → Logs Ingestion request bodies (pure).

use std::ops::Range;

use chrono::{DateTime, Utc};

use crate::format::SentinelRow;
use crate::sink::AlertRecord;

/// One request body: a JSON array of the rows of `records[range]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentinelChunk {
    /// Which records of the input it holds.
    pub range: Range<usize>,
    /// The JSON array, uncompressed.
    pub body: Vec<u8>,
}

/// Cuts `records` into JSON arrays of at most `max_bytes` bytes, counting
/// everything (brackets and commas too, which Microsoft's client leaves
/// out), in order. A row larger than `max_bytes` goes alone. Each row is
/// written once. `now` is `TimeGenerated` for alerts without a time.
///
/// ```
/// # use std::sync::Arc;
/// # use defender_siem::{TenantId, TenantInfo, sink::AlertRecord};
/// use defender_siem::format::SentinelRow;
/// use defender_siem::sink::sentinel::encode_chunks;
/// # let t = Arc::new(TenantInfo::new(TenantId::new("t1").unwrap(), "T"));
/// # let records: Vec<_> = (0..2).map(|i| AlertRecord::from_json(t.clone(), &format!(r#"{{"id":"{i}","lastUpdateTime":"2024-01-01T00:00:00Z"}}"#)).unwrap()).collect();
/// let chunks = encode_chunks(&records, &SentinelRow::default(), chrono::Utc::now(), 1 << 20);
/// assert_eq!(chunks.len(), 1);
/// assert!(chunks[0].body.starts_with(br#"[{"TimeGenerated":"2024-01-01T00:00:00Z","CustomerTenantId":"t1""#));
/// ```
pub fn encode_chunks(
    records: &[AlertRecord],
    row: &SentinelRow,
    now: DateTime<Utc>,
    max_bytes: usize,
) -> Vec<SentinelChunk> {
    let mut chunks = Vec::new();
    // Every body is handed to its request, so each gets its own buffer,
    // sized once for a full chunk rather than grown by doubling.
    let capacity = max_bytes.min(1 << 20) + 1;
    let mut body = Vec::with_capacity(capacity);
    body.push(b'[');
    let mut first = 0;
    for (i, record) in records.iter().enumerate() {
        let start = body.len();
        if i > first {
            body.push(b',');
        }
        row.encode(record, now, &mut body);
        if body.len() + 1 > max_bytes && i > first {
            // Hand this row on to the next chunk, without its comma.
            let mut next = Vec::with_capacity(capacity.max(body.len() - start));
            next.push(b'[');
            next.extend_from_slice(&body[start + 1..]);
            body.truncate(start);
            body.push(b']');
            chunks.push(SentinelChunk {
                range: first..i,
                body: std::mem::replace(&mut body, next),
            });
            first = i;
        }
    }
    if first < records.len() {
        body.push(b']');
        chunks.push(SentinelChunk {
            range: first..records.len(),
            body,
        });
    }
    chunks
}
