//! What a value should read back as, after a reader undoes a format's
//! escapes: the encoders may only replace characters their format cannot
//! carry, and must do so exactly as documented.

/// A CEF extension value or LEEF value after unescaping: TAB → space,
/// controls other than CR and LF → U+FFFD.
pub fn plain_value(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\r' | '\n' => c,
            '\t' => ' ',
            c if c.is_control() => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// A LEEF value whose delimiter is `delimiter` (kept, even when TAB).
pub fn leef_plain(s: &str, delimiter: char) -> String {
    s.chars()
        .map(|c| {
            if c == delimiter {
                c.to_string()
            } else {
                plain_value(&c.to_string())
            }
        })
        .collect()
}

/// A CEF header field after unescaping: at most `max` characters, every
/// control character a space.
pub fn cef_header(s: &str, max: usize) -> String {
    s.chars()
        .take(max)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// An RFC 5424 PARAM-VALUE after unescaping: CR and LF as the two
/// characters `\r` and `\n`, TAB a space, other controls U+FFFD.
pub fn sd_plain(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push(' '),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}
