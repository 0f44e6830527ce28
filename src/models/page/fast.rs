//! The one-pass reader for a well-formed page.
//!
//! The general reader (`general`) reads the page twice: once to cut every
//! alert out as a `RawValue` (which checks the whole JSON), then once more
//! per alert for the typed view. Here the envelope's few punctuation bytes
//! are walked by hand and each alert is read once, typed, straight from the
//! page; serde_json's stream reader tells where the alert ended, so its exact
//! bytes are cut out without a second pass. The typed read checks the
//! alert's JSON as strictly as the cutting pass would have.
//!
//! An alert that does not fit the model is read again as a `RawValue` (to
//! tell a malformed alert from broken JSON) and explained. Anything else
//! unusual (broken JSON, no `value` array, a repeated `value`) returns `None`
//! and the general reader takes over, so errors are reported exactly as
//! before.

use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde_json::value::RawValue;

use super::envelope::Member;
use super::error::MalformedAlert;
use super::types::{Page, ParsedAlert};
use crate::models::fields::Key;
use crate::models::raw::RawJson;

/// Reads an OData page in one pass, or `None` when the general reader must.
pub fn parse_page<T: DeserializeOwned>(input: &[u8]) -> Option<Page<T>> {
    // One UTF-8 check for the whole page; every read below is then on &str,
    // which serde_json does not check again.
    let text = std::str::from_utf8(input).ok()?;
    let bytes = text.as_bytes();
    let mut page = Page::empty();
    let envelope = read_envelope(text, skip_ws(bytes, 0), true, &mut page.alerts)?;
    if !envelope.has_value || envelope.repeated_value || skip_ws(bytes, envelope.end) != bytes.len()
    {
        return None;
    }
    page.context = envelope.context;
    page.next_link = envelope.next_link;
    Some(page)
}

/// Reads what [`parse_records`](crate::models::parse_records) reads (pages, bare
/// arrays, single alerts, JSON lines of these) in one pass, or `None` when
/// the general reader must (which it then does from the start, so numbering
/// and skipped lines come out exactly as it reports them).
pub fn parse_records<T: DeserializeOwned>(input: &[u8]) -> Option<Page<T>> {
    let text = std::str::from_utf8(input).ok()?;
    let bytes = text.as_bytes();
    let mut page = Page::empty();
    let mut pos = skip_ws(bytes, 0);
    while pos < bytes.len() {
        pos = match bytes[pos] {
            b'[' => read_alerts(text, pos, &mut page.alerts)?,
            b'{' => {
                let before = page.alerts.len();
                match read_envelope(text, pos, false, &mut page.alerts) {
                    // Which `value` counts is the general reader's call.
                    Some(envelope) if envelope.repeated_value => return None,
                    Some(envelope) if envelope.has_value => {
                        if page.context.is_none() {
                            page.context = envelope.context;
                        }
                        page.next_link = envelope.next_link;
                        envelope.end
                    }
                    // Not an envelope: the object is one alert.
                    _ => {
                        page.alerts.truncate(before);
                        read_alert(text, pos, &mut page.alerts)?
                    }
                }
            }
            _ => return None,
        };
        pos = skip_ws(bytes, pos);
    }
    Some(page)
}

/// What [`read_envelope`] found besides the alerts.
struct EnvelopeRead {
    context: Option<String>,
    next_link: Option<String>,
    has_value: bool,
    /// A second `value` member came (skipped, not read): the caller leaves
    /// the object to the general reader.
    repeated_value: bool,
    /// Position right after the closing `}`.
    end: usize,
}

/// Reads the OData envelope object at `pos`, appending its alerts to `out`.
/// Members are read as [`Member::of`] says; one that shows the object is
/// not an envelope gives `None`, as anything unusual does.
fn read_envelope<T: DeserializeOwned>(
    text: &str,
    mut pos: usize,
    strict: bool,
    out: &mut Vec<Result<ParsedAlert<T>, MalformedAlert>>,
) -> Option<EnvelopeRead> {
    let bytes = text.as_bytes();
    if bytes.get(pos) != Some(&b'{') {
        return None;
    }
    let mut envelope = EnvelopeRead {
        context: None,
        next_link: None,
        has_value: false,
        repeated_value: false,
        end: pos,
    };
    pos = skip_ws(bytes, pos + 1);
    loop {
        let (key, after_key) = read_one::<Key<'_>>(text, pos)?;
        pos = skip_ws(bytes, after_key);
        if bytes.get(pos) != Some(&b':') {
            return None;
        }
        pos = skip_ws(bytes, pos + 1);
        pos = match Member::of(key.as_str(), strict)? {
            Member::Value if !envelope.has_value => {
                envelope.has_value = true;
                read_alerts(text, pos, out)?
            }
            Member::Value => {
                envelope.repeated_value = true;
                read_one::<IgnoredAny>(text, pos)?.1
            }
            Member::Context => {
                let (context, end) = read_one::<Option<String>>(text, pos)?;
                envelope.context = context;
                end
            }
            Member::NextLink => {
                let (next_link, end) = read_one::<Option<String>>(text, pos)?;
                envelope.next_link = next_link;
                end
            }
            Member::Ignored => read_one::<IgnoredAny>(text, pos)?.1,
        };
        pos = skip_ws(bytes, pos);
        match bytes.get(pos) {
            Some(b',') => pos = skip_ws(bytes, pos + 1),
            Some(b'}') => {
                envelope.end = pos + 1;
                return Some(envelope);
            }
            _ => return None,
        }
    }
}

/// Reads the array of alerts starting at `pos` (its `[`); returns the
/// position after its `]`.
fn read_alerts<T: DeserializeOwned>(
    text: &str,
    mut pos: usize,
    out: &mut Vec<Result<ParsedAlert<T>, MalformedAlert>>,
) -> Option<usize> {
    let bytes = text.as_bytes();
    if bytes.get(pos) != Some(&b'[') {
        return None;
    }
    pos = skip_ws(bytes, pos + 1);
    if bytes.get(pos) == Some(&b']') {
        return Some(pos + 1);
    }
    let first = out.len();
    loop {
        let end = read_alert(text, pos, out)?;
        if out.len() == first + 1 {
            reserve_for_page(out, end - pos, text.len() - end);
        }
        pos = skip_ws(bytes, end);
        match bytes.get(pos) {
            Some(b',') => pos = skip_ws(bytes, pos + 1),
            Some(b']') => {
                // Give back a guess that was far too large.
                if out.capacity() > 2 * out.len() {
                    out.shrink_to_fit();
                }
                return Some(pos + 1);
            }
            _ => return None,
        }
    }
}

/// Reads one alert at `pos` (typed, with its exact bytes), appends it to
/// `out` and returns the position right after it. An alert that is
/// well-formed JSON but does not fit the model is appended as malformed;
/// broken JSON gives `None`.
fn read_alert<T: DeserializeOwned>(
    text: &str,
    pos: usize,
    out: &mut Vec<Result<ParsedAlert<T>, MalformedAlert>>,
) -> Option<usize> {
    let index = out.len();
    let mut stream = serde_json::Deserializer::from_str(text.get(pos..)?).into_iter::<T>();
    match stream.next()? {
        Ok(alert) => {
            let end = pos + stream.byte_offset();
            out.push(Ok(ParsedAlert {
                raw: RawJson::from_checked(text.get(pos..end)?),
                alert,
            }));
            Some(end)
        }
        Err(_) => {
            let (raw, end) = read_one::<&RawValue>(text, pos)?;
            out.push(Err(MalformedAlert::explain::<T>(index, raw.get())));
            Some(end)
        }
    }
}

/// Most alerts on a page. Defender's `$top` goes up to 10,000.
const MOST_ALERTS_EXPECTED: usize = 10_000;

/// Reserves room for the rest of the page, guessed from the first alert's
/// size. A typed alert is about a kilobyte, so growing the list one doubling
/// at a time would copy about as many bytes as the page holds.
fn reserve_for_page<A>(out: &mut Vec<A>, first_len: usize, rest_len: usize) {
    let guess = rest_len / first_len.max(1);
    out.reserve(guess.min(MOST_ALERTS_EXPECTED) + 1);
}

/// Reads one JSON value of type `T` at `pos`; returns it and the position
/// right after it.
fn read_one<'a, T: Deserialize<'a>>(text: &'a str, pos: usize) -> Option<(T, usize)> {
    let mut stream = serde_json::Deserializer::from_str(text.get(pos..)?).into_iter::<T>();
    let value = stream.next()?.ok()?;
    Some((value, pos + stream.byte_offset()))
}

fn skip_ws(bytes: &[u8], mut pos: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\r' | b'\t') = bytes.get(pos) {
        pos += 1;
    }
    pos
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::Alert;

    fn fast(input: &str) -> Option<Page<Alert>> {
        parse_page::<Alert>(input.as_bytes())
    }

    #[test]
    fn well_formed_pages_are_read_in_one_pass() {
        let page = fast(
            " {\"@odata.context\": \"c\", \"@odata.count\": 2, \"value\": [ {\"id\": \"a\"} ,\n{\"id\":\"b\", \"lastUpdateTime\": 5} ], \"@odata.nextLink\": null }\n",
        )
        .unwrap();
        assert_eq!(page.context.as_deref(), Some("c"));
        assert_eq!(page.next_link, None);
        assert_eq!(page.len(), 2);
        let first = page.alerts[0].as_ref().unwrap();
        assert_eq!(first.raw.get(), "{\"id\": \"a\"}");
        let second = page.alerts[1].as_ref().unwrap_err();
        assert_eq!((second.index(), second.path()), (1, "$.lastUpdateTime"));
        assert_eq!(second.raw().get(), "{\"id\":\"b\", \"lastUpdateTime\": 5}");
        assert_eq!(fast("{\"value\":[]}").unwrap().len(), 0);
    }

    #[test]
    fn anything_unusual_goes_to_the_general_reader() {
        for input in [
            "",
            "[]",
            "{}",
            "{\"@odata.context\":\"c\"}",
            "{\"value\":[{\"id\":\"a\"}]",
            "{\"value\":[{\"id\":\"a\"},]}",
            "{\"value\":[{\"id\":\"a\" \"b\"}]}",
            "{\"value\":[],\"value\":[]}",
            "{\"value\":null}",
            "{\"value\":[]} x",
            "{\"value\":[] \"x\":1}",
            "{\"@odata.context\":5,\"value\":[]}",
        ] {
            assert!(fast(input).is_none(), "{input}");
        }
    }

    #[test]
    fn records_of_every_shape_are_read_in_one_pass() {
        let input = concat!(
            "{\"@odata.context\":\"c1\",\"value\":[{\"id\":\"a\"}],\"@odata.nextLink\":\"n\"}\n",
            "[{\"id\":\"b\"}, {\"id\":\"c\",\"incidentId\":\"x\"}]\n",
            "{\"id\":\"d\",\"value\":[1]}\n",
            "{\"@odata.context\":\"c2\",\"value\":[]}\n",
            "{}\n",
        );
        let page = parse_records::<Alert>(input.as_bytes()).unwrap();
        assert_eq!(page.context.as_deref(), Some("c1"));
        assert_eq!(page.next_link, None);
        let ids: Vec<_> = page.parsed().map(|p| p.alert.id.as_deref()).collect();
        assert_eq!(ids, [Some("a"), Some("b"), Some("d"), None]);
        let bad = page.malformed().next().unwrap();
        assert_eq!((bad.index(), bad.path()), (2, "$.incidentId"));
        assert_eq!(
            page.parsed().nth(2).unwrap().raw.get(),
            "{\"id\":\"d\",\"value\":[1]}"
        );
        for odd in [
            "5",
            "{\"id\":\"a\"} x",
            "{\"id\":",
            "[{\"id\":\"a\"},]",
            "{\"value\":[],\"value\":[]}",
            "{\"id\":\"a\"}\n{\"value\":[{\"id\":\"b\"}],\"value\":5}",
        ] {
            assert!(parse_records::<Alert>(odd.as_bytes()).is_none(), "{odd}");
        }
    }

    #[test]
    fn invalid_utf8_goes_to_the_general_reader() {
        let mut input = b"{\"value\":[{\"id\":\"".to_vec();
        input.extend_from_slice(&[0xff, b'"', b'}', b']', b'}']);
        assert!(parse_page::<Alert>(&input).is_none());
    }
}
