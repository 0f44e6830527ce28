//! Records → HEC request bodies (pure).

use std::ops::Range;

use crate::format::HecEnvelope;
use crate::sink::AlertRecord;
use crate::sink::batch::{Framing, cut_bodies};

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
    encode_batches_reusing(records, envelope, max_bytes, max_events, &mut Vec::new())
}

/// [`encode_batches`], writing into buffers taken from `spare` (bodies of
/// earlier batches, given back once sent) before allocating new ones. A
/// fresh megabyte-sized buffer costs a page fault per 4 KiB the first time
/// it is written, which is more than encoding the alerts into it.
pub fn encode_batches_reusing(
    records: &[AlertRecord],
    envelope: &HecEnvelope,
    max_bytes: usize,
    max_events: usize,
    spare: &mut Vec<Vec<u8>>,
) -> Vec<HecBatch> {
    cut_bodies(records, &Envelopes(envelope), max_bytes, max_events, spare)
        .into_iter()
        .map(|(range, body)| HecBatch { range, body })
        .collect()
}

/// Concatenated HEC event envelopes.
struct Envelopes<'a>(&'a HecEnvelope);

impl Framing for Envelopes<'_> {
    const OPEN: &'static [u8] = b"";
    const SEPARATOR: &'static [u8] = b"";
    const CLOSE: &'static [u8] = b"";

    fn encode(&self, record: &AlertRecord, out: &mut Vec<u8>) {
        self.0.encode(record, out);
    }
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
        let env = HecEnvelope::default();
        let fresh = encode_batches(&records, &env, 150, 3);
        let mut spare = vec![b"left over".to_vec(), Vec::with_capacity(4096)];
        let reused = encode_batches_reusing(&records, &env, 150, 3, &mut spare);
        assert_eq!(reused, fresh);
        assert!(fresh.len() > 2, "{}", fresh.len());
        assert!(spare.is_empty());
    }
}
