//! A reference LEEF 2.0 reader: splits on `|` and on the delimiter, splits
//! each pair at its first `=`, and undoes the crate's escapes (`\\`,
//! `\xHH`, `\r`, `\n`).

/// One LEEF record, read back.
#[derive(Debug, Default)]
pub struct Leef {
    /// `LEEF:2.0`, vendor, product, version, event id (unescaped), and the
    /// delimiter field as written.
    pub header: Vec<String>,
    /// The attributes, in order, values unescaped.
    pub pairs: Vec<(String, String)>,
}

impl Leef {
    /// The value of `key`, when present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Splits `record` (no syslog prefix) whose attributes use `delimiter`.
pub fn split(record: &str, delimiter: char) -> Result<Leef, String> {
    let parts: Vec<&str> = record.splitn(7, '|').collect();
    if parts.len() != 7 {
        return Err(format!("{} header parts in {record:?}", parts.len()));
    }
    let mut leef = Leef::default();
    for (i, part) in parts[..6].iter().enumerate() {
        leef.header.push(if i == 5 {
            (*part).to_owned()
        } else {
            unescape(part)?
        });
    }
    for pair in parts[6].split(delimiter) {
        let Some((key, value)) = pair.split_once('=') else {
            return Err(format!("attribute without `=`: {pair:?}"));
        };
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(format!("bad key {key:?} in {pair:?}"));
        }
        leef.pairs.push((key.to_owned(), unescape(value)?));
    }
    Ok(leef)
}

fn unescape(v: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut it = v.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('\\') => out.push('\\'),
            Some('r') => out.push('\r'),
            Some('n') => out.push('\n'),
            Some('x') => {
                let hex: String = it.by_ref().take(2).collect();
                let code = u8::from_str_radix(&hex, 16).map_err(|_| format!("bad \\x{hex}"))?;
                out.push(char::from(code));
            }
            other => return Err(format!("bad escape {other:?} in {v:?}")),
        }
    }
    Ok(out)
}
