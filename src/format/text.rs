//! Escaping and number/time writing shared by the text formats.
//!
//! All special characters are ASCII except the C1 controls (U+0080–U+009F,
//! UTF-8 lead byte `0xC2`), so each escaper first scans the bytes and copies
//! the whole string when nothing needs care.

use std::io::Write as _;

use chrono::{DateTime, Datelike, Timelike, Utc};

/// U+FFFD, written for control characters the target format cannot carry.
const REPLACEMENT: &str = "\u{FFFD}";

/// True for a byte that may start a character the escapers handle: an
/// ASCII control, `special`, or the UTF-8 lead byte of a C1 control, a
/// format character (general category Cf).
fn needs_care(b: u8, special: &[u8]) -> bool {
    b < 0x20
        || b == 0x7F
        || matches!(
            b,
            0xC2 | 0xD8 | 0xDB | 0xDC | 0xE0 | 0xE1 | 0xE2 | 0xEF | 0xF0 | 0xF3
        )
        || special.contains(&b)
}

/// Writes `<U+XXXX>` for a format character (a bidi override, a
/// zero-width space): shown, never applied, so
/// `invoice\u{202E}fdp.exe` cannot pass for `invoiceexe.pdf`.
fn shown_code_point(c: char, out: &mut Vec<u8>) {
    let _ = write!(out, "<U+{:04X}>", c as u32);
}

fn push_char(out: &mut Vec<u8>, c: char) {
    let mut buf = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}

/// Writes `s` through `map`, which handles the characters it cares about
/// and returns false for the ones to copy.
fn escape_with(
    out: &mut Vec<u8>,
    s: &str,
    special: &[u8],
    map: impl Fn(char, &mut Vec<u8>) -> bool,
) {
    if !s.bytes().any(|b| needs_care(b, special)) {
        out.extend_from_slice(s.as_bytes());
        return;
    }
    for c in s.chars() {
        if !map(c, out) {
            push_char(out, c);
        }
    }
}

/// The common rule for text formats: CR and LF become the two characters
/// `\r` and `\n`, TAB becomes a space, every other control character
/// becomes U+FFFD, and a format character (general category Cf) is
/// written as `<U+XXXX>`. Returns true when `c` was handled.
fn controls(c: char, out: &mut Vec<u8>) -> bool {
    match c {
        '\r' => out.extend_from_slice(b"\\r"),
        '\n' => out.extend_from_slice(b"\\n"),
        '\t' => out.push(b' '),
        c if c.is_control() => out.extend_from_slice(REPLACEMENT.as_bytes()),
        c if crate::unicode::is_format(c) => shown_code_point(c, out),
        _ => return false,
    }
    true
}

/// A CEF extension value: `\` → `\\`, `=` → `\=`, CR/LF → `\r`/`\n`.
pub(crate) fn cef_extension(out: &mut Vec<u8>, s: &str) {
    escape_with(out, s, b"\\=", |c, out| match c {
        '\\' => {
            out.extend_from_slice(b"\\\\");
            true
        }
        '=' => {
            out.extend_from_slice(b"\\=");
            true
        }
        c => controls(c, out),
    });
}

/// A CEF header field: `\` → `\\`, `|` → `\|`, every control character
/// (CR and LF included) → a space; at most `max_chars` characters.
pub(crate) fn cef_header(out: &mut Vec<u8>, s: &str, max_chars: usize) {
    let cut = s.char_indices().nth(max_chars).map_or(s, |(i, _)| &s[..i]);
    escape_with(out, cut, b"\\|", |c, out| {
        match c {
            '\\' => out.extend_from_slice(b"\\\\"),
            '|' => out.extend_from_slice(b"\\|"),
            c if c.is_control() => out.push(b' '),
            c if crate::unicode::is_format(c) => shown_code_point(c, out),
            _ => return false,
        }
        true
    });
}

/// An RFC 5424 PARAM-VALUE: `"`, `\` and `]` get a backslash; CR/LF →
/// `\r`/`\n`; other controls as in the common rule.
pub(crate) fn sd_value(out: &mut Vec<u8>, s: &str) {
    escape_with(out, s, b"\\\"]", |c, out| {
        match c {
            '\\' | '"' | ']' => {
                out.push(b'\\');
                out.push(c as u8);
            }
            c => return controls(c, out),
        }
        true
    });
}

/// A LEEF value: the delimiter → `\xHH`, `\` → `\\`, CR/LF → `\r`/`\n`,
/// other controls as in the common rule. The delimiter is ASCII.
pub(crate) fn leef_value(out: &mut Vec<u8>, s: &str, delimiter: u8) {
    escape_with(out, s, &[b'\\', delimiter], |c, out| {
        if c as u32 == u32::from(delimiter) {
            let _ = write!(out, "\\x{delimiter:02x}");
            return true;
        }
        if c == '\\' {
            out.extend_from_slice(b"\\\\");
            return true;
        }
        controls(c, out)
    });
}

/// PRINTUSASCII only (33–126): anything else becomes `_`; at most `max`
/// bytes; `-` (the NILVALUE) when empty.
pub(crate) fn print_us_ascii(out: &mut Vec<u8>, s: &str, max: usize) {
    let start = out.len();
    for c in s.chars().take(max) {
        out.push(if ('!'..='~').contains(&c) {
            c as u8
        } else {
            b'_'
        });
    }
    if out.len() == start {
        out.push(b'-');
    }
}

/// Writes `value` in decimal (without the formatting machinery: it runs
/// for every alert).
pub(crate) fn int(out: &mut Vec<u8>, value: i64) {
    if value < 0 {
        out.push(b'-');
    }
    let mut rest = value.unsigned_abs();
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

/// Writes `value` in decimal, zero-padded to `width` digits.
fn padded(out: &mut Vec<u8>, mut value: u32, width: usize) {
    let start = out.len();
    out.resize(start + width, b'0');
    for slot in out[start..].iter_mut().rev() {
        *slot = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

fn two(out: &mut Vec<u8>, v: u32) {
    out.push(b'0' + (v / 10 % 10) as u8);
    out.push(b'0' + (v % 10) as u8);
}

/// RFC 3339 in UTC with at most 6 fraction digits (RFC 5424 TIMESTAMP):
/// `2024-05-02T09:14:05.123456Z`, trailing zeros of the fraction dropped.
pub(crate) fn rfc3339_micros(out: &mut Vec<u8>, t: DateTime<Utc>) {
    let year = t.year().rem_euclid(10_000) as u32;
    two(out, year / 100);
    two(out, year % 100);
    out.push(b'-');
    two(out, t.month());
    out.push(b'-');
    two(out, t.day());
    out.push(b'T');
    two(out, t.hour());
    out.push(b':');
    two(out, t.minute());
    out.push(b':');
    two(out, t.second());
    fraction_micros(out, t);
    out.push(b'Z');
}

/// `.ffffff` with trailing zeros dropped, or nothing when whole.
fn fraction_micros(out: &mut Vec<u8>, t: DateTime<Utc>) {
    let mut micros = (t.nanosecond() % 1_000_000_000) / 1_000;
    if micros == 0 {
        return;
    }
    let mut width = 6;
    while micros.is_multiple_of(10) {
        micros /= 10;
        width -= 1;
    }
    out.push(b'.');
    padded(out, micros, width);
}

/// Epoch seconds with up to 6 fraction digits (Splunk's `time`).
pub(crate) fn epoch_seconds(out: &mut Vec<u8>, t: DateTime<Utc>) {
    int(out, t.timestamp());
    fraction_micros(out, t);
}

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// RFC 3164 TIMESTAMP: `Mmm dd hh:mm:ss`, day padded with a space.
pub(crate) fn bsd_timestamp(out: &mut Vec<u8>, t: DateTime<Utc>) {
    let month = MONTHS.get(t.month0() as usize).copied().unwrap_or(b"Jan");
    out.extend_from_slice(month);
    out.push(b' ');
    let day = t.day();
    out.push(if day < 10 {
        b' '
    } else {
        b'0' + (day / 10) as u8
    });
    out.push(b'0' + (day % 10) as u8);
    out.push(b' ');
    two(out, t.hour());
    out.push(b':');
    two(out, t.minute());
    out.push(b':');
    two(out, t.second());
}

/// A JSON string literal (quotes included). Text with nothing to escape
/// (nearly every value) is copied as it is; the rest is escaped by
/// serde_json.
pub(crate) fn json_str(out: &mut Vec<u8>, s: &str) {
    if !needs_json_escape(s.as_bytes()) {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
        return;
    }
    // Writing a &str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// True when `bytes` holds a quote, a backslash or a control byte. Checked
/// 16 bytes at a time without an early exit inside a block, which the
/// compiler turns into vector compares.
fn needs_json_escape(bytes: &[u8]) -> bool {
    let special = |b: u8| (b == b'"') | (b == b'\\') | (b < 0x20);
    let (blocks, rest) = bytes.as_chunks::<16>();
    blocks
        .iter()
        .any(|block| block.iter().fold(false, |seen, &b| seen | special(b)))
        || rest.iter().any(|&b| special(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(f: impl Fn(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn json_strings_match_serde_json() {
        for text in [
            "",
            "plain text that is longer than sixteen bytes",
            "quote \" in the second block of sixteen",
            "back\\slash",
            "line\nbreak",
            "tab\tand \u{1} control",
            "日本語 and 😀 need no escape",
        ] {
            assert_eq!(
                run(|o| json_str(o, text)),
                serde_json::to_string(text).unwrap()
            );
        }
    }

    #[test]
    fn numbers() {
        for v in [0, 7, -7, 1_674_538_417, i64::MAX, i64::MIN] {
            assert_eq!(run(|o| int(o, v)), v.to_string());
        }
        assert_eq!(run(|o| padded(o, 42, 6)), "000042");
    }

    #[test]
    fn the_quick_scan_sees_every_format_character() {
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            if crate::unicode::is_format(c) || c.is_control() {
                let mut buf = [0u8; 4];
                let lead = c.encode_utf8(&mut buf).as_bytes()[0];
                assert!(
                    needs_care(lead, &[]),
                    "U+{:04X} would be copied unescaped",
                    c as u32
                );
            }
        }
    }

    #[test]
    fn format_characters_are_shown_not_applied() {
        let spoof = "invoice\u{202E}fdp.exe\u{200B}\u{FEFF}";
        for out in [
            run(|o| cef_extension(o, spoof)),
            run(|o| cef_header(o, spoof, 512)),
            run(|o| sd_value(o, spoof)),
            run(|o| leef_value(o, spoof, b'\t')),
        ] {
            assert_eq!(out, "invoice<U+202E>fdp.exe<U+200B><U+FEFF>");
        }
    }

    #[test]
    fn escapers() {
        let hostile = "a|b\\c=d]e\"f\r\ng\th\0i\u{85}j\u{2028}日本😀";
        assert_eq!(
            run(|o| cef_extension(o, hostile)),
            "a|b\\\\c\\=d]e\"f\\r\\ng h\u{FFFD}i\u{FFFD}j\u{2028}日本😀"
        );
        assert_eq!(
            run(|o| cef_header(o, hostile, 512)),
            "a\\|b\\\\c=d]e\"f  g h i j\u{2028}日本😀"
        );
        assert_eq!(
            run(|o| sd_value(o, hostile)),
            "a|b\\\\c=d\\]e\\\"f\\r\\ng h\u{FFFD}i\u{FFFD}j\u{2028}日本😀"
        );
        assert_eq!(
            run(|o| leef_value(o, "a^b\\c=d\r\n\tx", b'^')),
            "a\\x5eb\\\\c=d\\r\\n x"
        );
        assert_eq!(run(|o| leef_value(o, "a\tb", b'\t')), "a\\x09b");
        assert_eq!(run(|o| cef_header(o, "日本語", 2)), "日本");
        assert_eq!(
            run(|o| print_us_ascii(o, "host name\u{e9}", 255)),
            "host_name_"
        );
        assert_eq!(run(|o| print_us_ascii(o, "", 255)), "-");
    }

    #[test]
    fn times() {
        let t: DateTime<Utc> = "2021-01-05T09:03:07.1234567Z".parse().unwrap();
        assert_eq!(run(|o| rfc3339_micros(o, t)), "2021-01-05T09:03:07.123456Z");
        assert_eq!(run(|o| epoch_seconds(o, t)), "1609837387.123456");
        assert_eq!(run(|o| bsd_timestamp(o, t)), "Jan  5 09:03:07");
        let whole: DateTime<Utc> = "2021-11-25T19:00:00.5Z".parse().unwrap();
        assert_eq!(run(|o| rfc3339_micros(o, whole)), "2021-11-25T19:00:00.5Z");
        assert_eq!(run(|o| bsd_timestamp(o, whole)), "Nov 25 19:00:00");
    }
}
