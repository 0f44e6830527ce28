//! The general page reader: it checks the whole input first, cutting every
//! alert out as a [`RawValue`], then reads each alert on its own. It reads
//! anything, and it is the one that produces the exact error (byte offset,
//! skipped lines) for a page that cannot be read. The fast reader falls
//! back to it.

use std::fmt;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor,
};
use serde_json::value::RawValue;

use super::envelope::Member;
use super::error::{MalformedAlert, PageError};
use super::split;
use super::types::{Page, ParsedAlert};
use crate::models::fields::Key;

/// Reads one API response (an OData envelope with a `value` array) with
/// the general reader alone; see [`parse_page`](crate::models::parse_page).
///
/// A page refused only because some of its bytes are not UTF-8 is cut
/// into its alerts byte by byte (without reading UTF-8): each alert that
/// is UTF-8 is read as usual, each one that is not becomes a
/// [`MalformedAlert`] with its exact bytes, so one bad byte spoils one
/// alert, not its page.
pub fn parse_page<T: DeserializeOwned>(input: &[u8]) -> Result<Page<T>, PageError> {
    match parse_whole(input) {
        Ok(page) => Ok(page),
        Err(e) if std::str::from_utf8(input).is_err() => isolate(input).ok_or(e),
        Err(e) => Err(e),
    }
}

/// Reads a page that is not UTF-8 alert by alert, or `None` when it is
/// broken in some other way too (the caller then reports the page's error).
fn isolate<T: DeserializeOwned>(input: &[u8]) -> Option<Page<T>> {
    let cut = split::split_page(input)?;
    // The envelope alone, with an empty `value`, read by the usual reader:
    // a bad byte outside the alerts (in `@odata.nextLink`, say) still
    // fails the page.
    let mut envelope = Vec::with_capacity(input.len() - cut.array.len() + 2);
    envelope.extend_from_slice(&input[..cut.array.start]);
    envelope.extend_from_slice(b"[]");
    envelope.extend_from_slice(&input[cut.array.end..]);
    let mut page = parse_whole::<T>(&envelope).ok()?;
    page.alerts.reserve(cut.elements.len());
    for (index, span) in cut.elements.into_iter().enumerate() {
        let bytes = &input[span];
        match std::str::from_utf8(bytes) {
            Ok(text) => {
                let raw: &RawValue = serde_json::from_str(text).ok()?;
                page.alerts.push(ParsedAlert::from_raw(index, raw));
            }
            Err(e) => {
                page.alerts
                    .push(Err(MalformedAlert::not_utf8(index, bytes, e.valid_up_to())))
            }
        }
    }
    Some(page)
}

/// The whole page through serde_json, which needs it to be UTF-8.
fn parse_whole<T: DeserializeOwned>(input: &[u8]) -> Result<Page<T>, PageError> {
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

/// Reads a file's or a pipe's records with the general reader alone; see
/// [`parse_records`](crate::models::parse_records).
pub fn parse_records<T: DeserializeOwned>(input: &[u8]) -> Result<Page<T>, PageError> {
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

/// Reads an [`Envelope`], members as [`Member::of`] says; `strict` as there.
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
            match Member::of(key.as_str(), self.strict) {
                Some(Member::Value) => envelope.value = Some(map.next_value()?),
                Some(Member::Context) => envelope.context = map.next_value()?,
                Some(Member::NextLink) => envelope.next_link = map.next_value()?,
                Some(Member::Ignored) => {
                    map.next_value::<IgnoredAny>()?;
                }
                None => return Err(de::Error::custom(NOT_AN_ENVELOPE)),
            }
        }
        Ok(envelope)
    }
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
    use crate::models::Alert;

    #[test]
    fn a_bad_byte_spoils_one_alert_not_its_page() {
        let mut input = b"{\"@odata.context\":\"c\",\"value\":[{\"id\":\"a1\"},".to_vec();
        input.extend_from_slice(b"{\"id\":\"a2\",\"title\":\"x\xc3(\"},{\"id\":\"a3\"}],");
        input.extend_from_slice(b"\"@odata.nextLink\":\"https://n\"}");
        let page = parse_page::<Alert>(&input).unwrap();
        assert_eq!(page.context.as_deref(), Some("c"));
        assert_eq!(page.next_link.as_deref(), Some("https://n"));
        let ids: Vec<_> = page.parsed().map(|p| p.alert_id()).collect();
        assert_eq!(ids, ["a1", "a3"]);
        let bad = page.malformed().next().unwrap();
        assert_eq!(
            (bad.index(), bad.id(), bad.path()),
            (1, Some("a2"), "$.title")
        );
        assert!(bad.message().contains("UTF-8"), "{}", bad.message());
        assert_eq!(bad.raw_bytes(), b"{\"id\":\"a2\",\"title\":\"x\xc3(\"}");
        assert!(!bad.is_utf8());
        assert_eq!(bad.raw().get(), "{\"id\":\"a2\",\"title\":\"x\u{fffd}(\"}");
    }

    #[test]
    fn a_bad_byte_outside_the_alerts_still_fails_the_page() {
        for input in [
            &b"{\"value\":[{\"id\":\"a\"}],\"@odata.nextLink\":\"\xff\"}"[..],
            b"{\"value\":[{\"id\":\"a\"},{\"id\":\"\xff\"}",
            b"{\"value\":[{\"id\":\"a\" \"b\"},{\"id\":\"\xff\"}]}",
        ] {
            assert!(
                parse_page::<Alert>(input).is_err(),
                "{}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn out_of_range_numbers_and_deep_nesting_spoil_one_alert() {
        let mut input = b"{\"value\":[{\"id\":\"a1\"},{\"id\":\"a2\",\"x\":1e999},".to_vec();
        input.extend_from_slice(b"{\"id\":\"a3\",\"deep\":");
        input.extend(std::iter::repeat_n(b'[', 100_000));
        input.extend(std::iter::repeat_n(b']', 100_000));
        input.extend_from_slice(b"},{\"id\":\"a4\"}]}");
        for page in [
            parse_page::<Alert>(&input).unwrap(),
            crate::models::parse_page::<Alert>(&input).unwrap(),
        ] {
            let ids: Vec<_> = page.parsed().map(|p| p.alert_id()).collect();
            assert_eq!(ids, ["a1", "a4"]);
            let bad: Vec<_> = page
                .malformed()
                .map(|m| (m.index(), m.id(), m.is_utf8()))
                .collect();
            assert_eq!(bad, [(1, Some("a2"), true), (2, Some("a3"), true)]);
            let deep = page.malformed().nth(1).unwrap();
            assert_eq!(
                deep.raw().len(),
                "{\"id\":\"a3\",\"deep\":}".len() + 200_000
            );
        }
    }

    #[test]
    fn resync_skips_to_next_value_line() {
        let input = b"{bad\n  {nested\n{\"id\":1}\n";
        assert_eq!(next_line_start(input, 1), 15);
    }
}
