//! Lossless, fault-isolated parsing of alert pages.
//!
//! Each alert is read into its typed view on its own, and its exact bytes are
//! kept beside it, so one malformed alert (a wrong type, a bad timestamp) is
//! reported with its index, id and JSON path while every other alert of the
//! page still parses. Only a page that is not JSON at all, or is cut short,
//! fails as a whole, with the byte offset.
//!
//! A well-formed page is read in one pass (see `page_fast`): every alert is
//! parsed once, typed, and its span cut out of the input. Anything unusual
//! (a syntax error, a missing `value`) sends the page to the general reader
//! below, which cuts every alert out first ([`RawValue`]) and then reads
//! each one, and which produces the exact error to report.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor,
};
use serde_json::value::RawValue;

use super::alert::Alert;
use super::fields::Key;
use super::raw::RawJson;

/// One alert of a page: its exact bytes and its typed view.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ParsedAlert<T = Alert> {
    /// The bytes the API sent for this alert, unchanged. JSON sinks forward
    /// these, so nothing the API sent is ever lost or re-ordered.
    pub raw: RawJson,
    /// The typed view, for routing, filters and the text formats.
    pub alert: T,
}

impl<T: DeserializeOwned> ParsedAlert<T> {
    /// Reads one alert from its raw JSON; `index` is only used in the error.
    pub fn from_raw(index: usize, raw: &RawValue) -> Result<Self, MalformedAlert> {
        match serde_json::from_str::<T>(raw.get()) {
            Ok(alert) => Ok(ParsedAlert {
                raw: RawJson::from(raw),
                alert,
            }),
            Err(_) => Err(MalformedAlert::explain::<T>(index, raw.get())),
        }
    }
}

/// An alert whose JSON is well formed but does not fit the model: a member
/// of the wrong type, a timestamp that is not one. It keeps its raw bytes so
/// it can still be forwarded (or set aside) rather than lost.
#[derive(Debug, Clone, thiserror::Error)]
#[error("alert #{index}{} is malformed at `{path}`: {message}", IdSuffix(.id.as_deref()))]
pub struct MalformedAlert {
    index: usize,
    id: Option<String>,
    path: String,
    message: String,
    raw: RawJson,
}

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
    pub(super) fn explain<T: DeserializeOwned>(index: usize, raw: &str) -> Self {
        let mut de = serde_json::Deserializer::from_str(raw);
        let (path, message) = match serde_path_to_error::deserialize::<_, T>(&mut de) {
            Err(e) => (
                json_path(&e.path().to_string()),
                without_position(e.inner()),
            ),
            Ok(_) => ("$".to_owned(), "the alert could not be read".to_owned()),
        };
        MalformedAlert {
            index,
            id: probe_id(raw),
            path,
            message,
            raw: RawJson::from_checked(raw),
        }
    }

    fn not_an_object(index: usize, raw: &RawValue) -> Self {
        MalformedAlert {
            index,
            id: None,
            path: "$".to_owned(),
            message: "expected an alert object".to_owned(),
            raw: RawJson::from(raw),
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

    /// The alert's exact bytes.
    pub fn raw(&self) -> &RawJson {
        &self.raw
    }

    /// Takes the alert's exact bytes.
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
    fn from_json(input: &[u8], base: usize, e: &serde_json::Error) -> Self {
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

    fn shape(input: &[u8], offset: usize, message: &str) -> Self {
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

/// A page of alerts (an OData envelope), or everything read from a file.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Page<T = Alert> {
    /// `@odata.context`, when the API sent one.
    pub context: Option<String>,
    /// `@odata.nextLink`: where the next page is, when the API gave one.
    pub next_link: Option<String>,
    /// One result per alert, in the order the API sent them.
    pub alerts: Vec<Result<ParsedAlert<T>, MalformedAlert>>,
    /// Stretches of a JSON-lines input that were not JSON and were skipped.
    /// Always empty from [`parse_page`].
    pub skipped: Vec<PageError>,
}

impl<T> Page<T> {
    pub(super) fn empty() -> Self {
        Page {
            context: None,
            next_link: None,
            alerts: Vec::new(),
            skipped: Vec::new(),
        }
    }

    /// The alerts that parsed.
    pub fn parsed(&self) -> impl Iterator<Item = &ParsedAlert<T>> {
        self.alerts.iter().filter_map(|r| r.as_ref().ok())
    }

    /// The alerts that did not.
    pub fn malformed(&self) -> impl Iterator<Item = &MalformedAlert> {
        self.alerts.iter().filter_map(|r| r.as_ref().err())
    }

    /// Number of alerts on the page, malformed ones included.
    pub fn len(&self) -> usize {
        self.alerts.len()
    }

    /// True when the page holds no alert.
    pub fn is_empty(&self) -> bool {
        self.alerts.is_empty()
    }
}

/// Parses one API response: an OData envelope with a `value` array.
///
/// ```
/// use defender_siem::models::{parse_page, Alert};
///
/// let body = br#"{"@odata.context":"x","value":[
///     {"id":"a1","severity":"High","lastUpdateTime":"2024-05-02T09:14:05.2Z"},
///     {"id":"a2","severity":"Low","lastUpdateTime":"not a time"}
/// ]}"#;
/// let page = parse_page::<Alert>(body)?;
/// assert_eq!(page.len(), 2);
/// let good = page.alerts[0].as_ref().unwrap();
/// assert_eq!(good.raw.get(), r#"{"id":"a1","severity":"High","lastUpdateTime":"2024-05-02T09:14:05.2Z"}"#);
/// let bad = page.alerts[1].as_ref().unwrap_err();
/// assert_eq!((bad.index(), bad.id(), bad.path()), (1, Some("a2"), "$.lastUpdateTime"));
/// # Ok::<(), defender_siem::models::PageError>(())
/// ```
pub fn parse_page<T: DeserializeOwned>(input: &[u8]) -> Result<Page<T>, PageError> {
    if let Some(page) = super::page_fast::parse_page_fast(input) {
        return Ok(page);
    }
    let mut de = serde_json::Deserializer::from_slice(input);
    let envelope = EnvelopeSeed { strict: true }
        .deserialize(&mut de)
        .map_err(|e| PageError::from_json(input, 0, &e))?;
    de.end().map_err(|e| PageError::from_json(input, 0, &e))?;
    let Some(values) = envelope.value else {
        return Err(PageError::shape(
            input,
            0,
            "the object has no `value` array",
        ));
    };
    let mut page = Page::empty();
    page.context = envelope.context;
    page.next_link = envelope.next_link;
    page.alerts = parse_each(0, &values);
    Ok(page)
}

/// Parses whatever a file or a pipe may hold: an OData page, a bare JSON
/// array of alerts (the legacy SIEM API's shape), a single alert, or JSON
/// lines of any of these. Alerts are numbered across the whole input.
///
/// In JSON-lines input a line that is not JSON is recorded in
/// [`Page::skipped`] and reading goes on at the next line that starts a JSON
/// value. When nothing at all could be read, the error is returned instead.
pub fn parse_records<T: DeserializeOwned>(input: &[u8]) -> Result<Page<T>, PageError> {
    if let Some(page) = super::page_fast::parse_records_fast(input) {
        return Ok(page);
    }
    let mut page = Page::empty();
    let mut start = 0;
    while start < input.len() {
        let mut stream =
            serde_json::Deserializer::from_slice(&input[start..]).into_iter::<&RawValue>();
        loop {
            // Where the value about to be read begins (after whitespace).
            let value_start = start + stream.byte_offset();
            match stream.next() {
                None => {
                    start = input.len();
                    break;
                }
                Some(Ok(raw)) => add_value(&mut page, raw),
                Some(Err(_)) => {
                    // serde_json may have read on into the following lines
                    // (a cut-off line is continued by the next one), so
                    // resume at the first line after the start of the broken
                    // value, and describe the problem within that stretch.
                    let resume = next_line_start(input, value_start + 1);
                    page.skipped.push(stretch_error(input, value_start, resume));
                    start = resume;
                    break;
                }
            }
        }
    }
    if page.alerts.is_empty()
        && page.context.is_none()
        && let Some(first) = page.skipped.first()
    {
        return Err(first.clone());
    }
    Ok(page)
}

/// The error of reading `input[from..to]` as one JSON value.
fn stretch_error(input: &[u8], from: usize, to: usize) -> PageError {
    // Leave the line break out, so a cut-off line's error points at its end.
    let end = from + input[from..to].trim_ascii_end().len();
    match serde_json::from_slice::<&RawValue>(&input[from..end]) {
        Err(e) => PageError::from_json(&input[..end], from, &e),
        // The stretch alone is valid JSON; it only failed together with what
        // followed it, which is then the problem.
        Ok(_) => PageError::shape(input, to, "unexpected data after a JSON value"),
    }
}

fn add_value<T: DeserializeOwned>(page: &mut Page<T>, raw: &RawValue) {
    let base = page.alerts.len();
    match raw.get().as_bytes().first() {
        Some(b'[') => match serde_json::from_str::<Vec<&RawValue>>(raw.get()) {
            Ok(values) => page.alerts.extend(parse_each(base, &values)),
            Err(_) => page
                .alerts
                .push(Err(MalformedAlert::not_an_object(base, raw))),
        },
        Some(b'{') => {
            let mut de = serde_json::Deserializer::from_str(raw.get());
            match (EnvelopeSeed { strict: false }).deserialize(&mut de) {
                Ok(Envelope {
                    value: Some(values),
                    context,
                    next_link,
                }) => {
                    if page.context.is_none() {
                        page.context = context;
                    }
                    page.next_link = next_link;
                    page.alerts.extend(parse_each(base, &values));
                }
                _ => page.alerts.push(ParsedAlert::from_raw(base, raw)),
            }
        }
        _ => page
            .alerts
            .push(Err(MalformedAlert::not_an_object(base, raw))),
    }
}

fn parse_each<T: DeserializeOwned>(
    base: usize,
    values: &[&RawValue],
) -> Vec<Result<ParsedAlert<T>, MalformedAlert>> {
    values
        .iter()
        .enumerate()
        .map(|(i, raw)| ParsedAlert::from_raw(base + i, raw))
        .collect()
}

/// The OData envelope, with the alerts left as raw bytes.
struct Envelope<'a> {
    context: Option<String>,
    next_link: Option<String>,
    value: Option<Vec<&'a RawValue>>,
}

/// Reads an [`Envelope`]. When `strict` is false it gives up at the first
/// member that is neither `value` nor an `@`-annotation, which is how a bare
/// alert is told apart from a page without reading the alert twice.
struct EnvelopeSeed {
    strict: bool,
}

const NOT_AN_ENVELOPE: &str = "not an OData envelope";

impl<'de> DeserializeSeed<'de> for EnvelopeSeed {
    type Value = Envelope<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for EnvelopeSeed {
    type Value = Envelope<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an OData page object with a `value` array")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut envelope = Envelope {
            context: None,
            next_link: None,
            value: None,
        };
        while let Some(key) = map.next_key::<Key<'de>>()? {
            match key.as_str() {
                "value" => envelope.value = Some(map.next_value()?),
                "@odata.context" => envelope.context = map.next_value()?,
                "@odata.nextLink" => envelope.next_link = map.next_value()?,
                other if self.strict || other.starts_with('@') => {
                    map.next_value::<IgnoredAny>()?;
                }
                _ => return Err(de::Error::custom(NOT_AN_ENVELOPE)),
            }
        }
        Ok(envelope)
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
    match text.rfind(" at line ") {
        Some(cut) => text[..cut].to_owned(),
        None => text,
    }
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

/// The start of the first line after `from` that begins a JSON object or
/// array (used to resynchronize JSON-lines input).
fn next_line_start(input: &[u8], from: usize) -> usize {
    let mut i = from.min(input.len());
    while i < input.len() {
        if input[i] == b'\n' {
            let next = i + 1;
            if matches!(input.get(next), Some(b'{' | b'[')) {
                return next;
            }
        }
        i += 1;
    }
    input.len()
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
    fn resync_skips_to_next_value_line() {
        let input = b"{bad\n  {nested\n{\"id\":1}\n";
        assert_eq!(next_line_start(input, 1), 15);
    }
}
