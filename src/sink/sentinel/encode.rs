//! Records → Logs Ingestion request bodies (pure).

use std::ops::Range;

use chrono::{DateTime, Utc};

use crate::format::SentinelRow;
use crate::sink::AlertRecord;
use crate::sink::batch::{Framing, cut_bodies};

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
    encode_chunks_reusing(records, row, now, max_bytes, &mut Vec::new())
}

/// [`encode_chunks`], writing into buffers taken from `spare` (bodies of
/// earlier chunks, given back once sent) before allocating new ones. A
/// fresh megabyte-sized buffer costs a page fault per 4 KiB the first time
/// it is written, which is more than encoding the rows into it.
pub fn encode_chunks_reusing(
    records: &[AlertRecord],
    row: &SentinelRow,
    now: DateTime<Utc>,
    max_bytes: usize,
    spare: &mut Vec<Vec<u8>>,
) -> Vec<SentinelChunk> {
    let framing = Rows { row, now };
    cut_bodies(records, &framing, max_bytes, usize::MAX, spare)
        .into_iter()
        .map(|(range, body)| SentinelChunk { range, body })
        .collect()
}

/// A JSON array of table rows.
struct Rows<'a> {
    row: &'a SentinelRow,
    now: DateTime<Utc>,
}

impl Framing for Rows<'_> {
    const OPEN: &'static [u8] = b"[";
    const SEPARATOR: &'static [u8] = b",";
    const CLOSE: &'static [u8] = b"]";

    fn encode(&self, record: &AlertRecord, out: &mut Vec<u8>) {
        self.row.encode(record, self.now, out);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::{TenantId, TenantInfo};

    #[test]
    fn reused_buffers_give_the_same_bodies() {
        let tenant = Arc::new(TenantInfo::new(TenantId::new("t1").unwrap(), "T"));
        let records: Vec<_> = (0..7)
            .map(|i| {
                AlertRecord::from_json(tenant.clone(), &format!(r#"{{"id":"a{i}"}}"#)).unwrap()
            })
            .collect();
        let row = SentinelRow::default();
        let now = Utc::now();
        let fresh = encode_chunks(&records, &row, now, 400);
        let mut spare = vec![b"left over".to_vec(), Vec::with_capacity(4096)];
        let reused = encode_chunks_reusing(&records, &row, now, 400, &mut spare);
        assert_eq!(reused, fresh);
        assert!(fresh.len() > 2, "{}", fresh.len());
        assert!(spare.is_empty());
    }
}
