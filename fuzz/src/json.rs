//! Checks for the JSON formats: the record parses, and the alert inside is
//! the alert that came in.

use serde_json::Value;

/// Parses one JSON record.
pub fn parse(format: &str, out: &[u8]) -> Result<Value, String> {
    serde_json::from_slice(out).map_err(|e| {
        format!(
            "{format}: not JSON ({e}): {:?}",
            String::from_utf8_lossy(out)
        )
    })
}

/// Fails unless `value[key]` equals `expected`.
pub fn member_is(format: &str, value: &Value, key: &str, expected: &Value) -> Result<(), String> {
    match value.get(key) {
        Some(v) if v == expected => Ok(()),
        other => Err(format!(
            "{format}: `{key}` is {other:?}, expected {expected:?}"
        )),
    }
}

/// Fails unless `out` is one JSON value (numbers of any size allowed).
pub fn syntax(format: &str, out: &[u8]) -> Result<(), String> {
    serde_json::from_slice::<&serde_json::value::RawValue>(out)
        .map(|_| ())
        .map_err(|e| {
            format!(
                "{format}: not JSON text ({e}): {:?}",
                String::from_utf8_lossy(out)
            )
        })
}
