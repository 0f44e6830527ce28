//! Writing an alert's raw JSON on one line without changing its content.

/// Appends `raw` (well-formed JSON) to `out` on one line.
///
/// Input without CR, LF or TAB (what the API sends) is copied byte for byte.
/// Otherwise all whitespace between tokens is removed: JSON strings cannot
/// hold a raw line break or tab, so this changes the layout, never the
/// content.
///
/// ```
/// use defender_siem::models::compact_json_into;
///
/// let mut out = Vec::new();
/// compact_json_into("{\n  \"title\": \"a b\",\r\n  \"x\": [1, 2]\n}", &mut out);
/// assert_eq!(out, br#"{"title":"a b","x":[1,2]}"#);
/// ```
pub fn compact_json_into(raw: &str, out: &mut Vec<u8>) {
    let bytes = raw.as_bytes();
    if !has_control_byte(bytes) {
        out.extend_from_slice(bytes);
        return;
    }
    out.reserve(bytes.len());
    let mut in_string = false;
    let mut escaped = false;
    for &b in bytes {
        if in_string {
            out.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
            out.push(b);
            in_string = b == b'"';
        }
    }
}

/// True when `bytes` holds a byte below 0x20. Well-formed JSON cannot hold
/// one inside a string, so there it can only be layout whitespace (CR, LF,
/// TAB). Checked 32 bytes at a time without an early exit inside a block,
/// which the compiler turns into vector compares: this runs for every alert
/// every JSON sink writes.
fn has_control_byte(bytes: &[u8]) -> bool {
    let (blocks, rest) = bytes.as_chunks::<32>();
    blocks
        .iter()
        .any(|block| block.iter().fold(false, |seen, &b| seen | (b < 0x20)))
        || rest.iter().any(|&b| b < 0x20)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compact(s: &str) -> String {
        let mut out = Vec::new();
        compact_json_into(s, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn keeps_spaces_and_escapes_inside_strings() {
        let input = "{ \"a\" : \"x  y\\\" z\\\\\" ,\n\t\"b\":[ 1 ,2 ] }";
        assert_eq!(compact(input), r#"{"a":"x  y\" z\\","b":[1,2]}"#);
        let before: serde_json::Value = serde_json::from_str(input).unwrap();
        let after: serde_json::Value = serde_json::from_str(&compact(input)).unwrap();
        assert_eq!(before, after);
    }

    #[test]
    fn compact_input_is_copied_unchanged() {
        let input = r#"{"title": "a: b, [c]", "n":1}"#;
        assert_eq!(compact(input), input);
    }

    #[test]
    fn control_bytes_are_found_anywhere() {
        let mut text = vec![b'a'; 100];
        assert!(!has_control_byte(&text));
        for at in [0, 31, 32, 63, 64, 99] {
            text[at] = b'\n';
            assert!(has_control_byte(&text), "{at}");
            text[at] = b' ';
            assert!(!has_control_byte(&text), "{at}");
        }
    }

    #[test]
    fn crlf_pages_become_one_line() {
        let out = compact("{\r\n  \"id\": \"x\"\r\n}");
        assert_eq!(out, r#"{"id":"x"}"#);
        assert!(!out.contains('\n') && !out.contains('\r'));
    }
}
