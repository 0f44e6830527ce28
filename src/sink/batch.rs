//! The one batcher of the HTTP sinks: records cut into request bodies of
//! bounded size, each record encoded once, in order. The framing (how a
//! body opens, separates and closes its records) is all that differs
//! between Splunk HEC (concatenated envelopes) and the Logs Ingestion API
//! (a JSON array).

use std::ops::Range;

use crate::record::AlertRecord;

/// How the records of one request body are put together.
pub(crate) trait Framing {
    /// Written before the first record.
    const OPEN: &'static [u8];
    /// Written between two records.
    const SEPARATOR: &'static [u8];
    /// Written after the last record.
    const CLOSE: &'static [u8];

    /// Appends one record.
    fn encode(&self, record: &AlertRecord, out: &mut Vec<u8>);
}

/// Cuts `records` into bodies of at most `max_bytes` bytes (framing
/// included) and `max_records` records. A record larger than `max_bytes`
/// goes alone. A body that would overflow hands its last record on to the
/// next body without encoding it again. Buffers come from `spare` before
/// new ones are allocated (a fresh megabyte-sized buffer costs a page fault
/// per 4 KiB the first time it is written, more than encoding into it).
pub(crate) fn cut_bodies<F: Framing>(
    records: &[AlertRecord],
    framing: &F,
    max_bytes: usize,
    max_records: usize,
    spare: &mut Vec<Vec<u8>>,
) -> Vec<(Range<usize>, Vec<u8>)> {
    let mut bodies = Vec::new();
    // Every body is handed to its request, so each gets its own buffer,
    // sized once for a full body rather than grown by doubling.
    let capacity = max_bytes.min(1 << 20) + F::CLOSE.len();
    let mut new_body = || {
        let mut body = match spare.pop() {
            Some(mut body) => {
                body.clear();
                body.reserve(capacity);
                body
            }
            None => Vec::with_capacity(capacity),
        };
        body.extend_from_slice(F::OPEN);
        body
    };
    let mut body = new_body();
    let mut first = 0;
    for (i, record) in records.iter().enumerate() {
        let start = body.len();
        if i > first {
            body.extend_from_slice(F::SEPARATOR);
        }
        framing.encode(record, &mut body);
        let full = i - first >= max_records.max(1);
        if (body.len() + F::CLOSE.len() > max_bytes || full) && i > first {
            // Hand this record on to the next body, without its separator.
            let mut next = new_body();
            next.extend_from_slice(&body[start + F::SEPARATOR.len()..]);
            body.truncate(start);
            body.extend_from_slice(F::CLOSE);
            bodies.push((first..i, std::mem::replace(&mut body, next)));
            first = i;
        }
    }
    if first < records.len() {
        body.extend_from_slice(F::CLOSE);
        bodies.push((first..records.len(), body));
    }
    bodies
}
