//! A byte-level cutter for a page the JSON readers refuse as a whole
//! because some bytes are not UTF-8.
//!
//! serde_json reads strings as UTF-8, so one stray byte inside one alert
//! makes the whole page unreadable, every poll. This cutter walks the page
//! byte by byte (tracking strings, escapes and nesting depth, without
//! checking UTF-8 and without recursion, so deep nesting cannot overflow the
//! stack), finds the envelope's one `value` array and cuts it into one span
//! per element. The general reader then reads each element on its own: the
//! ones that are UTF-8 as usual, the others become
//! [`MalformedAlert`](super::MalformedAlert)s carrying their exact bytes.
//!
//! The cutter only finds boundaries; it does not validate. Everything it
//! cut is read again by serde_json (the envelope with an empty `value`, and
//! every UTF-8 element), and when any of that fails the page's original
//! error stands.

use std::ops::Range;

/// Where the `value` array and each of its elements are in a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Split {
    /// The `value` array, from its `[` to just after its `]`.
    pub(super) array: Range<usize>,
    /// Each element of the array, without the whitespace around it.
    pub(super) elements: Vec<Range<usize>>,
}

/// Cuts an OData page (an object with exactly one member named `value`,
/// holding an array) into its elements, or `None` when the bytes do not
/// have that shape.
pub(super) fn split_page(input: &[u8]) -> Option<Split> {
    let mut pos = skip_ws(input, 0);
    if input.get(pos) != Some(&b'{') {
        return None;
    }
    pos = skip_ws(input, pos + 1);
    let mut found = None;
    if input.get(pos) == Some(&b'}') {
        return None;
    }
    loop {
        let key_end = skip_string(input, pos)?;
        let key = &input[pos + 1..key_end - 1];
        pos = skip_ws(input, key_end);
        if input.get(pos) != Some(&b':') {
            return None;
        }
        pos = skip_ws(input, pos + 1);
        if key == b"value" {
            if found.is_some() {
                // Which repeated `value` counts is the JSON reader's call.
                return None;
            }
            let (split, end) = split_array(input, pos)?;
            found = Some(split);
            pos = end;
        } else {
            pos = skip_value(input, pos)?;
        }
        pos = skip_ws(input, pos);
        match input.get(pos) {
            Some(b',') => pos = skip_ws(input, pos + 1),
            Some(b'}') => break,
            _ => return None,
        }
    }
    if skip_ws(input, pos + 1) != input.len() {
        return None;
    }
    found
}

/// Cuts the array at `pos` (its `[`); returns it and the position after it.
fn split_array(input: &[u8], start: usize) -> Option<(Split, usize)> {
    if input.get(start) != Some(&b'[') {
        return None;
    }
    let mut elements = Vec::new();
    let mut pos = skip_ws(input, start + 1);
    if input.get(pos) == Some(&b']') {
        return Some((
            Split {
                array: start..pos + 1,
                elements,
            },
            pos + 1,
        ));
    }
    loop {
        let end = skip_value(input, pos)?;
        elements.push(pos..end);
        pos = skip_ws(input, end);
        match input.get(pos) {
            Some(b',') => pos = skip_ws(input, pos + 1),
            Some(b']') => {
                return Some((
                    Split {
                        array: start..pos + 1,
                        elements,
                    },
                    pos + 1,
                ));
            }
            _ => return None,
        }
    }
}

/// The position right after the JSON value starting at `pos`: a string, an
/// object or array (brackets counted, strings skipped, in one loop), or a
/// scalar (everything up to the next delimiter).
pub(super) fn skip_value(input: &[u8], pos: usize) -> Option<usize> {
    match input.get(pos)? {
        b'"' => skip_string(input, pos),
        b'{' | b'[' => {
            let mut depth: usize = 0;
            let mut i = pos;
            while let Some(&b) = input.get(i) {
                match b {
                    b'"' => {
                        i = skip_string(input, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.checked_sub(1)?;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            None
        }
        b',' | b']' | b'}' | b':' => None,
        _ => {
            let mut i = pos;
            while let Some(&b) = input.get(i) {
                if matches!(b, b',' | b']' | b'}' | b' ' | b'\n' | b'\r' | b'\t') {
                    break;
                }
                i += 1;
            }
            Some(i)
        }
    }
}

/// The position right after the string starting at `pos` (its `"`).
fn skip_string(input: &[u8], pos: usize) -> Option<usize> {
    if input.get(pos) != Some(&b'"') {
        return None;
    }
    let mut i = pos + 1;
    loop {
        match input.get(i)? {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
}

fn skip_ws(input: &[u8], mut pos: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\r' | b'\t') = input.get(pos) {
        pos += 1;
    }
    pos
}

/// The members of the object `element` at its first level, as (key bytes,
/// value span) pairs; stops quietly where the bytes stop making sense.
fn members(element: &[u8]) -> Vec<(&[u8], Range<usize>)> {
    let mut out = Vec::new();
    let mut pos = skip_ws(element, 0);
    if element.get(pos) != Some(&b'{') {
        return out;
    }
    pos = skip_ws(element, pos + 1);
    while let Some(key_end) = skip_string(element, pos) {
        let key = &element[pos + 1..key_end - 1];
        pos = skip_ws(element, key_end);
        if element.get(pos) != Some(&b':') {
            break;
        }
        let start = skip_ws(element, pos + 1);
        let Some(end) = skip_value(element, start) else {
            break;
        };
        out.push((key, start..end));
        pos = skip_ws(element, end);
        if element.get(pos) != Some(&b',') {
            break;
        }
        pos = skip_ws(element, pos + 1);
    }
    out
}

/// The alert's `id` (or legacy `AlertId`) read from its bytes: a plain
/// string (no escapes) that is UTF-8.
pub(super) fn probe_id(element: &[u8]) -> Option<String> {
    members(element).into_iter().find_map(|(key, span)| {
        if key != b"id" && key != b"AlertId" {
            return None;
        }
        let value = element.get(span)?;
        let inner = value.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
        if inner.contains(&b'\\') {
            return None;
        }
        std::str::from_utf8(inner).ok().map(str::to_owned)
    })
}

/// A JSON path to where byte `offset` of `element` is: the first-level
/// member holding it (`$.title`), or `$`.
pub(super) fn path_of(element: &[u8], offset: usize) -> String {
    members(element)
        .into_iter()
        .find(|(_, span)| span.contains(&offset))
        .and_then(|(key, _)| std::str::from_utf8(key).ok())
        .filter(|key| !key.contains('\\'))
        .map_or_else(|| "$".to_owned(), |key| format!("$.{key}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(input: &[u8]) -> Vec<&[u8]> {
        let split = split_page(input).unwrap();
        split.elements.into_iter().map(|r| &input[r]).collect()
    }

    #[test]
    fn cuts_the_value_array_without_reading_utf8() {
        let mut input = b"{\"@odata.context\":\"c\",\"value\":[ {\"id\":\"a\",\"t\":\"x".to_vec();
        input.push(0xff);
        input.extend_from_slice(b"\\\"]}\"} , [1,{\"a\":\"]\"}] ,5,\"s\"],\"n\":null}\n");
        let parts = texts(&input);
        assert_eq!(parts.len(), 4);
        assert!(parts[0].starts_with(b"{\"id\":\"a\"") && parts[0].ends_with(b"\\\"]}\"}"));
        assert_eq!(parts[1], b"[1,{\"a\":\"]\"}]");
        assert_eq!(parts[2], b"5");
        assert_eq!(parts[3], b"\"s\"");
        assert_eq!(texts(b"{\"value\":[]}"), Vec::<&[u8]>::new());
    }

    #[test]
    fn refuses_what_is_not_one_page() {
        for input in [
            &b""[..],
            b"[]",
            b"{}",
            b"{\"value\":[1,2]",
            b"{\"value\":[1,2]} x",
            b"{\"value\":[],\"value\":[]}",
            b"{\"value\":null}",
            b"{\"value\":[{\"a\":\"unterminated}]}",
            b"{\"value\":[1,]}",
            b"{\"value\":[}]}",
        ] {
            assert_eq!(
                split_page(input),
                None,
                "{}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn deep_nesting_is_skipped_in_a_loop() {
        let depth = 1_000_000;
        let mut input = b"{\"value\":[".to_vec();
        input.extend(std::iter::repeat_n(b'[', depth));
        input.extend(std::iter::repeat_n(b']', depth));
        input.extend_from_slice(b",{\"id\":\"b\"}]}");
        let parts = texts(&input);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].len(), 2 * depth);
    }

    #[test]
    fn finds_the_id_and_the_member_of_a_bad_byte() {
        let element = b"{\"title\":\"a\xffb\", \"id\" : \"da1\", \"x\":{\"id\":\"no\"}}";
        assert_eq!(probe_id(element).as_deref(), Some("da1"));
        assert_eq!(path_of(element, 12), "$.title");
        assert_eq!(path_of(element, 0), "$");
        assert_eq!(probe_id(b"{\"id\":\"a\\u0062\"}"), None);
        assert_eq!(probe_id(b"{\"AlertId\":\"L1\"}").as_deref(), Some("L1"));
        assert_eq!(probe_id(b"[1]"), None);
    }
}
