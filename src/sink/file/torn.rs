//! Cutting off a torn last line left by a crash in the middle of a write.
//!
//! A batch is acknowledged only once all of its lines are written, so a
//! line without its newline at the end of the file belongs to a batch that
//! was never acknowledged and will be sent again. Appending after it would
//! glue the next line to the fragment and spoil both; cutting it off
//! leaves only whole lines.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

/// How much of the file's end is read at a time while looking for the
/// last newline.
const CHUNK: u64 = 64 * 1024;

/// Cuts the opened `file` back to just after its last newline when it
/// does not end with one, and returns how many bytes were cut (0 when the
/// file is empty or ends with a newline). The caller has checked what the
/// handle is (see `open_checked`): this never opens a path itself.
pub(super) fn cut_torn_tail(file: &mut File) -> io::Result<u64> {
    let len = file.metadata()?.len();
    let mut end = len;
    let mut chunk = Vec::new();
    while end > 0 {
        let start = end.saturating_sub(CHUNK);
        chunk.resize((end - start) as usize, 0);
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut chunk)?;
        if let Some(at) = chunk.iter().rposition(|b| *b == b'\n') {
            let keep = start + at as u64 + 1;
            if keep < len {
                file.set_len(keep)?;
                file.sync_data()?;
            }
            return Ok(len - keep);
        }
        end = start;
    }
    // No newline at all: the whole file is one torn line.
    if len > 0 {
        file.set_len(0)?;
        file.sync_data()?;
    }
    Ok(len)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn cut(content: &[u8]) -> (u64, Vec<u8>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("alerts.jsonl");
        std::fs::write(&path, content).unwrap();
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .append(true)
            .open(&path)
            .unwrap();
        let cut = cut_torn_tail(&mut file).unwrap();
        (cut, std::fs::read(&path).unwrap())
    }

    #[test]
    fn whole_lines_are_left_alone() {
        assert_eq!(cut(b""), (0, b"".to_vec()));
        assert_eq!(cut(b"{\"a\":1}\n"), (0, b"{\"a\":1}\n".to_vec()));
    }

    #[test]
    fn a_torn_last_line_is_cut_off() {
        assert_eq!(
            cut(b"{\"a\":1}\n{\"b\":2}\n{\"c\":"),
            (5, b"{\"a\":1}\n{\"b\":2}\n".to_vec())
        );
        assert_eq!(cut(b"{\"only\":"), (8, Vec::new()));
    }

    #[test]
    fn a_torn_line_longer_than_a_chunk_is_cut_off() {
        let mut content = b"{\"a\":1}\n".to_vec();
        content.extend(std::iter::repeat_n(b'x', CHUNK as usize * 2 + 7));
        assert_eq!(cut(&content), (CHUNK * 2 + 7, b"{\"a\":1}\n".to_vec()));
    }
}
