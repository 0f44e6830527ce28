//! The one-record-one-line rule.

/// Fails when `out` holds a raw CR or LF.
pub fn one_line(format: &str, out: &[u8]) -> Result<(), String> {
    match out.iter().position(|b| matches!(b, b'\r' | b'\n')) {
        Some(at) => Err(format!(
            "{format}: raw line break at byte {at} in {:?}",
            String::from_utf8_lossy(out)
        )),
        None => Ok(()),
    }
}
