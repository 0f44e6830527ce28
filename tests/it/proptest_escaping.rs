//! Property tests: hostile alert text survives CEF, LEEF and RFC 5424
//! structured data. Each format is read back by a small reference parser
//! written here from the format's rules (not from the encoder), and every
//! value must come back as it went in, or as the documented lossy mapping
//! (TAB → space, other control characters → U+FFFD; in RFC 5424 SD values
//! CR/LF stay the two characters `\r`/`\n`; in CEF headers every control
//! character → space; a Unicode format character (Cf: bidi overrides,
//! zero-width characters) → the visible `<U+XXXX>`), with exactly the
//! expected fields. No format character ever appears raw in a text
//! format's output, while the JSON payload keeps it.

use std::collections::BTreeMap;
use std::sync::Arc;

use defender_siem::format::{CefOptions, LeefOptions, Rfc5424Options, cef, leef, rfc5424};
use defender_siem::sink::AlertRecord;
use defender_siem::{TenantId, TenantInfo};
use proptest::prelude::*;
use serde_json::json;

use crate::sink_support::rfc5424_line;

/// A modest number of cases, and no regression files written into the
/// source tree.
fn config() -> ProptestConfig {
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::with_cases(256)
    }
}

const TENANT_ID: &str = "a839b112-1253-6432-9bf6-94542403f21c";

/// Characters that break naive encoders, plus ordinary text.
fn hostile_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => prop::sample::select(vec![
            '|', '\\', '=', '"', ']', '[', '^', '#', ';', ' ', '\r', '\n', '\t', '\0', '\u{7}',
            '\u{1b}', '\u{7f}', '\u{85}', '\u{9c}', '\u{2028}', '\u{feff}', 'x', 'r', 'n',
            '日', '😀', '\u{202e}', '\u{202a}', '\u{2066}', '\u{2069}', '\u{200b}', '\u{200f}',
            '\u{ad}', '\u{61c}', '\u{2060}', '\u{e0041}', '<', '+',
        ]),
        1 => prop::sample::select(CF_RANGES.to_vec()).prop_flat_map(|(lo, hi)| {
            (lo..=hi).prop_map(|c| char::from_u32(c).unwrap_or('x'))
        }),
        2 => proptest::char::range('a', 'z'),
        1 => any::<char>(),
    ]
}

fn hostile() -> impl Strategy<Value = String> {
    prop::collection::vec(hostile_char(), 0..32).prop_map(|c| c.into_iter().collect())
}

/// The alert fields filled with hostile text.
#[derive(Debug, Clone)]
struct Texts {
    id: String,
    title: String,
    detector: String,
    description: String,
    threat: String,
    host: String,
    tenant_name: String,
}

fn texts() -> impl Strategy<Value = Texts> {
    (
        hostile(),
        hostile(),
        hostile(),
        hostile(),
        hostile(),
        hostile(),
        hostile(),
    )
        .prop_map(
            |(id, title, detector, description, threat, host, tenant_name)| Texts {
                id,
                title,
                detector,
                description,
                threat,
                host,
                tenant_name,
            },
        )
}

fn record(t: &Texts) -> AlertRecord {
    let tenant = Arc::new(TenantInfo::new(
        TenantId::new(TENANT_ID).unwrap(),
        t.tenant_name.clone(),
    ));
    let alert = json!({
        "id": t.id,
        "title": t.title,
        "detectorId": t.detector,
        "description": t.description,
        "threatName": t.threat,
        "computerDnsName": t.host,
        "severity": "High",
        "lastUpdateTime": "2026-11-01T10:00:00.123Z",
    });
    AlertRecord::from_json(tenant, &alert.to_string()).unwrap()
}

/// General category Cf (Unicode 16.0), written out here from the Unicode
/// data so that the test does not trust the crate's own table.
const CF_RANGES: &[(u32, u32)] = &[
    (0xAD, 0xAD),
    (0x600, 0x605),
    (0x61C, 0x61C),
    (0x6DD, 0x6DD),
    (0x70F, 0x70F),
    (0x890, 0x891),
    (0x8E2, 0x8E2),
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

fn is_cf(c: char) -> bool {
    CF_RANGES
        .iter()
        .any(|&(lo, hi)| (lo..=hi).contains(&u32::from(c)))
}

/// How a format character is shown.
fn shown(c: char) -> Vec<char> {
    format!("<U+{:04X}>", u32::from(c)).chars().collect()
}

/// Fails when a format character appears raw in `out`.
fn assert_no_raw_cf(out: &[u8]) {
    let text = String::from_utf8_lossy(out);
    assert!(!text.chars().any(is_cf), "raw format character in {text:?}");
}

/// The common lossy rule: TAB → space, other controls (CR/LF aside) →
/// U+FFFD, format characters → `<U+XXXX>`.
fn lossy(s: &str, keep_cr_lf: bool) -> String {
    s.chars()
        .flat_map(|c| -> Vec<char> {
            match c {
                '\r' if keep_cr_lf => vec!['\r'],
                '\n' if keep_cr_lf => vec!['\n'],
                '\r' => vec!['\\', 'r'],
                '\n' => vec!['\\', 'n'],
                '\t' => vec![' '],
                c if c.is_control() => vec!['\u{FFFD}'],
                c if is_cf(c) => shown(c),
                c => vec![c],
            }
        })
        .collect()
}

fn assert_one_line(bytes: &[u8]) {
    assert!(
        !bytes.contains(&b'\n') && !bytes.contains(&b'\r'),
        "raw line break in {:?}",
        String::from_utf8_lossy(bytes)
    );
}

// ---------------------------------------------------------------- CEF

/// Splits a CEF record into its 7 header fields (unescaped) and the raw
/// extension, honouring `\|` and `\\` in the header.
fn cef_split(line: &str) -> (Vec<String>, &str) {
    let mut fields = Vec::new();
    let mut current = String::new();
    let mut chars = line.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, e @ ('|' | '\\'))) => current.push(e),
                other => panic!("bad header escape {other:?} in {line:?}"),
            },
            '|' => {
                fields.push(std::mem::take(&mut current));
                if fields.len() == 7 {
                    return (fields, &line[i + 1..]);
                }
            }
            c => current.push(c),
        }
    }
    panic!("fewer than 7 header fields in {line:?}");
}

/// Reads `key=value key=value …`: keys are word characters before an
/// unescaped `=`; a value runs up to the space before the next key.
fn cef_extension(ext: &str) -> Vec<(String, String)> {
    let chars: Vec<char> = ext.chars().collect();
    // Positions of unescaped `=`.
    let mut equals = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '=' => {
                equals.push(i);
                i += 1;
            }
            _ => i += 1,
        }
    }
    // Each key starts after the space (or the start) before its `=`.
    let key_start = |eq: usize| {
        let mut s = eq;
        while s > 0 && (chars[s - 1].is_ascii_alphanumeric() || chars[s - 1] == '_') {
            s -= 1;
        }
        assert!(s < eq, "empty key at {eq} in {ext:?}");
        assert!(
            s == 0 || chars[s - 1] == ' ',
            "key not after a space in {ext:?}"
        );
        s
    };
    let starts: Vec<usize> = equals.iter().map(|&eq| key_start(eq)).collect();
    let mut pairs = Vec::new();
    for (n, (&eq, &start)) in equals.iter().zip(&starts).enumerate() {
        let end = starts.get(n + 1).map_or(chars.len(), |&next| next - 1);
        let key: String = chars[start..eq].iter().collect();
        let raw: String = chars[eq + 1..end].iter().collect();
        pairs.push((key, cef_unescape(&raw)));
    }
    pairs
}

fn cef_unescape(raw: &str) -> String {
    let mut out = String::new();
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('=') => out.push('='),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            other => panic!("bad extension escape {other:?} in {raw:?}"),
        }
    }
    out
}

fn cef_header_expected(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if c.is_control() {
                vec![' ']
            } else if is_cf(c) {
                shown(c)
            } else {
                vec![c]
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn cef_round_trips(t in texts()) {
        let mut out = Vec::new();
        cef::encode(&record(&t), &CefOptions::default(), &mut out);
        assert_one_line(&out);
        assert_no_raw_cf(&out);
        let line = String::from_utf8(out).unwrap();
        let (header, ext) = cef_split(&line);
        prop_assert_eq!(&header[0], "CEF:0");
        prop_assert_eq!(&header[1], "Microsoft");
        prop_assert_eq!(header[4].clone(), cef_header_expected(&t.detector));
        prop_assert_eq!(header[5].clone(), cef_header_expected(&t.title));
        prop_assert_eq!(&header[6], "8");

        let pairs = cef_extension(ext);
        let map: BTreeMap<&str, &str> =
            pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        prop_assert_eq!(map.len(), pairs.len(), "a key came twice: {:?}", pairs);
        let expect = |key: &str, value: &str| -> Result<(), TestCaseError> {
            if value.is_empty() {
                prop_assert!(!map.contains_key(key), "{} present for an empty value", key);
            } else {
                let wanted = lossy(value, true);
                prop_assert_eq!(map.get(key).copied(), Some(wanted.as_str()), "key {}", key);
            }
            Ok(())
        };
        expect("externalId", &t.id)?;
        expect("msg", &t.description)?;
        expect("cs1", &t.threat)?;
        expect("shost", &t.host)?;
        prop_assert_eq!(map.get("cs1Label").copied(), (!t.threat.is_empty()).then_some("ThreatName"));
        prop_assert_eq!(map.get("cs2").copied(), Some(TENANT_ID));
        let tenant_name = lossy(&t.tenant_name, true);
        prop_assert_eq!(map.get("cs3").copied(), Some(tenant_name.as_str()));
        prop_assert_eq!(map.get("cs3Label").copied(), Some("TenantName"));
        // The record ends with the constant label.
        prop_assert_eq!(pairs.last().map(|(k, _)| k.as_str()), Some("cs3Label"));
    }
}

// ---------------------------------------------------------------- LEEF

const LEEF_KEYS: &[&str] = &[
    "devTime",
    "sev",
    "cat",
    "identHostName",
    "usrName",
    "domain",
    "src",
    "url",
    "alertId",
    "title",
    "status",
    "detectionSource",
    "threatName",
    "machineId",
    "deviceGroup",
    "incidentId",
    "mitreTechniques",
    "fileName",
    "filePath",
    "sha1",
    "sha256",
    "alertCreationTime",
    "firstEventTime",
    "lastEventTime",
    "link",
    "description",
    "tenantId",
    "tenantName",
];

/// `\\`, `\r`, `\n` and `\xHH`, as the LEEF module documents them.
fn leef_unescape(raw: &str) -> String {
    let mut out = String::new();
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('x') => {
                let hex: String = chars.by_ref().take(2).collect();
                let code = u8::from_str_radix(&hex, 16).unwrap();
                out.push(char::from(code));
            }
            other => panic!("bad LEEF escape {other:?} in {raw:?}"),
        }
    }
    out
}

/// The LEEF rule: TAB is kept when it is the delimiter, else a space.
fn leef_expected(s: &str, delimiter: char) -> String {
    s.chars()
        .flat_map(|c| match c {
            '\t' if delimiter == '\t' => vec!['\t'],
            '\r' | '\n' => vec![c],
            '\t' => vec![' '],
            c if c.is_control() => vec!['\u{FFFD}'],
            c if is_cf(c) => shown(c),
            c => vec![c],
        })
        .collect()
}

fn delimiter() -> impl Strategy<Value = char> {
    prop::sample::select(vec!['^', '\t', '#', ';', '~', '!', '%', ',', '"', ']'])
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn leef_round_trips(t in texts(), delimiter in delimiter()) {
        let opts = LeefOptions::default().delimiter(delimiter).unwrap();
        let mut out = Vec::new();
        leef::encode(&record(&t), &opts, &mut out);
        assert_one_line(&out);
        assert_no_raw_cf(&out);
        let line = String::from_utf8(out).unwrap();
        // Header: LEEF:2.0|vendor|product|version|eventId|delimiter|
        let parts: Vec<&str> = line.splitn(7, '|').collect();
        prop_assert_eq!(parts.len(), 7, "header of {:?}", line);
        prop_assert_eq!(parts[0], "LEEF:2.0");
        prop_assert_eq!(leef_unescape(parts[4]), leef_expected(&t.detector, '|').chars().map(|c| if c == '\t' { ' ' } else { c }).collect::<String>());
        let declared = if delimiter == '\t' { "x09".to_owned() } else { delimiter.to_string() };
        prop_assert_eq!(parts[5], declared.as_str());

        let mut map = BTreeMap::new();
        let mut count = 0;
        for pair in parts[6].split(delimiter) {
            let (key, raw) = pair.split_once('=').unwrap();
            prop_assert!(LEEF_KEYS.contains(&key), "unknown key {:?} in {:?}", key, line);
            map.insert(key.to_owned(), leef_unescape(raw));
            count += 1;
        }
        prop_assert_eq!(map.len(), count, "a key came twice in {:?}", line);
        let expect = |key: &str, value: &str| -> Result<(), TestCaseError> {
            if value.is_empty() {
                prop_assert!(!map.contains_key(key), "{} present for an empty value", key);
            } else {
                prop_assert_eq!(map.get(key).cloned(), Some(leef_expected(value, delimiter)), "key {}", key);
            }
            Ok(())
        };
        expect("alertId", &t.id)?;
        expect("title", &t.title)?;
        expect("description", &t.description)?;
        expect("threatName", &t.threat)?;
        expect("identHostName", &t.host)?;
        prop_assert_eq!(map.get("tenantId").map(String::as_str), Some(TENANT_ID));
        prop_assert_eq!(map.get("tenantName").cloned(), Some(leef_expected(&t.tenant_name, delimiter)));
    }
}

// ---------------------------------------------------------------- RFC 5424

proptest! {
    #![proptest_config(config())]

    #[test]
    fn rfc5424_structured_data_round_trips(t in texts(), severity in hostile()) {
        let mut r = record(&t);
        let severity = format!("x{severity}");
        r.alert.severity = Some(serde_json::from_value(json!(severity)).unwrap());
        let mut out = Vec::new();
        rfc5424::encode(&r, &Rfc5424Options::default(), &mut out);
        assert_one_line(&out);
        let line = String::from_utf8(out).unwrap();
        let rfc5424_line::Line { pri, header, sd_id, params, msg } = rfc5424_line::read(line.as_bytes());
        prop_assert_eq!(header.len(), 6);
        prop_assert_eq!((pri, header[0]), (134, "1"));
        prop_assert!(header[2].chars().all(|c| ('!'..='~').contains(&c)), "HOSTNAME {:?}", header[2]);
        prop_assert_eq!(sd_id, "defender@32473");
        let names: Vec<&str> = params.iter().map(|(n, _)| n.as_str()).collect();
        prop_assert_eq!(names, ["tenantId", "alertId", "severity"]);
        prop_assert_eq!(params[0].1.as_str(), TENANT_ID);
        prop_assert_eq!(params[1].1.clone(), lossy(&t.id, false));
        prop_assert_eq!(params[2].1.clone(), lossy(&severity, false));
        // MSG is the alert JSON, intact.
        let payload: serde_json::Value = serde_json::from_str(msg).unwrap();
        prop_assert_eq!(payload["description"].as_str(), Some(t.description.as_str()));
    }
}

// ------------------------------------------------- format characters

proptest! {
    #![proptest_config(config())]

    /// A format character anywhere in the alert never reaches a text
    /// format raw (CEF, LEEF, RFC 5424 with a CEF or LEEF payload, RFC
    /// 3164), and its escape names the code point; the JSON formats keep
    /// the alert's bytes.
    #[test]
    fn format_characters_never_appear_raw_in_text_formats(
        t in texts(),
        (lo, hi) in prop::sample::select(CF_RANGES.to_vec()),
        pick in any::<u32>(),
    ) {
        use defender_siem::format::{Payload, Rfc3164Options, rfc3164};
        let cf = char::from_u32(lo + pick % (hi - lo + 1)).unwrap();
        let mut t = t;
        t.title = format!("invoice{cf}fdp.exe{}", t.title);
        t.host = format!("{cf}{}", t.host);
        t.id = format!("id{cf}");
        t.tenant_name = format!("Contoso{cf}");
        let r = record(&t);
        let escape = format!("<U+{:04X}>", u32::from(cf));
        let mut outputs = Vec::new();
        let mut out = Vec::new();
        cef::encode(&r, &CefOptions::default(), &mut out);
        outputs.push(("cef", out));
        let mut out = Vec::new();
        leef::encode(&r, &LeefOptions::default(), &mut out);
        outputs.push(("leef", out));
        for payload in [Payload::Cef(CefOptions::default()), Payload::Leef(LeefOptions::default())] {
            let mut out = Vec::new();
            rfc5424::encode(&r, &Rfc5424Options::default().payload(payload.clone()), &mut out);
            outputs.push(("rfc5424", out));
            let mut out = Vec::new();
            rfc3164::encode(&r, &Rfc3164Options::default().payload(payload), chrono::Utc::now(), &mut out);
            outputs.push(("rfc3164", out));
        }
        for (name, out) in &outputs {
            let text = String::from_utf8_lossy(out);
            prop_assert!(!text.contains(cf), "{} holds {:?} raw: {:?}", name, cf, text);
            prop_assert!(text.contains(&format!("invoice{escape}fdp.exe")), "{}: {:?}", name, text);
        }
        // JSON keeps the exact bytes.
        let mut json = Vec::new();
        defender_siem::format::json::encode(&r, &mut json);
        let json = String::from_utf8(json).unwrap();
        prop_assert!(json.contains(&format!("invoice{cf}fdp.exe")), "{:?}", json);
    }
}
