//! Records → framed syslog messages (pure).

use chrono::{DateTime, Utc};

use super::config::{Framing, MessageFormat};
use crate::format::{rfc3164, rfc5424};
use crate::sink::AlertRecord;

/// A batch of framed messages in one buffer.
#[derive(Debug, Default)]
pub(crate) struct Frames {
    /// Every frame, back to back.
    pub buf: Vec<u8>,
    /// Where each frame ends in `buf`.
    pub ends: Vec<usize>,
    /// (record index, original payload length) of each truncated message.
    pub truncated: Vec<(usize, usize)>,
    scratch: Vec<u8>,
}

impl Frames {
    /// Encodes `records`. `framing` is `None` on UDP (one datagram each).
    pub fn encode(
        &mut self,
        records: &[AlertRecord],
        format: &MessageFormat,
        framing: Option<Framing>,
        limit: Option<usize>,
        now: DateTime<Utc>,
    ) {
        self.buf.clear();
        self.ends.clear();
        self.truncated.clear();
        for (i, record) in records.iter().enumerate() {
            self.scratch.clear();
            let cut = match format {
                MessageFormat::Rfc5424(o) => {
                    rfc5424::encode_limited(record, o, limit, &mut self.scratch)
                }
                MessageFormat::Rfc3164(o) => {
                    rfc3164::encode_limited(record, o, now, limit, &mut self.scratch)
                }
            };
            if let Some(original) = cut {
                self.truncated.push((i, original));
            }
            match framing {
                Some(Framing::OctetCounting) => {
                    let _ = std::io::Write::write_fmt(
                        &mut self.buf,
                        format_args!("{} ", self.scratch.len()),
                    );
                    self.buf.extend_from_slice(&self.scratch);
                }
                Some(Framing::LineFeed) => {
                    self.buf.extend_from_slice(&self.scratch);
                    self.buf.push(b'\n');
                }
                None => self.buf.extend_from_slice(&self.scratch),
            }
            self.ends.push(self.buf.len());
        }
    }

    /// The frame `i`.
    pub fn frame(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.buf[start..self.ends[i]]
    }

    /// How many frames end at or before byte `offset`.
    pub fn complete_before(&self, offset: usize) -> usize {
        self.ends.partition_point(|end| *end <= offset)
    }
}
