//! Characters that change how text *looks* without being visible: the
//! controls and Unicode's format characters (general category Cf: bidi
//! overrides such as U+202E, zero-width characters, the BOM, tags).
//!
//! `invoice\u{202E}fdp.exe` displays as `invoiceexe.pdf`; a CR or an ESC in
//! a server's error text can forge a log line or recolour a terminal. Every
//! place a person reads text the crate did not write (a mail subject, a
//! SIEM's text view, an error message) escapes them as `<U+XXXX>`.

use std::fmt::Write as _;

/// General category Cf (Unicode 15.1), as inclusive ranges.
const FORMAT: &[(u32, u32)] = &[
    (0x00AD, 0x00AD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
];

/// True for a format character (general category Cf): a bidi override
/// such as U+202E, a zero-width space, the BOM, a tag character. The text
/// formats and mail subjects write these as `<U+XXXX>`.
///
/// ```
/// use defender_siem::format::is_format_character;
///
/// assert!(is_format_character('\u{202E}'));
/// assert!(!is_format_character('é'));
/// ```
pub fn is_format(c: char) -> bool {
    let c = c as u32;
    FORMAT
        .binary_search_by(|&(lo, hi)| {
            if hi < c {
                std::cmp::Ordering::Less
            } else if lo > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// True for a character that must not reach a reader as it is: a control
/// (C0, DEL, C1), a format character, or a line or paragraph separator.
pub(crate) fn is_invisible(c: char) -> bool {
    c.is_control() || is_format(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

/// Appends `<U+XXXX>` for `c`.
pub(crate) fn push_escaped(out: &mut String, c: char) {
    let _ = write!(out, "<U+{:04X}>", c as u32);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_and_disjoint() {
        for pair in FORMAT.windows(2) {
            assert!(pair[0].0 <= pair[0].1 && pair[0].1 < pair[1].0, "{pair:?}");
        }
    }

    #[test]
    fn finds_bidi_zero_width_and_tags() {
        for c in [
            '\u{202E}',
            '\u{202A}',
            '\u{2066}',
            '\u{2069}',
            '\u{200B}',
            '\u{200D}',
            '\u{200F}',
            '\u{FEFF}',
            '\u{00AD}',
            '\u{2060}',
            '\u{E0041}',
            '\u{061C}',
        ] {
            assert!(is_format(c), "{:04X}", c as u32);
        }
        for c in [
            'a',
            'é',
            '€',
            '\u{2014}',
            '\u{2070}',
            '\u{FFFD}',
            '\u{1F600}',
            ' ',
        ] {
            assert!(!is_format(c), "{:04X}", c as u32);
        }
    }
}
