//! A reference CEF reader: splits a record into its seven header fields
//! and its extension pairs, undoing the escapes.

/// One CEF record, read back.
#[derive(Debug, Default)]
pub struct Cef {
    /// `CEF:0`, vendor, product, version, class id, name, severity.
    pub header: Vec<String>,
    /// The extension pairs, in order, values unescaped.
    pub pairs: Vec<(String, String)>,
    /// How many unescaped `=` the extension holds.
    pub equals: usize,
}

impl Cef {
    /// The value of `key`, when present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Splits `record` (no syslog prefix).
pub fn split(record: &str) -> Result<Cef, String> {
    let mut cef = Cef::default();
    let mut field = String::new();
    let mut chars = record.char_indices();
    let mut ext_start = None;
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, e @ ('\\' | '|'))) => field.push(e),
                other => return Err(format!("bad header escape {other:?} at {i}")),
            },
            '|' => {
                cef.header.push(std::mem::take(&mut field));
                if cef.header.len() == 7 {
                    ext_start = Some(i + 1);
                    break;
                }
            }
            c => field.push(c),
        }
    }
    let Some(ext_start) = ext_start else {
        return Err(format!("only {} header fields", cef.header.len()));
    };
    let ext: Vec<char> = record[ext_start..].chars().collect();
    // Positions of the unescaped `=`, checking every escape on the way.
    let mut equals = Vec::new();
    let mut i = 0;
    while i < ext.len() {
        match ext[i] {
            '\\' => {
                match ext.get(i + 1) {
                    Some('\\' | '=' | 'r' | 'n') => {}
                    other => return Err(format!("bad extension escape {other:?}")),
                }
                i += 2;
            }
            '=' => {
                equals.push(i);
                i += 1;
            }
            _ => i += 1,
        }
    }
    cef.equals = equals.len();
    // Each `=` ends a key: a run of letters and digits at the start or
    // after a space.
    let mut keys = Vec::new();
    for &eq in &equals {
        let mut start = eq;
        while start > 0 && ext[start - 1].is_ascii_alphanumeric() {
            start -= 1;
        }
        if start == eq || (start > 0 && ext[start - 1] != ' ') {
            return Err(format!(
                "an unescaped `=` at {eq} has no key before it: {:?}",
                ext.iter().collect::<String>()
            ));
        }
        keys.push((start, eq));
    }
    for (n, &(start, eq)) in keys.iter().enumerate() {
        let end = keys.get(n + 1).map_or(ext.len(), |&(next, _)| next - 1);
        if end < eq + 1 {
            return Err("overlapping pairs".into());
        }
        let key: String = ext[start..eq].iter().collect();
        let value = unescape(&ext[eq + 1..end]);
        cef.pairs.push((key, value));
    }
    if keys.first().is_some_and(|&(start, _)| start != 0) {
        return Err("text before the first key".into());
    }
    Ok(cef)
}

fn unescape(v: &[char]) -> String {
    let mut out = String::new();
    let mut it = v.iter();
    while let Some(&c) = it.next() {
        if c == '\\' {
            match it.next() {
                Some('r') => out.push('\r'),
                Some('n') => out.push('\n'),
                Some(&e) => out.push(e),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}
