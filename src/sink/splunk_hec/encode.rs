//! Records → HEC request bodies (pure).

use std::ops::Range;

use crate::format::HecEnvelope;
use crate::sink::AlertRecord;

/// One request body: concatenated envelopes of `records[range]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HecBatch {
    /// Which records of the input it holds.
    pub range: Range<usize>,
    /// The body, uncompressed.
    pub body: Vec<u8>,
}

/// Cuts `records` into bodies of at most `max_bytes` bytes and
/// `max_events` envelopes, in order. An envelope larger than `max_bytes`
/// goes alone. Each envelope is written once; a body that would overflow
/// hands its last envelope on to the next body without re-encoding it.
///
/// ```
/// # use std::sync::Arc;
/// # use defender_siem::{TenantId, TenantInfo, sink::AlertRecord};
/// use defender_siem::format::HecEnvelope;
/// use defender_siem::sink::splunk_hec::encode_batches;
/// # let t = Arc::new(TenantInfo::new(TenantId::new("t1").unwrap(), "T"));
/// # let records: Vec<_> = (0..3).map(|i| AlertRecord::from_json(t.clone(), &format!(r#"{{"id":"{i}"}}"#)).unwrap()).collect();
/// let batches = encode_batches(&records, &HecEnvelope::default(), 1_000_000, 2);
/// assert_eq!(batches.iter().map(|b| b.range.clone()).collect::<Vec<_>>(), [0..2, 2..3]);
/// ```
pub fn encode_batches(
    records: &[AlertRecord],
    envelope: &HecEnvelope,
    max_bytes: usize,
    max_events: usize,
) -> Vec<HecBatch> {
    let mut batches = Vec::new();
    // Every body is handed to its request, so each gets its own buffer,
    // sized once for a full body rather than grown by doubling.
    let capacity = max_bytes.min(1 << 20);
    let mut body = Vec::with_capacity(capacity);
    let mut first = 0;
    for (i, record) in records.iter().enumerate() {
        let start = body.len();
        envelope.encode(record, &mut body);
        let full = i - first >= max_events.max(1);
        if (body.len() > max_bytes || full) && i > first {
            let mut next = Vec::with_capacity(capacity.max(body.len() - start));
            next.extend_from_slice(&body[start..]);
            body.truncate(start);
            batches.push(HecBatch {
                range: first..i,
                body: std::mem::replace(&mut body, next),
            });
            first = i;
        }
    }
    if first < records.len() {
        batches.push(HecBatch {
            range: first..records.len(),
            body,
        });
    }
    batches
}

/// The body for `records` as one request, whatever its size.
pub(crate) fn encode_range(records: &[AlertRecord], envelope: &HecEnvelope) -> Vec<u8> {
    // An envelope is the raw alert plus about 250 bytes.
    let guess: usize = records.iter().map(|r| r.raw.len() + 256).sum();
    let mut body = Vec::with_capacity(guess);
    for record in records {
        envelope.encode(record, &mut body);
    }
    body
}
