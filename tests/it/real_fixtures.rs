//! Every real API sample (`../shared/fixtures/real/`, vendored in
//! `tests/fixtures/real/`) that is an alert, a
//! page of alerts or a Graph alert list must parse, round-trip its raw bytes
//! exactly, and serialize its typed view back to an equal JSON document
//! (timestamps compared as instants).

use crate::support;

use defender_siem::models::{
    Alert, GraphAlert, GraphEvidence, Page, SiemAlert, parse_page, parse_records,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use support::{assert_same_document, real_fixture};

/// Parses `bytes` with `parse`, then checks every alert: no malformed ones,
/// raw bytes are a slice of the input, typed view serializes back equal.
fn check_all<T>(name: &str, bytes: &[u8], page: Page<T>, expected_alerts: usize)
where
    T: Serialize + DeserializeOwned + std::fmt::Debug,
{
    assert_eq!(page.len(), expected_alerts, "{name}: alert count");
    let text = std::str::from_utf8(bytes).unwrap();
    for (i, result) in page.alerts.iter().enumerate() {
        let parsed = result
            .as_ref()
            .unwrap_or_else(|e| panic!("{name}: alert {i} did not parse: {e}"));
        assert!(
            text.contains(parsed.raw.get()),
            "{name}: alert {i}: raw bytes are not an exact slice of the input"
        );
        let original: Value = serde_json::from_str(parsed.raw.get()).unwrap();
        let typed = serde_json::to_value(&parsed.alert).unwrap();
        assert_same_document(&original, &typed, &format!("{name}[{i}]"));
    }
}

#[test]
fn mde_pages_parse_losslessly() {
    for (name, count) in [
        ("mde_alerts_page_1_alert_legacy_fields_demisto.json", 1),
        ("mde_alerts_page_2_alerts_legacy_fields_demisto.json", 2),
        ("mde_alerts_page_3_alerts_legacy_fields_demisto.json", 3),
        (
            "mde_alerts_page_2018_preview_user_related_duplicate_ids_docs.json",
            2,
        ),
    ] {
        let bytes = real_fixture(name);
        let page = parse_page::<Alert>(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(page.context.as_deref().unwrap().ends_with("#Alerts"));
        assert!(page.next_link.is_none());
        check_all(name, &bytes, page, count);
    }
}

#[test]
fn single_mde_alert_with_evidence_parses_losslessly() {
    let name = "mde_alert_single_with_evidence_docs.json";
    let bytes = real_fixture(name);
    let page = parse_records::<Alert>(&bytes).unwrap();
    let alert = &page.alerts[0].as_ref().unwrap().alert;
    assert_eq!(alert.id.as_deref(), Some("da637472900382838869_1364969609"));
    assert_eq!(alert.evidence_items().len(), 3);
    assert_eq!(alert.evidence_items()[1].process_id, Some(3276));
    assert!(alert.evidence_items()[0].was_null("sha1"));
    assert_eq!(
        alert.mitre_techniques.as_deref(),
        Some(&["T1064".to_owned(), "T1085".into(), "T1220".into()][..])
    );
    check_all(name, &bytes, page, 1);
}

#[test]
fn graph_alert_pages_parse_losslessly() {
    let name = "graph_alerts_v2_list_page_docs.json";
    let bytes = real_fixture(name);
    let page = parse_page::<GraphAlert>(&bytes).unwrap();
    let alert = &page.alerts[0].as_ref().unwrap().alert;
    let kinds: Vec<&str> = alert
        .evidence
        .as_deref()
        .unwrap()
        .iter()
        .map(|e| match e {
            GraphEvidence::Device(_) => "device",
            GraphEvidence::File(_) => "file",
            GraphEvidence::Process(_) => "process",
            GraphEvidence::RegistryKey(_) => "registryKey",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["device", "file", "process", "registryKey"]);
    check_all(name, &bytes, page, 1);

    let name = "graph_alert_v2_single_get_docs.json";
    let bytes = real_fixture(name);
    let page = parse_records::<GraphAlert>(&bytes).unwrap();
    check_all(name, &bytes, page, 1);
}

#[test]
fn demisto_graph_test_cases_parse_losslessly() {
    let name = "graph_alerts_v2_and_legacy_alerts_test_cases_demisto.json";
    let wrapper: Value = serde_json::from_slice(&real_fixture(name)).unwrap();

    // test_case_2 is an alerts_v2 page from a real (anonymised) lab tenant.
    let v2 = serde_json::to_vec(&wrapper["test_case_2"]["mock_response"]).unwrap();
    let page = parse_page::<GraphAlert>(&v2).unwrap();
    check_all(&format!("{name}:test_case_2"), &v2, page, 2);

    // test_case_1 is the retired Graph `security/alerts` (v1) shape, which is
    // not alerts_v2: its comments are plain strings. Read generically it is
    // lossless; read as alerts_v2, the alerts that do not fit are reported
    // with their path while the others still parse.
    let v1 = serde_json::to_vec(&wrapper["test_case_1"]["mock_response"]).unwrap();
    let expected = wrapper["test_case_1"]["mock_response"]["value"]
        .as_array()
        .unwrap()
        .len();
    check_all(
        &format!("{name}:test_case_1"),
        &v1,
        parse_page::<Value>(&v1).unwrap(),
        expected,
    );
    let as_v2 = parse_page::<GraphAlert>(&v1).unwrap();
    assert_eq!(as_v2.len(), expected);
    let bad: Vec<_> = as_v2.malformed().collect();
    assert!(!bad.is_empty());
    for e in &bad {
        assert!(e.path().starts_with("$.comments["), "{e}");
        assert!(e.id().is_some());
    }
    assert!(as_v2.parsed().count() + bad.len() == expected);
}

#[test]
fn legacy_siem_array_parses_losslessly() {
    let name = "mde_siem_api_legacy_alerts_array_docs.json";
    let bytes = real_fixture(name);
    let page = parse_records::<SiemAlert>(&bytes).unwrap();
    let record = &page.alerts[0].as_ref().unwrap().alert;
    assert_eq!(
        record.alert_id.as_deref(),
        Some("da637370718981685665_16349121")
    );
    assert_eq!(record.report_id, Some(1_053_729_833));
    assert_eq!(record.actor.as_deref(), Some(""));
    check_all(name, &bytes, page, 1);
}

#[test]
fn incident_embedded_alert_keeps_every_member() {
    // The M365D incident's alert is not an MDE alert, but reading it as one
    // must still lose nothing: its unknown members land in `extra`.
    let name = "m365d_incident_with_alert_entities_demisto.json";
    let incident: Value = serde_json::from_slice(&real_fixture(name)).unwrap();
    let alerts = serde_json::to_vec(&incident["alerts"]).unwrap();
    let page = parse_records::<Alert>(&alerts).unwrap();
    check_all(name, &alerts, page, 1);
}

#[test]
fn empty_incident_page_is_an_empty_page() {
    let page =
        parse_page::<Alert>(&real_fixture("m365d_incidents_page_empty_demisto.json")).unwrap();
    assert!(page.is_empty());
    assert!(page.context.is_some());
}

#[test]
fn invalid_doc_samples_fail_with_a_byte_offset() {
    for name in [
        "mde_alerts_page_default_truncated_docs.txt",
        "mde_alerts_page_expand_evidence_truncated_docs.txt",
        "mde_alerts_page_2020_expand_evidence_tabs_truncated_docs.txt",
        "mde_alert_single_2018_json_representation_invalid_docs.txt",
    ] {
        let bytes = real_fixture(name);
        let err = parse_page::<Alert>(&bytes).unwrap_err();
        assert!(
            err.offset() > 0 && err.offset() <= bytes.len(),
            "{name}: {err}"
        );
        assert!(
            err.to_string()
                .contains(&format!("at byte {}", err.offset())),
            "{err}"
        );
    }
}

#[test]
fn every_real_alert_file_is_covered() {
    // Guards against a new fixture being added without a test above.
    let covered = [
        "mde_alerts_page_1_alert_legacy_fields_demisto.json",
        "mde_alerts_page_2_alerts_legacy_fields_demisto.json",
        "mde_alerts_page_3_alerts_legacy_fields_demisto.json",
        "mde_alerts_page_2018_preview_user_related_duplicate_ids_docs.json",
        "mde_alert_single_with_evidence_docs.json",
        "graph_alerts_v2_list_page_docs.json",
        "graph_alert_v2_single_get_docs.json",
        "graph_alerts_v2_and_legacy_alerts_test_cases_demisto.json",
        "mde_siem_api_legacy_alerts_array_docs.json",
        "m365d_incident_with_alert_entities_demisto.json",
        "m365d_incidents_page_empty_demisto.json",
    ];
    let dir = support::real_fixture_dir();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let is_alert_json = name.ends_with(".json")
            && (name.starts_with("mde_alert")
                || name.starts_with("graph_alert")
                || name.starts_with("m365d_")
                || name.starts_with("mde_siem"));
        if is_alert_json {
            assert!(covered.contains(&name.as_str()), "{name} has no test");
        }
    }
}

#[test]
fn vendored_samples_match_the_shared_ones() {
    let Some(shared) = support::shared_fixture_dir() else {
        eprintln!("../shared is not next to this clone; only the vendored copies are used");
        return;
    };
    let vendored = support::real_fixture_dir();
    for entry in std::fs::read_dir(&shared).unwrap() {
        let name = entry.unwrap().file_name();
        let a = std::fs::read(shared.join(&name)).unwrap();
        let b = std::fs::read(vendored.join(&name))
            .unwrap_or_else(|_| panic!("{name:?} is in ../shared but not vendored"));
        assert!(a == b, "{name:?} differs from ../shared");
    }
}
