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
use super::types::{Page, ParsedAlert};
use crate::models::fields::Key;

/// Reads one API response (an OData envelope with a `value` array) with
/// the general reader alone; see [`parse_page`](crate::models::parse_page).
pub fn parse_page<T: DeserializeOwned>(input: &[u8]) -> Result<Page<T>, PageError> {
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

    #[test]
    fn resync_skips_to_next_value_line() {
        let input = b"{bad\n  {nested\n{\"id\":1}\n";
        assert_eq!(next_line_start(input, 1), 15);
    }
}
