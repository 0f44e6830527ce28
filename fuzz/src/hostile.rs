//! Strings built to hurt text encoders: every byte of fuzz input picks
//! either a printable ASCII character or one of the characters the
//! formats must escape (CR, LF, `|`, `=`, `\`, NUL, TAB, quotes, C1
//! controls, line separators, multi-byte text).

use arbitrary::{Arbitrary, Result, Unstructured};

/// The snippets a byte below `PICKS.len()` turns into.
const PICKS: &[&str] = &[
    "\r",
    "\n",
    "\r\n",
    "|",
    "=",
    "\\",
    "\0",
    "\t",
    "^",
    "\"",
    "]",
    "[",
    "'",
    " ",
    "  ",
    "\u{7f}",
    "\u{85}",
    "\u{9f}",
    "\u{a0}",
    "\u{2028}",
    "\u{2029}",
    "\u{feff}",
    "日本",
    "😀",
    "\\x5e",
    "\\r",
    "\\n",
    "\\\\",
    "\\=",
    "\\|",
    "=\\",
    "\u{c2}",
    "e\u{301}",
    "\u{1b}[31m",
    "%0a",
    "@",
    ":",
    ",",
    ".",
    "-",
    "_",
    "x",
    "Label=",
    "cs1=",
    "sev=",
    "truncated=\"1\"",
];

/// A string of hostile characters (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Hostile(pub String);

impl<'a> Arbitrary<'a> for Hostile {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let len = u.arbitrary_len::<u8>()?.min(64);
        let mut s = String::new();
        for _ in 0..len {
            let b = u8::arbitrary(u)?;
            match PICKS.get(usize::from(b)) {
                Some(pick) => s.push_str(pick),
                None if (0x20..0x7f).contains(&b) => s.push(char::from(b)),
                None => {
                    // Any scalar value, from two more bytes.
                    let hi = u32::from(u8::arbitrary(u)?);
                    let c = char::from_u32(u32::from(b) << 8 | hi).unwrap_or('\u{FFFD}');
                    s.push(c);
                }
            }
        }
        Ok(Hostile(s))
    }
}

impl Hostile {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
