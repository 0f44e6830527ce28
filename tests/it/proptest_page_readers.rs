//! Differential property test of the two page readers behind
//! `parse_page` and `parse_records`: wherever the one-pass fast reader
//! gives a result (rather than falling back), it is exactly the general
//! reader's result: the same alerts typed, the same raw bytes, the same
//! malformed alerts (index, id, path, message, raw bytes), the same skipped
//! stretches and the same envelope (`@odata.context`, `@odata.nextLink`).
//!
//! Inputs are pages and JSON lines written as text, so that whitespace,
//! escapes, unicode, odd numbers, nulls, unknown and repeated members,
//! nested evidence, envelope members in any order and broken JSON all come
//! up. The `parse_page` fuzz target checks the same on arbitrary bytes.

use std::fmt::Debug;

use defender_siem::models::page_readers::{fast_page, fast_records, general_page, general_records};
use defender_siem::models::{Alert, GraphAlert, SiemAlert};
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::with_cases(cases)
    }
}

// ------------------------------------------------------------ JSON text

/// Whitespace between two tokens.
fn ws() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["", "", "", " ", "\n", "\t", "\r\n", "  \n    "])
}

/// A JSON string literal with escapes and non-ASCII text.
fn string_lit() -> impl Strategy<Value = String> {
    let part = prop_oneof![
        4 => "[a-zA-Z0-9 _.:-]{1,8}",
        1 => prop::sample::select(vec![
            "\\\"", "\\\\", "\\/", "\\n", "\\t", "\\u00e9", "\\u0000", "\\ud83d\\ude00", "é",
            "日本", "😀", "\u{2028}", "\u{fffd}",
        ])
        .prop_map(String::from),
    ];
    prop::collection::vec(part, 0..4).prop_map(|parts| format!("\"{}\"", parts.concat()))
}

fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => Just("null".to_owned()),
        1 => prop::sample::select(vec!["true", "false"]).prop_map(String::from),
        2 => any::<i64>().prop_map(|n| n.to_string()),
        1 => prop::sample::select(vec![
            "0", "-0", "1.5", "1e3", "-2.5E-3", "1e400", "18446744073709551616", "3276",
        ])
        .prop_map(String::from),
        3 => string_lit(),
    ]
}

/// `[a,b]` from (whitespace, value) pairs.
fn array(items: Vec<(&str, String)>) -> String {
    let items: Vec<String> = items.into_iter().map(|(w, v)| format!("{w}{v}")).collect();
    format!("[{}]", items.join(","))
}

/// `{"k":v,…}` from (whitespace, key, whitespace, value) members.
fn object<K: std::fmt::Display>(members: Vec<(&str, K, &str, String)>) -> String {
    let members: Vec<String> = members
        .into_iter()
        .map(|(w, k, w2, v)| format!("{w}{k}{w2}:{v}"))
        .collect();
    format!("{{{}}}", members.join(","))
}

/// Any JSON value, nested a few levels.
fn value_text() -> impl Strategy<Value = String> {
    scalar().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec((ws(), inner.clone()), 0..4).prop_map(array),
            prop::collection::vec((ws(), member_key(), ws(), inner), 0..4).prop_map(object),
        ]
    })
}

/// Member names of the three alert models, of evidence, of the envelope,
/// and some no model knows.
fn member_key() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(vec![
            "id", "AlertId", "severity", "Severity", "status", "title", "lastUpdateTime",
            "lastUpdateDateTime", "AlertTime", "incidentId", "evidence", "processId",
            "entityType", "@odata.type", "comments", "mitreTechniques", "value",
            "@odata.context", "@odata.nextLink", "@odata.count", "someFutureField",
            "ReportID", "assignedTo",
        ])
        .prop_map(|k| format!("\"{k}\"")),
        1 => string_lit(),
    ]
}

/// A value that fits (or nearly fits) the member it is given to.
fn member_value(key: &str) -> BoxedStrategy<String> {
    let fitting: BoxedStrategy<String> = match key {
        "\"lastUpdateTime\"" | "\"lastUpdateDateTime\"" | "\"AlertTime\"" => {
            prop::sample::select(vec![
                "\"2024-05-02T09:14:05.2Z\"",
                "\"2021-01-26T20:33:59.2666667Z\"",
                "\"2024-05-02T09:14:05+02:00\"",
                "\"not a time\"",
                "null",
            ])
            .prop_map(String::from)
            .boxed()
        }
        "\"severity\"" | "\"Severity\"" | "\"status\"" => prop::sample::select(vec![
            "\"High\"",
            "\"low\"",
            "\"Informational\"",
            "\"inProgress\"",
            "\"SomethingNew\"",
            "null",
        ])
        .prop_map(String::from)
        .boxed(),
        "\"evidence\"" | "\"comments\"" => prop::collection::vec((ws(), evidence_text()), 0..3)
            .prop_map(array)
            .boxed(),
        "\"incidentId\"" | "\"ReportID\"" => prop_oneof![
            any::<i32>().prop_map(|n| n.to_string()),
            Just("\"28282\"".to_owned()),
        ]
        .boxed(),
        _ => string_lit().boxed(),
    };
    prop_oneof![3 => fitting, 1 => value_text()].boxed()
}

/// An evidence item or a comment.
fn evidence_text() -> impl Strategy<Value = String> {
    let member = prop::sample::select(vec![
        "\"entityType\"",
        "\"@odata.type\"",
        "\"processId\"",
        "\"sha1\"",
        "\"fileName\"",
        "\"comment\"",
        "\"createdDateTime\"",
        "\"detailedRoles\"",
    ]);
    let value = prop_oneof![
        Just("\"Process\"".to_owned()),
        Just("\"#microsoft.graph.security.deviceEvidence\"".to_owned()),
        Just("\"2024-05-02T09:14:05Z\"".to_owned()),
        value_text(),
    ];
    prop::collection::vec((ws(), member, ws(), value), 0..5).prop_map(object)
}

/// One alert: usually an object (with repeated, unknown and ill-typed
/// members now and then), sometimes a value that is not an object.
fn alert_text() -> impl Strategy<Value = String> {
    let member = member_key().prop_flat_map(|key| {
        (ws(), Just(key.clone()), ws(), ws(), member_value(&key))
            .prop_map(|(a, k, b, c, v)| format!("{a}{k}{b}:{c}{v}"))
    });
    let object = (prop::collection::vec(member, 0..7), ws())
        .prop_map(|(members, end)| format!("{{{}{end}}}", members.join(",")));
    prop_oneof![12 => object, 1 => scalar(), 1 => value_text()]
}

/// A list of alerts, separated as JSON arrays are.
fn alerts_text() -> impl Strategy<Value = String> {
    (
        prop::collection::vec((ws(), alert_text(), ws()), 0..5),
        ws(),
    )
        .prop_map(|(alerts, end)| {
            let alerts: Vec<String> = alerts
                .into_iter()
                .map(|(a, v, b)| format!("{a}{v}{b}"))
                .collect();
            format!("[{}{end}]", alerts.join(","))
        })
}

/// One member of an envelope.
fn envelope_member() -> impl Strategy<Value = String> {
    let link = prop_oneof![
        Just("\"https://graph.microsoft.com/v1.0/security/alerts_v2?$skip=2\"".to_owned()),
        Just("null".to_owned()),
        string_lit(),
        value_text(),
    ];
    prop_oneof![
        (ws(), link.clone()).prop_map(|(w, v)| format!("\"@odata.context\"{w}:{v}")),
        (ws(), link).prop_map(|(w, v)| format!("\"@odata.nextLink\"{w}:{v}")),
        (ws(), any::<u16>()).prop_map(|(w, n)| format!("\"@odata.count\"{w}:{n}")),
        (ws(), value_text()).prop_map(|(w, v)| format!("\"@odata.something\"{w}:{v}")),
        (ws(), value_text()).prop_map(|(w, v)| format!("\"unknown\"{w}:{v}")),
        (ws(), alerts_text()).prop_map(|(w, v)| format!("\"value\"{w}:{v}")),
        (ws(), value_text()).prop_map(|(w, v)| format!("\"value\"{w}:{v}")),
    ]
}

/// An OData envelope: a `value` array and other members, in any order.
fn envelope_text() -> impl Strategy<Value = String> {
    (
        ws(),
        alerts_text(),
        prop::collection::vec(envelope_member(), 0..4),
        ws(),
    )
        .prop_flat_map(|(w, alerts, others, end)| {
            let mut members = others;
            members.push(format!("\"value\"{w}:{w}{alerts}"));
            (Just(members).prop_shuffle(), Just(end))
        })
        .prop_map(|(members, end)| {
            let members: Vec<String> = members.into_iter().map(|m| format!("{end}{m}")).collect();
            format!("{{{}{end}}}", members.join(","))
        })
}

/// A well-formed page the fast reader must read itself: exactly one
/// `value` array, a string or null context and next link, valid UTF-8.
fn clean_page_text() -> impl Strategy<Value = String> {
    let link = || prop::option::of(string_lit());
    (ws(), link(), link(), alerts_text(), any::<bool>(), ws()).prop_map(
        |(w, context, next, alerts, value_first, end)| {
            let mut members = vec![format!("\"value\"{w}:{w}{alerts}")];
            let context = context.unwrap_or_else(|| "null".to_owned());
            members.push(format!("\"@odata.context\":{w}{context}"));
            if let Some(next) = next {
                members.push(format!("{w}\"@odata.nextLink\"{w}:{next}"));
            }
            if !value_first {
                members.rotate_left(1);
            }
            format!("{end}{{{}}}{end}", members.join(","))
        },
    )
}

/// A line that is not a record: broken JSON or a bare scalar.
fn garbage_line() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "not json",
            "{\"id\":",
            "[{\"id\":\"a\"},]",
            "{\"id\":\"a\" \"b\":1}",
            "5",
            "\"text\"",
            "}",
            "{\"value\":[{\"id\":\"a\"}]",
        ])
        .prop_map(String::from),
        value_text(),
    ]
}

/// Breaks a text now and then: cut short, a byte dropped, or a stray byte
/// (possibly not UTF-8) put in.
fn maybe_broken(text: impl Strategy<Value = String>) -> impl Strategy<Value = Vec<u8>> {
    (text, 0u8..8, any::<prop::sample::Index>(), 0usize..5).prop_map(|(text, how, at, stray)| {
        let mut bytes = text.into_bytes();
        let at = at.index(bytes.len() + 1);
        let strays: [&[u8]; 5] = [b",", b"}", b"]", b"\"", &[0xff]];
        match how {
            0 => bytes.truncate(at),
            1 if at < bytes.len() => {
                bytes.remove(at);
            }
            2 => {
                let tail = bytes.split_off(at);
                bytes.extend_from_slice(strays[stray]);
                bytes.extend_from_slice(&tail);
            }
            _ => {}
        }
        bytes
    })
}

/// A page as an API response.
fn page_input() -> impl Strategy<Value = Vec<u8>> {
    maybe_broken(prop_oneof![
        4 => envelope_text(),
        1 => alerts_text(),
        1 => alert_text(),
    ])
}

/// What a file may hold: JSON lines of envelopes, arrays, alerts, and
/// lines that are not JSON.
fn records_input() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        3 => envelope_text(),
        2 => alerts_text(),
        4 => alert_text(),
        1 => garbage_line(),
    ];
    let lines = (
        prop::collection::vec(line, 1..5),
        prop::sample::select(vec!["\n", "\r\n", "\n\n", " \n", ""]),
    )
        .prop_map(|(lines, sep)| lines.join(sep));
    maybe_broken(lines)
}

// ------------------------------------------------------------ checks

/// Where the fast reader gives a result, the general reader gives the
/// same one; returns whether the fast reader gave one.
fn readers_agree<T>(input: &[u8]) -> Result<bool, TestCaseError>
where
    T: DeserializeOwned + PartialEq + Debug,
{
    let text = String::from_utf8_lossy(input);
    let mut fast_read = false;
    if let Some(fast) = fast_page::<T>(input) {
        fast_read = true;
        prop_assert_eq!(
            Ok(fast),
            general_page::<T>(input),
            "parse_page of {:?}",
            text
        );
    }
    if let Some(fast) = fast_records::<T>(input) {
        prop_assert_eq!(
            Ok(fast),
            general_records::<T>(input),
            "parse_records of {:?}",
            text
        );
    }
    Ok(fast_read)
}

fn all_models_agree(input: &[u8]) -> Result<bool, TestCaseError> {
    let fast_read = readers_agree::<Alert>(input)?;
    readers_agree::<GraphAlert>(input)?;
    readers_agree::<SiemAlert>(input)?;
    readers_agree::<Value>(input)?;
    Ok(fast_read)
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn fast_page_reader_agrees_with_the_general_one(input in page_input()) {
        all_models_agree(&input)?;
    }

    #[test]
    fn fast_records_reader_agrees_with_the_general_one(input in records_input()) {
        all_models_agree(&input)?;
    }

    /// Keeps the two properties above from passing vacuously: a
    /// well-formed page is always read by the fast reader itself.
    #[test]
    fn well_formed_pages_are_read_by_the_fast_reader(text in clean_page_text()) {
        prop_assert!(all_models_agree(text.as_bytes())?, "fell back on {:?}", text);
        prop_assert!(fast_records::<Alert>(text.as_bytes()).is_some());
    }
}

#[test]
fn readers_agree_on_hand_written_pages() {
    for input in [
        "{\"value\":[{\"id\":\"a\",\"id\":\"b\"}],\"@odata.nextLink\":\"n\"}",
        "{\"@odata.count\":1,\"value\":[{\"id\":\"\\u00e9\",\"incidentId\":\"x\"}]}",
        "{\"value\":[{\"id\":\"a\",\"evidence\":[{\"processId\":\"3276\"}]}]}",
        "{\"value\":[1,null,[2]],\"@odata.context\":null}",
        "[{\"AlertId\":\"a\"}]\n{\"id\":\"b\",\"value\":[1]}\nnot json\n{\"value\":[]}",
    ] {
        all_models_agree(input.as_bytes()).unwrap();
    }
}

/// Found by this test: in JSON lines, an envelope with two `value` arrays
/// was read by the fast reader as one alert, by the general reader as an
/// envelope whose last `value` counts (as `parse_page` reads it). The fast
/// reader now leaves it to the general one.
#[test]
fn a_repeated_value_is_read_as_the_general_reader_reads_it() {
    let input = b"{\"value\":[{\"id\":\"a\"}],\"value\":[{\"id\":\"b\"}]}";
    all_models_agree(input).unwrap();
    for page in [
        defender_siem::models::parse_page::<Alert>(input).unwrap(),
        defender_siem::models::parse_records::<Alert>(input).unwrap(),
    ] {
        let ids: Vec<&str> = page.parsed().map(|a| a.alert_id()).collect();
        assert_eq!(ids, ["b"]);
    }
}

/// Alerts around one that holds a byte that is not UTF-8, and where it is:
/// the page's text with `"\u{fffd}"` as that alert's title, the offset of
/// that character, and the alert's index.
fn page_with_a_bad_byte() -> impl Strategy<Value = (String, usize, usize)> {
    (
        prop::collection::vec(alert_text(), 0..5),
        any::<prop::sample::Index>(),
        ws(),
    )
        .prop_map(|(mut alerts, at, w)| {
            let k = at.index(alerts.len() + 1);
            alerts.insert(k, format!("{{\"id\":\"bad\",{w}\"title\":\"x\u{fffd}\"}}"));
            let mut text = format!("{{\"@odata.context\":\"c\",{w}\"value\":[");
            let mut offset = 0;
            for (i, alert) in alerts.iter().enumerate() {
                if i > 0 {
                    text.push(',');
                }
                if i == k {
                    offset = text.len() + alert.find('\u{fffd}').unwrap_or(0);
                }
                text.push_str(alert);
            }
            text.push_str("]}");
            (text, offset, k)
        })
}

proptest! {
    #![proptest_config(config(256))]

    /// One alert holding a byte that is not UTF-8 spoils that alert only:
    /// the page reads as it did with the character in its place, but for
    /// that alert, which is malformed with its exact bytes (and a repaired
    /// copy that is the page's original text of it).
    #[test]
    fn a_bad_byte_spoils_only_its_alert((text, offset, k) in page_with_a_bad_byte()) {
        let before = general_page::<Alert>(text.as_bytes()).unwrap();
        let mut bytes = text.clone().into_bytes();
        bytes.splice(offset..offset + '\u{fffd}'.len_utf8(), [0xff]);
        prop_assert!(fast_page::<Alert>(&bytes).is_none());
        let after = defender_siem::models::parse_page::<Alert>(&bytes).unwrap();
        prop_assert_eq!(after.len(), before.len());
        prop_assert_eq!(&after.context, &before.context);
        for (i, (a, b)) in after.alerts.iter().zip(&before.alerts).enumerate() {
            if i != k {
                prop_assert_eq!(a, b);
                continue;
            }
            let bad = a.as_ref().unwrap_err();
            prop_assert_eq!((bad.index(), bad.id(), bad.path()), (k, Some("bad"), "$.title"));
            prop_assert!(!bad.is_utf8());
            let original = b.as_ref().map_or_else(|m| m.raw().get(), |p| p.raw.get());
            prop_assert_eq!(bad.raw().get(), original);
            prop_assert!(bad.raw_bytes().contains(&0xff));
        }
    }
}
