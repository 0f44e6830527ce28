//! The errors both page readers report: [`MalformedAlert`] (one alert that
//! does not fit its model) and [`PageError`] (a page that cannot be read).

use std::fmt;
use std::marker::PhantomData;

use serde::de::{DeserializeOwned, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::models::fields::Key;
use crate::models::raw::RawJson;

/// An alert that could not be read into its model: a member of the wrong
/// type, a timestamp that is not one, a number out of range, nesting deeper
/// than the reader allows, or bytes that are not UTF-8. It keeps its raw
/// bytes so it can still be forwarded (or quarantined) rather than lost.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("alert #{index}{} is malformed at `{path}`: {message}", IdSuffix(.id.as_deref()))]
pub struct MalformedAlert {
    index: usize,
    id: Option<String>,
    path: String,
    message: String,
    raw: RawJson,
    /// The exact bytes when they are not UTF-8 (then `raw` is a repaired
    /// copy).
    bytes: Option<Box<[u8]>>,
}

const HEX: &[u8; 16] = b"0123456789abcdef";

struct IdSuffix<'a>(Option<&'a str>);

impl fmt::Display for IdSuffix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(id) => write!(f, " (id {id})"),
            None => Ok(()),
        }
    }
}

impl MalformedAlert {
    /// Re-reads the alert with path tracking to say exactly where it broke.
    /// Only runs on the error path, so the happy path pays nothing for it.
    /// `raw` must be one well-formed JSON value.
    pub(in crate::models) fn explain<T: DeserializeOwned>(index: usize, raw: &str) -> Self {
        let mut de = serde_json::Deserializer::from_str(raw);
        let (path, message) = match serde_path_to_error::deserialize::<_, T>(&mut de) {
            Err(e) => (
                shown(&json_path(&e.path().to_string()), 300),
                without_position(e.inner()),
            ),
            Ok(_) => ("$".to_owned(), "the alert could not be read".to_owned()),
        };
        MalformedAlert {
            index,
            id: probe_id(raw).map(|id| shown(&id, 200)),
            path,
            message,
            raw: RawJson::from_checked(raw),
            bytes: None,
        }
    }

    /// An alert whose bytes are not UTF-8 (so no JSON reader takes it).
    /// `raw` becomes a repaired copy (each bad sequence replaced by U+FFFD)
    /// when that is one JSON value, else the repaired text as a JSON string;
    /// the exact bytes stay in [`MalformedAlert::raw_bytes`].
    pub(super) fn not_utf8(index: usize, bytes: &[u8], bad_at: usize) -> Self {
        let repaired = String::from_utf8_lossy(bytes).into_owned();
        let raw = match RawJson::from_string(repaired.clone()) {
            Ok(raw) => raw,
            Err(_) => RawJson::from_checked(
                &serde_json::to_string(&repaired).unwrap_or_else(|_| "null".to_owned()),
            ),
        };
        MalformedAlert {
            index,
            id: super::split::probe_id(bytes).map(|id| shown(&id, 200)),
            path: shown(&super::split::path_of(bytes, bad_at), 300),
            message: format!("invalid UTF-8 at byte {bad_at} of the alert"),
            raw,
            bytes: Some(bytes.into()),
        }
    }

    pub(super) fn not_an_object(index: usize, raw: &RawValue) -> Self {
        MalformedAlert {
            index,
            id: None,
            path: "$".to_owned(),
            message: "expected an alert object".to_owned(),
            raw: RawJson::from(raw),
            bytes: None,
        }
    }

    /// Position of the alert in its page (or input), from 0.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The alert's `id` (or `AlertId`), when it could be read.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// Where in the alert the problem is, as a JSON path such as
    /// `$.evidence[1].processId`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What is wrong, without the position (see [`MalformedAlert::path`]).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The alert's JSON: its exact bytes, or, when those are not UTF-8
    /// ([`MalformedAlert::is_utf8`]), a repaired copy in which each bad
    /// sequence is U+FFFD (or, if that is still not one JSON value, the
    /// repaired text as a JSON string).
    pub fn raw(&self) -> &RawJson {
        &self.raw
    }

    /// The alert's exact bytes as the API sent them, UTF-8 or not.
    ///
    /// ```
    /// use defender_siem::models::{parse_page, Alert};
    ///
    /// let page = parse_page::<Alert>(b"{\"value\":[{\"id\":\"a1\"},{\"id\":\"a2\",\"title\":\"\xff\"}]}")?;
    /// assert_eq!(page.parsed().count(), 1);
    /// let bad = page.malformed().next().unwrap();
    /// assert_eq!((bad.index(), bad.id(), bad.path()), (1, Some("a2"), "$.title"));
    /// assert!(!bad.is_utf8());
    /// assert_eq!(bad.raw_bytes(), b"{\"id\":\"a2\",\"title\":\"\xff\"}");
    /// assert_eq!(bad.raw().get(), "{\"id\":\"a2\",\"title\":\"\u{fffd}\"}");
    /// # Ok::<(), defender_siem::models::PageError>(())
    /// ```
    pub fn raw_bytes(&self) -> &[u8] {
        self.bytes.as_deref().unwrap_or(self.raw.as_bytes())
    }

    /// The SHA-256 of [`MalformedAlert::raw_bytes`], in lower-case hex: what
    /// the forwarder's quarantine recognizes the alert by.
    pub fn sha256(&self) -> String {
        let digest = ring::digest::digest(&ring::digest::SHA256, self.raw_bytes());
        let mut hex = String::with_capacity(64);
        for byte in digest.as_ref() {
            hex.push(char::from(HEX[usize::from(byte >> 4)]));
            hex.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
        hex
    }

    /// False when the alert's bytes are not UTF-8, so that
    /// [`MalformedAlert::raw`] is a repaired copy, not the exact bytes.
    pub fn is_utf8(&self) -> bool {
        self.bytes.is_none()
    }

    /// Takes the alert's JSON (see [`MalformedAlert::raw`]).
    pub fn into_raw(self) -> RawJson {
        self.raw
    }
}

/// What kind of problem made a page unreadable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PageErrorKind {
    /// The input is not JSON.
    Syntax,
    /// The input ends in the middle of a JSON value.
    Truncated,
    /// Valid JSON, but not a page of alerts (for example no `value` array).
    Shape,
}

/// A page that could not be read at all. Names the byte offset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} at byte {offset} (line {line}, column {column}): {message}", kind_text(*.kind))]
pub struct PageError {
    kind: PageErrorKind,
    offset: usize,
    line: usize,
    column: usize,
    message: String,
}

fn kind_text(kind: PageErrorKind) -> &'static str {
    match kind {
        PageErrorKind::Syntax => "the page is not valid JSON",
        PageErrorKind::Truncated => "the page is cut short",
        PageErrorKind::Shape => "the JSON is not a page of alerts",
    }
}

impl PageError {
    pub(super) fn from_json(input: &[u8], base: usize, e: &serde_json::Error) -> Self {
        let kind = if e.is_eof() {
            PageErrorKind::Truncated
        } else if e.is_syntax() {
            PageErrorKind::Syntax
        } else {
            PageErrorKind::Shape
        };
        let local = &input[base.min(input.len())..];
        // At end of input the reader stopped where more was expected: the end.
        let offset = if e.is_eof() {
            input.len()
        } else {
            base + byte_offset(local, e.line(), e.column())
        };
        let (line, column) = line_column(input, offset);
        PageError {
            kind,
            offset,
            line,
            column,
            message: without_position(e),
        }
    }

    pub(super) fn shape(input: &[u8], offset: usize, message: &str) -> Self {
        let (line, column) = line_column(input, offset);
        PageError {
            kind: PageErrorKind::Shape,
            offset,
            line,
            column,
            message: message.to_owned(),
        }
    }

    /// What kind of problem it is.
    pub fn kind(&self) -> PageErrorKind {
        self.kind
    }

    /// Byte offset into the input where reading stopped.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Line (from 1) of [`PageError::offset`].
    pub fn line(&self) -> usize {
        self.line
    }

    /// Column (from 1, in bytes) of [`PageError::offset`].
    pub fn column(&self) -> usize {
        self.column
    }

    /// The parser's explanation.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// Reads the `id` (or legacy `AlertId`) of an alert that failed to parse,
/// ignoring everything else.
fn probe_id(raw: &str) -> Option<String> {
    struct IdProbe(Option<String>);
    impl<'de> serde::Deserialize<'de> for IdProbe {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V(PhantomData<()>);
            impl<'de> Visitor<'de> for V {
                type Value = IdProbe;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<IdProbe, A::Error> {
                    let mut id = None;
                    while let Some(key) = map.next_key::<Key<'de>>()? {
                        if matches!(key.as_str(), "id" | "AlertId") && id.is_none() {
                            id = match map.next_value::<serde_json::Value>()? {
                                serde_json::Value::String(s) => Some(s),
                                serde_json::Value::Number(n) => Some(n.to_string()),
                                _ => None,
                            };
                        } else {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                    Ok(IdProbe(id))
                }
            }
            d.deserialize_map(V(PhantomData))
        }
    }
    serde_json::from_str::<IdProbe>(raw).ok().and_then(|p| p.0)
}

/// `evidence[1].processId` (serde_path_to_error's form) → `$.evidence[1].processId`.
fn json_path(path: &str) -> String {
    if path == "." || path.is_empty() {
        "$".to_owned()
    } else if path.starts_with('[') {
        format!("${path}")
    } else {
        format!("$.{path}")
    }
}

/// serde_json appends " at line L column C"; the position is reported
/// separately, so drop it.
fn without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let text = match text.rfind(" at line ") {
        Some(cut) => &text[..cut],
        None => text.as_str(),
    };
    shown(text, 300)
}

/// Text taken from the page (an id, a member name, a value quoted by
/// serde) as it may appear in an error or a log line: control and format
/// characters escaped, clipped (see [`crate::transport::server_text`]).
fn shown(text: &str, max_chars: usize) -> String {
    crate::transport::server_text(text, &[], max_chars)
}

/// Byte offset of serde_json's (line, column) position; column counts bytes
/// from 1, and 0 means "before the first byte of the line".
fn byte_offset(input: &[u8], line: usize, column: usize) -> usize {
    let mut line_start = 0;
    if line > 1 {
        let mut seen = 1;
        for (i, b) in input.iter().enumerate() {
            if *b == b'\n' {
                seen += 1;
                if seen == line {
                    line_start = i + 1;
                    break;
                }
            }
        }
    }
    (line_start + column.saturating_sub(1)).min(input.len())
}

/// (line, column) from 1 of a byte offset.
fn line_column(input: &[u8], offset: usize) -> (usize, usize) {
    let before = &input[..offset.min(input.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    (line, offset - line_start + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_from_line_and_column() {
        let input = b"ab\ncde\nf";
        assert_eq!(byte_offset(input, 1, 1), 0);
        assert_eq!(byte_offset(input, 2, 2), 4);
        assert_eq!(byte_offset(input, 3, 1), 7);
        assert_eq!(line_column(input, 4), (2, 2));
        assert_eq!(line_column(input, 0), (1, 1));
    }

    #[test]
    fn json_paths() {
        assert_eq!(json_path("."), "$");
        assert_eq!(
            json_path("evidence[1].processId"),
            "$.evidence[1].processId"
        );
        assert_eq!(json_path("[2].id"), "$[2].id");
    }

    #[test]
    fn text_from_the_page_cannot_forge_a_log_line() {
        let raw =
            "{\"id\":\"da1\\r\\nERROR forged\",\"lastUpdateTime\":\"\\u202enot a time\\u001b[2J\"}";
        let bad = MalformedAlert::explain::<crate::models::Alert>(3, raw);
        let shown = bad.to_string();
        assert!(
            !shown.contains(['\r', '\n', '\u{1b}', '\u{202E}']),
            "{shown}"
        );
        assert_eq!(bad.id(), Some("da1\\r\\nERROR forged"));
        assert!(shown.contains("<U+202E>"), "{shown}");
    }
}
