//! Every real API sample (`../shared/fixtures/real/`, vendored in
//! `tests/fixtures/real/`) that is an alert, a
//! page of alerts or a Graph alert list must parse, round-trip its raw bytes
//! exactly, and serialize its typed view back to an equal JSON document
//! (timestamps compared as instants). Incidents and comments (no typed
//! model yet) are read generically, as `serde_json::Value` records, with
//! the same checks; write-back request bodies are checked for their
//! documented members.

use crate::support;

use defender_siem::models::{
    Alert, GraphAlert, GraphEvidence, GraphStatus, Page, PageErrorKind, SiemAlert, parse_page,
    parse_records,
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
        "graph_incidents_list_page_expand_alerts_evidence_trailing_commas_docs.txt",
        "m365d_incidents_page_3_incidents_truncated_docs.txt",
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
fn every_json_sample_is_valid_json() {
    for entry in std::fs::read_dir(support::real_fixture_dir()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".json") {
            serde_json::from_slice::<Value>(&real_fixture(&name))
                .unwrap_or_else(|e| panic!("{name} is not valid JSON: {e}"));
        }
    }
}

#[test]
fn graph_alert_update_response_parses_losslessly() {
    let name = "graph_alert_v2_update_response_docs.json";
    let bytes = real_fixture(name);
    let page = parse_records::<GraphAlert>(&bytes).unwrap();
    let parsed = page.alerts[0].as_ref().unwrap();
    assert_eq!(parsed.alert_id(), "da637551227677560813_-961444813");
    assert_eq!(parsed.alert.status, Some(GraphStatus::InProgress));
    assert_eq!(parsed.alert.evidence.as_deref().map(<[_]>::len), Some(0));
    check_all(name, &bytes, page, 1);
}

#[test]
fn m365d_incident_update_response_alerts_keep_every_member() {
    // M365D incident alerts (`alertId`, `devices`, `entities`) are not MDE
    // alerts, but reading them as such loses nothing.
    let name = "m365d_incident_update_response_12_alerts_demisto.json";
    let incident: Value = serde_json::from_slice(&real_fixture(name)).unwrap();
    assert_eq!(incident["assignedTo"], "Unassigned");
    let alerts = serde_json::to_vec(&incident["alerts"]).unwrap();
    let page = parse_records::<Alert>(&alerts).unwrap();
    for parsed in page.parsed() {
        assert_eq!(
            parsed.alert_id(),
            "",
            "M365D alerts name their id `alertId`"
        );
        assert_eq!(parsed.alert.extra["alertId"], "alertId");
    }
    check_all(name, &alerts, page, 12);
    check_generic(name, &real_fixture(name), 1);
}

/// Reads `bytes` as records of any JSON (the way incidents and comments,
/// which have no typed model yet, are read) and checks them as
/// [`check_all`] does.
fn check_generic(name: &str, bytes: &[u8], expected: usize) -> Page<Value> {
    let page = parse_records::<Value>(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    check_all(name, bytes, page.clone(), expected);
    page
}

#[test]
fn graph_incidents_read_generically_and_round_trip() {
    for (name, count) in [
        ("graph_incidents_list_page_docs.json", 1),
        ("graph_incidents_list_page_2_incidents_demisto.json", 2),
    ] {
        let bytes = real_fixture(name);
        let page = check_generic(name, &bytes, count);
        let as_page = parse_page::<Value>(&bytes).unwrap();
        assert_eq!(as_page.context, page.context, "{name}");
        assert!(as_page.next_link.is_none(), "{name}");
        for incident in page.parsed() {
            assert!(incident.alert["id"].is_string(), "{name}");
        }
    }
    for name in [
        "graph_incident_single_get_docs.json",
        "graph_incident_single_get_demisto.json",
        "graph_incident_update_response_docs.json",
        "graph_incident_update_response_redirected_demisto.json",
    ] {
        let bytes = real_fixture(name);
        let page = check_generic(name, &bytes, 1);
        let incident = &page.parsed().next().unwrap().alert;
        assert!(incident["id"].is_string(), "{name}");
        // A single entity is not a page.
        let err = parse_page::<Value>(&bytes).unwrap_err();
        assert_eq!(err.kind(), PageErrorKind::Shape, "{name}");
    }
    assert_eq!(
        real_fixture("graph_incident_update_response_docs.json"),
        real_fixture("graph_incident_single_get_docs.json"),
        "the docs' PATCH response is the full entity"
    );
    let redirected = check_generic(
        "redirected",
        &real_fixture("graph_incident_update_response_redirected_demisto.json"),
        1,
    );
    let incident = &redirected.parsed().next().unwrap().alert;
    assert_eq!(
        (&incident["status"], &incident["redirectIncidentId"]),
        (&Value::from("redirected"), &Value::from("1234"))
    );
}

#[test]
fn comment_responses_are_pages_of_comments() {
    let mut pages = Vec::new();
    for name in [
        "graph_alert_v2_post_comment_response_docs.json",
        "graph_incident_post_comment_response_docs.json",
    ] {
        pages.push((name.to_owned(), real_fixture(name), 2));
    }
    let name = "graph_alert_v2_post_comment_test_cases_demisto.json";
    let wrapper: Value = serde_json::from_slice(&real_fixture(name)).unwrap();
    for (case, count) in [("test_case_1", 1), ("test_case_2", 2)] {
        let body = serde_json::to_vec(&wrapper[case]["mock_response"]).unwrap();
        pages.push((format!("{name}:{case}"), body, count));
    }
    for (name, bytes, count) in pages {
        let page = parse_page::<Value>(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            page.context.as_deref().unwrap().ends_with("/comments"),
            "{name}"
        );
        for comment in page.parsed() {
            assert!(comment.alert["comment"].is_string(), "{name}");
            assert!(comment.alert["createdDateTime"].is_string(), "{name}");
        }
        check_all(&name, &bytes, page, count);
    }
}

#[test]
fn write_back_request_bodies_have_the_documented_members() {
    for (name, members) in [
        (
            "graph_alert_v2_update_patch_request_body_docs.json",
            &["assignedTo", "classification", "determination", "status"][..],
        ),
        (
            "graph_incident_update_patch_request_body_docs.json",
            &["classification", "determination", "customTags"],
        ),
        (
            "m365d_incident_update_patch_request_body_docs.json",
            &[
                "status",
                "assignedTo",
                "classification",
                "determination",
                "tags",
                "comment",
            ],
        ),
        (
            "mde_alerts_batch_update_request_body_docs.json",
            &[
                "alertIds",
                "status",
                "assignedTo",
                "classification",
                "determination",
                "comment",
            ],
        ),
        (
            "graph_alert_v2_post_comment_request_body_docs.json",
            &["@odata.type", "comment"],
        ),
        (
            "graph_incident_post_comment_request_body_docs.json",
            &["@odata.type", "comment"],
        ),
    ] {
        let bytes = real_fixture(name);
        let body: Value = serde_json::from_slice(&bytes).unwrap();
        let object = body
            .as_object()
            .unwrap_or_else(|| panic!("{name}: not a JSON object"));
        let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
        let mut expected = members.to_vec();
        keys.sort_unstable();
        expected.sort_unstable();
        assert_eq!(keys, expected, "{name}");
        for (key, value) in object {
            let fits = match key.as_str() {
                "alertIds" | "tags" | "customTags" => value
                    .as_array()
                    .is_some_and(|items| items.iter().all(Value::is_string)),
                _ => value.is_string(),
            };
            assert!(fits, "{name}: `{key}` is {value}");
        }
        check_generic(name, &bytes, 1);
    }
    let batch: Value = serde_json::from_slice(&real_fixture(
        "mde_alerts_batch_update_request_body_docs.json",
    ))
    .unwrap();
    assert_eq!(
        batch["alertIds"][1], "da637399989469816469_51697947354",
        "an id suffix beyond 32 bits stays a string"
    );
    let comment: Value = serde_json::from_slice(&real_fixture(
        "graph_incident_post_comment_request_body_docs.json",
    ))
    .unwrap();
    assert_eq!(
        comment["@odata.type"],
        "microsoft.graph.security.alertComment"
    );
}

/// The sample with its two trailing commas taken out (a `,` followed only
/// by whitespace and then `}` or `]`, outside strings).
fn without_trailing_commas(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for (i, c) in text.char_indices() {
        if in_string {
            (escaped, in_string) = (c == '\\' && !escaped, c != '"' || escaped);
        } else if c == '"' {
            in_string = true;
        } else if c == ','
            && matches!(
                bytes[i + 1..].iter().find(|b| !b.is_ascii_whitespace()),
                Some(b'}' | b']')
            )
        {
            continue;
        }
        out.push(c);
    }
    out
}

#[test]
fn incident_page_with_expanded_alerts_fails_at_its_trailing_comma_and_its_alert_parses() {
    let name = "graph_incidents_list_page_expand_alerts_evidence_trailing_commas_docs.txt";
    let bytes = real_fixture(name);
    let err = parse_page::<Value>(&bytes).unwrap_err();
    assert_eq!(err.kind(), PageErrorKind::Syntax, "{err}");
    assert_eq!((err.line(), err.column()), (115, 25), "{err}");

    // With the two commas gone the page reads, and its alert is an
    // alerts_v2 alert that parses losslessly.
    let repaired = without_trailing_commas(std::str::from_utf8(&bytes).unwrap());
    assert_eq!(repaired.len(), bytes.len() - 2);
    let page = parse_page::<Value>(repaired.as_bytes()).unwrap();
    check_all(name, repaired.as_bytes(), page.clone(), 1);
    let incident = &page.parsed().next().unwrap().alert;
    assert_eq!(incident["id"], "2972395");
    let alerts = serde_json::to_vec(&incident["alerts"]).unwrap();
    let alerts_page = parse_records::<GraphAlert>(&alerts).unwrap();
    let alert = alerts_page.parsed().next().unwrap();
    assert_eq!(alert.alert.incident_id.as_deref(), Some("28282"));
    assert_eq!(alert.alert.evidence.as_deref().map(<[_]>::len), Some(4));
    check_all(name, &alerts, alerts_page, 1);
}

#[test]
fn m365d_incidents_page_cut_at_its_placeholder_fails_there() {
    let name = "m365d_incidents_page_3_incidents_truncated_docs.txt";
    let err = parse_page::<Value>(&real_fixture(name)).unwrap_err();
    assert_eq!(err.kind(), PageErrorKind::Syntax, "{err}");
    assert_eq!(err.line(), 517, "{err}");
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
        "mde_alerts_page_default_truncated_docs.txt",
        "mde_alerts_page_expand_evidence_truncated_docs.txt",
        "mde_alerts_page_2020_expand_evidence_tabs_truncated_docs.txt",
        "mde_alert_single_2018_json_representation_invalid_docs.txt",
        // Write-back: alerts_v2 update and comments, MDE batch update,
        // M365D incident update.
        "graph_alert_v2_update_response_docs.json",
        "graph_alert_v2_update_patch_request_body_docs.json",
        "graph_alert_v2_post_comment_request_body_docs.json",
        "graph_alert_v2_post_comment_response_docs.json",
        "graph_alert_v2_post_comment_test_cases_demisto.json",
        "mde_alerts_batch_update_request_body_docs.json",
        "m365d_incident_update_patch_request_body_docs.json",
        "m365d_incident_update_response_12_alerts_demisto.json",
        // Graph incidents.
        "graph_incidents_list_page_docs.json",
        "graph_incidents_list_page_2_incidents_demisto.json",
        "graph_incident_single_get_docs.json",
        "graph_incident_single_get_demisto.json",
        "graph_incident_update_patch_request_body_docs.json",
        "graph_incident_update_response_docs.json",
        "graph_incident_update_response_redirected_demisto.json",
        "graph_incident_post_comment_request_body_docs.json",
        "graph_incident_post_comment_response_docs.json",
        "graph_incidents_list_page_expand_alerts_evidence_trailing_commas_docs.txt",
        "m365d_incidents_page_3_incidents_truncated_docs.txt",
    ];
    let dir = support::real_fixture_dir();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let is_alert_sample = (name.ends_with(".json") || name.ends_with("_docs.txt"))
            && (name.starts_with("mde_alert")
                || name.starts_with("graph_alert")
                || name.starts_with("graph_incident")
                || name.starts_with("m365d_")
                || name.starts_with("mde_siem"));
        if is_alert_sample {
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
