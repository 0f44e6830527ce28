//! The one scrubber for text a server sent back: every error message the
//! crate builds from a reply (Entra, Defender, Graph, Splunk HEC, Logs
//! Ingestion, SMTP) goes through [`server_text`] before it is kept.
//!
//! It does three things, in this order:
//!
//! 1. cuts every secret the crate sent on that request (client secret,
//!    client assertion, refresh token, bearer token, HEC token, SMTP
//!    password) out of the text, as sent and in the forms a server or a
//!    proxy could plausibly echo it in: URL-encoded (as a form body or a
//!    query string), JSON-escaped, and base64 (standard and URL-safe, at
//!    any alignment inside a longer base64 text, which covers a Basic or
//!    SMTP `AUTH PLAIN` blob). Values shorter than [`MIN_SECRET_CHARS`]
//!    are left alone so that they cannot shred ordinary words;
//! 2. replaces every character that could forge a log line or disguise
//!    text with a visible escape: CR, LF and TAB as `\r`, `\n`, `\t`;
//!    every other control character (C0, DEL, C1, ESC included) and every
//!    format character (bidi overrides, zero-width characters, see
//!    [`crate::format::is_format_character`]) and U+2028/U+2029 as `<U+XXXX>`;
//! 3. clips the result to a number of characters (an escape is never cut),
//!    marking a cut with `…`.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::unicode;

/// What a removed secret is replaced by.
pub(crate) const REDACTED: &str = "***";

/// Secrets shorter than this (in bytes) are not searched for: real ones
/// are far longer, and a short value would garble ordinary text.
pub(crate) const MIN_SECRET_CHARS: usize = 8;

/// The bytes `application/x-www-form-urlencoded` keeps as they are
/// (alphanumerics and `*-._`; a space becomes `+`).
const FORM: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'*')
    .remove(b'-')
    .remove(b'.')
    .remove(b'_');

/// The bytes RFC 3986 leaves unreserved (alphanumerics and `-._~`).
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `text` (a server's reply, or one field of it) fit to be kept in an
/// error, shown or logged: without any of `secrets` (in any of the echoed
/// forms listed in the [module docs](self)), with control and format
/// characters escaped, and at most `max_chars` characters long.
pub(crate) fn server_text(text: &str, secrets: &[&str], max_chars: usize) -> String {
    let mut clean = text.to_owned();
    for form in secret_forms(secrets) {
        if clean.contains(form.as_str()) {
            clean = clean.replace(form.as_str(), REDACTED);
        }
    }
    escape_and_clip(&clean, max_chars)
}

/// [`server_text`] of an optional field.
pub(crate) fn server_field(
    text: Option<String>,
    secrets: &[&str],
    max_chars: usize,
) -> Option<String> {
    text.map(|t| server_text(&t, secrets, max_chars))
}

/// [`server_text`] of a response body read as UTF-8 (lossily).
pub(crate) fn server_body(body: &[u8], secrets: &[&str], max_chars: usize) -> String {
    server_text(&String::from_utf8_lossy(body), secrets, max_chars)
}

/// Every form of every long enough secret, longest first (so that a
/// longer form is replaced before a shorter one that is part of it).
fn secret_forms(secrets: &[&str]) -> Vec<String> {
    let mut forms = Vec::new();
    for secret in secrets.iter().filter(|s| s.len() >= MIN_SECRET_CHARS) {
        forms.push((*secret).to_owned());
        for set in [FORM, UNRESERVED, NON_ALPHANUMERIC] {
            let encoded = utf8_percent_encode(secret, set).to_string();
            forms.push(encoded.replace("%20", "+"));
            forms.push(lowercase_hex(&encoded));
            forms.push(encoded);
        }
        forms.push(secret.replace('/', "\\/"));
        forms.extend(base64_cores(secret.as_bytes()));
    }
    forms.retain(|f| f.len() >= MIN_SECRET_CHARS);
    forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    forms.dedup();
    forms
}

/// `encoded` with lower-case hex digits in its `%XX` escapes.
fn lowercase_hex(encoded: &str) -> String {
    let mut out = String::with_capacity(encoded.len());
    let mut hex_left = 0;
    for c in encoded.chars() {
        if c == '%' {
            hex_left = 2;
            out.push(c);
        } else if hex_left > 0 {
            hex_left -= 1;
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The base64 characters that depend on `secret`'s bytes only, for each
/// of the three places the secret can start in a 3-byte group of a longer
/// base64 text, in both alphabets: whatever surrounds the secret, its
/// encoding holds one of these.
fn base64_cores(secret: &[u8]) -> Vec<String> {
    let mut cores = Vec::new();
    for before in 0..3usize {
        let mut input = vec![0u8; before];
        input.extend_from_slice(secret);
        // Character i covers bits 6i..6i+6; keep those entirely inside
        // the secret's bits 8*before..8*(before+len).
        let first = (8 * before).div_ceil(6);
        let end = 8 * (before + secret.len()) / 6;
        for encoded in [
            STANDARD_NO_PAD.encode(&input),
            URL_SAFE_NO_PAD.encode(&input),
        ] {
            if let Some(core) = encoded.get(first..end) {
                cores.push(core.to_owned());
            }
        }
    }
    cores
}

/// Escapes control and format characters and clips to `max_chars`
/// characters of output (never inside an escape), adding `…` at a cut.
fn escape_and_clip(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars.saturating_mul(4)));
    let mut shown = 0usize;
    let mut piece = String::with_capacity(10);
    for c in text.chars() {
        piece.clear();
        match c {
            '\r' => piece.push_str("\\r"),
            '\n' => piece.push_str("\\n"),
            '\t' => piece.push_str("\\t"),
            c if c.is_control() || unicode::is_invisible(c) => unicode::push_escaped(&mut piece, c),
            c => piece.push(c),
        }
        let len = piece.chars().count();
        if shown + len > max_chars {
            out.push('…');
            return out;
        }
        shown += len;
        out.push_str(&piece);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "Zx8~Q.secret_value-with/slash+plus";

    #[test]
    fn removes_the_secret_in_every_echoed_form() {
        let form = utf8_percent_encode(SECRET, FORM).to_string();
        let full = utf8_percent_encode(SECRET, NON_ALPHANUMERIC).to_string();
        let json = SECRET.replace('/', "\\/");
        for echoed in [
            SECRET.to_owned(),
            form.clone(),
            lowercase_hex(&form),
            full.clone(),
            lowercase_hex(&full),
            json,
        ] {
            let text = format!("you sent client_secret={echoed}&x=1");
            let clean = server_text(&text, &[SECRET], 500);
            assert_eq!(clean, "you sent client_secret=***&x=1", "{echoed}");
        }
    }

    #[test]
    fn removes_the_secret_from_base64_at_any_alignment() {
        for before in ["", "u", "us", "user", "\0soc\0"] {
            let blob = STANDARD_NO_PAD.encode(format!("{before}{SECRET}trailing"));
            let clean = server_text(&format!("535 bad {blob}"), &[SECRET], 500);
            // At most a couple of characters at each end of the secret's
            // encoding survive; never a run that decodes to a part of it.
            assert!(clean.contains(REDACTED), "{before:?}: {clean}");
            let shown = clean.trim_start_matches("535 bad ");
            let longest = shown.split(REDACTED).map(str::len).max().unwrap_or(0);
            let secret_chars = SECRET.len() * 4 / 3;
            assert!(longest < secret_chars / 2, "{before:?}: {clean}");
        }
        let url_safe = URL_SAFE_NO_PAD.encode(SECRET);
        assert!(!server_text(&url_safe, &[SECRET], 500).contains(&url_safe[2..12]));
    }

    #[test]
    fn short_values_are_left_alone() {
        assert_eq!(
            server_text("a secret b", &["secret", ""], 100),
            "a secret b"
        );
    }

    #[test]
    fn control_and_format_characters_are_escaped() {
        let text = "ok\r\nERROR forged\tline\u{1b}[31m\u{7f}\u{85}\u{202E}\u{200B}\u{2028}\0";
        assert_eq!(
            server_text(text, &[], 500),
            "ok\\r\\nERROR forged\\tline<U+001B>[31m<U+007F><U+0085><U+202E><U+200B><U+2028><U+0000>"
        );
    }

    #[test]
    fn clips_without_cutting_an_escape() {
        assert_eq!(server_text("abcdef", &[], 3), "abc…");
        assert_eq!(server_text("abcdef", &[], 6), "abcdef");
        assert_eq!(server_text("ab\u{1b}cd", &[], 5), "ab…");
        assert_eq!(server_text("ééé", &[], 2), "éé…");
    }

    #[test]
    fn a_secret_is_cut_before_the_text_is_clipped() {
        let text = format!("{}{SECRET}", "x".repeat(10));
        assert_eq!(server_text(&text, &[SECRET], 12), "xxxxxxxxxx**…");
        assert!(!server_text(&text, &[SECRET], 20).contains("Zx8"));
    }
}
