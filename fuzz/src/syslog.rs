//! Reference readers for RFC 5424 and RFC 3164 messages.

/// An RFC 5424 message, read back.
#[derive(Debug, Default)]
pub struct Rfc5424 {
    /// PRI.
    pub pri: u16,
    /// TIMESTAMP, HOSTNAME, APP-NAME, PROCID, MSGID.
    pub header: Vec<String>,
    /// The SD-ID.
    pub sd_id: String,
    /// The SD-PARAMs, values unescaped as RFC 5424 §6.3.3 says.
    pub params: Vec<(String, String)>,
    /// MSG, with the BOM if any.
    pub msg: Vec<u8>,
}

fn pri(bytes: &[u8]) -> Result<(u16, usize), String> {
    if bytes.first() != Some(&b'<') {
        return Err("no `<`".into());
    }
    let close = bytes
        .iter()
        .position(|&b| b == b'>')
        .filter(|&p| (2..=4).contains(&p))
        .ok_or("bad PRI")?;
    let text = std::str::from_utf8(&bytes[1..close]).map_err(|e| e.to_string())?;
    let pri: u16 = text.parse().map_err(|_| format!("bad PRI {text:?}"))?;
    if pri > 191 {
        return Err(format!("PRI {pri} > 191"));
    }
    Ok((pri, close + 1))
}

fn printusascii(field: &[u8], max: usize) -> Result<String, String> {
    if field.is_empty() || field.len() > max || !field.iter().all(|b| (33..=126).contains(b)) {
        return Err(format!(
            "bad header field {:?}",
            String::from_utf8_lossy(field)
        ));
    }
    Ok(String::from_utf8_lossy(field).into_owned())
}

/// Reads one RFC 5424 message (no framing).
pub fn split_5424(bytes: &[u8]) -> Result<Rfc5424, String> {
    let (pri, mut at) = pri(bytes)?;
    if !bytes[at..].starts_with(b"1 ") {
        return Err("no VERSION 1".into());
    }
    at += 2;
    let mut m = Rfc5424 {
        pri,
        ..Rfc5424::default()
    };
    for max in [32, 255, 48, 128, 32] {
        let end = bytes[at..]
            .iter()
            .position(|&b| b == b' ')
            .ok_or("header ends early")?
            + at;
        m.header.push(printusascii(&bytes[at..end], max)?);
        at = end + 1;
    }
    if bytes.get(at) != Some(&b'[') {
        return Err("no SD-ELEMENT".into());
    }
    at += 1;
    let name_end = bytes[at..]
        .iter()
        .position(|&b| b == b' ' || b == b']')
        .ok_or("SD-ID never ends")?
        + at;
    m.sd_id = printusascii(&bytes[at..name_end], 32)?;
    at = name_end;
    loop {
        match bytes.get(at) {
            Some(b']') => {
                at += 1;
                break;
            }
            Some(b' ') => at += 1,
            _ => return Err("bad SD-PARAM separator".into()),
        }
        let eq = bytes[at..]
            .iter()
            .position(|&b| b == b'=')
            .ok_or("PARAM without `=`")?
            + at;
        let name = printusascii(&bytes[at..eq], 32)?;
        if bytes.get(eq + 1) != Some(&b'"') {
            return Err("PARAM-VALUE without a quote".into());
        }
        at = eq + 2;
        let mut value = Vec::new();
        loop {
            match bytes.get(at) {
                None => return Err("PARAM-VALUE never ends".into()),
                Some(b'"') => {
                    at += 1;
                    break;
                }
                Some(b'\\') if matches!(bytes.get(at + 1), Some(b'"' | b'\\' | b']')) => {
                    value.push(bytes[at + 1]);
                    at += 2;
                }
                Some(b']') => return Err("unescaped `]` in a PARAM-VALUE".into()),
                Some(&b) => {
                    value.push(b);
                    at += 1;
                }
            }
        }
        let value = String::from_utf8(value).map_err(|e| e.to_string())?;
        m.params.push((name, value));
    }
    if bytes.get(at) != Some(&b' ') {
        return Err("no space before MSG".into());
    }
    m.msg = bytes[at + 1..].to_vec();
    Ok(m)
}

/// An RFC 3164 message, read back.
#[derive(Debug, Default)]
pub struct Rfc3164 {
    /// PRI.
    pub pri: u16,
    /// `Mmm dd hh:mm:ss`.
    pub timestamp: String,
    /// HOSTNAME.
    pub hostname: String,
    /// TAG.
    pub tag: String,
    /// MSG.
    pub msg: Vec<u8>,
}

/// Reads one RFC 3164 message (no framing).
pub fn split_3164(bytes: &[u8]) -> Result<Rfc3164, String> {
    let (pri, at) = pri(bytes)?;
    let ts = bytes.get(at..at + 15).ok_or("short timestamp")?;
    let ts = std::str::from_utf8(ts).map_err(|e| e.to_string())?;
    let ok = ts.len() == 15
        && ts[..3].chars().all(|c| c.is_ascii_alphabetic())
        && ts.as_bytes()[3] == b' '
        && ts.as_bytes()[6] == b' '
        && ts.as_bytes()[9] == b':'
        && ts.as_bytes()[12] == b':';
    if !ok {
        return Err(format!("bad timestamp {ts:?}"));
    }
    let rest = bytes.get(at + 15..).ok_or("short")?;
    if rest.first() != Some(&b' ') {
        return Err("no space after the timestamp".into());
    }
    let rest = &rest[1..];
    let host_end = rest
        .iter()
        .position(|&b| b == b' ')
        .ok_or("no HOSTNAME end")?;
    let hostname = printusascii(&rest[..host_end], 255)?;
    let rest = &rest[host_end + 1..];
    let colon = rest
        .windows(2)
        .position(|w| w == b": ")
        .ok_or("no `: ` after TAG")?;
    let tag = &rest[..colon];
    if tag.is_empty()
        || tag.len() > 32
        || !tag
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(format!("bad TAG {:?}", String::from_utf8_lossy(tag)));
    }
    Ok(Rfc3164 {
        pri,
        timestamp: ts.to_owned(),
        hostname,
        tag: String::from_utf8_lossy(tag).into_owned(),
        msg: rest[colon + 2..].to_vec(),
    })
}
