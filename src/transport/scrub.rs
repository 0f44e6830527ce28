//! [`server_text`]: the one way a text a server sent reaches an error, a
//! report or a log.
//!
//! A server (or a proxy in between) may echo what it was sent: the bearer
//! token, the client secret or assertion, a refresh token, the HEC token. It
//! may also send CR, LF or ESC to forge log lines, bidi overrides to make a
//! text read differently, or megabytes of text. Every field of every error
//! answer (Entra, Defender, Graph, Splunk HEC, Sentinel, SMTP) goes through
//! [`server_text`] with the secrets of the request it answers.

use std::fmt::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use crate::unicode;

/// Secrets shorter than this are not cut out: real credentials are far
/// longer, and cutting a short test value would garble the message.
const SHORTEST_SECRET: usize = 8;

/// What replaces a secret.
const CUT: &str = "***";

/// `text` as it may be shown: every secret in `sent` (and its
/// percent-encoded, form-encoded, JSON-escaped and base64 forms) replaced by
/// `***`, every control, format or line-separator character written as
/// `<U+XXXX>`, and at most `max_chars` characters (with `…` when cut).
pub(crate) fn server_text(text: &str, sent: &[&str], max_chars: usize) -> String {
    let mut text = text.to_owned();
    for secret in sent.iter().filter(|s| s.len() >= SHORTEST_SECRET) {
        for form in forms_of(secret) {
            if text.contains(form.as_str()) {
                text = text.replace(form.as_str(), CUT);
            }
        }
    }
    let mut out = String::with_capacity(text.len().min(max_chars * 4));
    for (count, c) in text.chars().enumerate() {
        if count == max_chars {
            out.push('…');
            break;
        }
        if unicode::is_invisible(c) {
            unicode::push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    out
}

/// [`server_text`] for an optional field.
pub(crate) fn server_field(
    text: Option<String>,
    sent: &[&str],
    max_chars: usize,
) -> Option<String> {
    text.map(|t| server_text(&t, sent, max_chars))
}

/// [`server_text`] of a response body read as UTF-8 (lossily).
pub(crate) fn server_body(body: &[u8], sent: &[&str], max_chars: usize) -> String {
    server_text(&String::from_utf8_lossy(body), sent, max_chars)
}

/// The ways a server could plausibly echo `secret`: as sent, in a URL or a
/// form, JSON-escaped, or base64 (as in a Basic header).
fn forms_of(secret: &str) -> Vec<String> {
    let mut forms = vec![secret.to_owned()];
    let mut push = |form: String| {
        if !forms.contains(&form) {
            forms.push(form);
        }
    };
    push(utf8_percent_encode(secret, NON_ALPHANUMERIC).to_string());
    push(form_encoded(secret));
    if let Ok(json) = serde_json::to_string(secret) {
        push(json.trim_matches('"').to_owned());
    }
    push(json_slash_escaped(secret));
    push(STANDARD.encode(secret));
    push(URL_SAFE_NO_PAD.encode(secret));
    // Longest first, so that a longer form is never cut half-way by a
    // shorter one.
    forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    forms
}

/// `application/x-www-form-urlencoded`, as the token request sends it.
fn form_encoded(secret: &str) -> String {
    url::form_urlencoded::byte_serialize(secret.as_bytes()).collect()
}

/// JSON with `/` written `\/`, as some servers do.
fn json_slash_escaped(secret: &str) -> String {
    let mut out = String::with_capacity(secret.len());
    for c in secret.chars() {
        match c {
            '/' => out.push_str("\\/"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "eyJ0eXAiOiJKV1Qi.eyJ0aWQiOiJ0MSJ9.c2lnbmF0dXJl";
    const SECRET: &str = "Q~s3cr3t/with+special=chars";

    #[test]
    fn cuts_every_form_of_every_secret() {
        let sent = [TOKEN, SECRET];
        for shape in [
            format!("invalid token {TOKEN}"),
            format!("client_secret={}", form_encoded(SECRET)),
            format!("secret {}", utf8_percent_encode(SECRET, NON_ALPHANUMERIC)),
            format!("{{\"echo\":\"{}\"}}", json_slash_escaped(SECRET)),
            format!("Basic {}", STANDARD.encode(SECRET)),
            format!("{SECRET}{SECRET}"),
        ] {
            let shown = server_text(&shape, &sent, 1000);
            assert!(!shown.contains(TOKEN) && !shown.contains(SECRET), "{shown}");
            assert!(!shown.contains("s3cr3t"), "{shape} -> {shown}");
            assert!(shown.contains(CUT), "{shown}");
        }
    }

    #[test]
    fn short_values_are_left_alone() {
        assert_eq!(
            server_text("token abc refused", &["abc"], 100),
            "token abc refused"
        );
    }

    #[test]
    fn no_line_can_be_forged_and_the_text_is_clipped() {
        let shown = server_text("bad\r\n2026-12-02 ERROR forged\u{1b}[2J\u{202E}", &[], 1000);
        assert!(
            !shown
                .chars()
                .any(|c| c.is_control() || unicode::is_format(c)),
            "{shown}"
        );
        assert_eq!(
            shown,
            "bad<U+000D><U+000A>2026-12-02 ERROR forged<U+001B>[2J<U+202E>"
        );
        assert_eq!(server_text("abcdef", &[], 3), "abc…");
        assert_eq!(server_text("ééé", &[], 3), "ééé");
    }

    #[test]
    fn a_secret_is_cut_before_clipping() {
        let shown = server_text(&format!("xx{TOKEN}"), &[TOKEN], 10);
        assert_eq!(shown, "xx***");
    }
}
