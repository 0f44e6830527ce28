//! Our own fixtures for the hard cases: malformed alerts inside a page,
//! forward-compatible values, timestamps, JSON lines, truncated and non-JSON
//! input.

use crate::support;

use defender_siem::models::{
    Alert, AlertStatus, Classification, DetectionSource, EntityType, PageErrorKind, Severity,
    Timestamp, parse_page, parse_records,
};
use serde_json::Value;
use support::{assert_same_document, own_fixture};

#[test]
fn one_malformed_alert_never_spoils_its_page() {
    let bytes = own_fixture("page_with_malformed_alerts.json");
    let page = parse_page::<Alert>(&bytes).unwrap();
    assert_eq!(page.len(), 7);

    let ids: Vec<_> = page.parsed().map(|p| p.alert.id.clone().unwrap()).collect();
    assert_eq!(ids, ["da100_1", "da100_7"]);

    let problems: Vec<(usize, Option<&str>, &str)> = page
        .malformed()
        .map(|e| (e.index(), e.id(), e.path()))
        .collect();
    assert_eq!(
        problems,
        [
            (1, Some("da100_2"), "$.lastUpdateTime"),
            (2, Some("da100_3"), "$.incidentId"),
            (3, Some("da100_4"), "$.evidence[1].processId"),
            (4, Some("5"), "$.severity"),
            (5, None, "$"),
        ]
    );

    let bad_time = page.malformed().next().unwrap();
    let text = bad_time.to_string();
    assert!(text.contains("alert #1 (id da100_2)"), "{text}");
    assert!(text.contains("`$.lastUpdateTime`"), "{text}");
    assert!(text.contains("2024-05-02 at noon"), "{text}");
    // The malformed alert keeps its exact bytes, so it can still be forwarded.
    assert!(
        bad_time
            .raw()
            .get()
            .contains(r#""lastUpdateTime": "2024-05-02 at noon""#)
    );
}

#[test]
fn unknown_values_and_members_survive_a_round_trip() {
    let bytes = own_fixture("alert_forward_compatible.json");
    let alert: Alert = serde_json::from_slice(&bytes).unwrap();

    assert_eq!(alert.severity, Some(Severity::Unknown("Critical".into())));
    assert_eq!(alert.status, Some(AlertStatus::Unknown("Dismissed".into())));
    assert_eq!(
        alert.classification,
        Some(Classification::Unknown("SomethingNew".into()))
    );
    assert_eq!(
        alert.detection_source,
        Some(DetectionSource::Unknown("MicrosoftDefenderForAi".into()))
    );
    assert_eq!(
        alert.evidence_items()[0].entity_type,
        Some(EntityType::Unknown("AiAgent".into()))
    );
    assert!(alert.evidence_items()[0].extra.contains_key("nested"));
    assert!(
        alert
            .related_user
            .as_ref()
            .unwrap()
            .extra
            .contains_key("userSid")
    );
    assert!(alert.extra.contains_key("customerTags"));
    assert!(alert.was_null("investigationId"));
    assert!(!alert.was_null("threatName"), "absent is not null");

    let original: Value = serde_json::from_slice(&bytes).unwrap();
    let written = serde_json::to_value(&alert).unwrap();
    assert_same_document(&original, &written, "alert");
    // Absent members stay absent, explicit nulls stay null.
    assert!(written.get("threatName").is_none());
    assert_eq!(written["assignedTo"], Value::Null);
}

#[test]
fn timestamp_forms_are_the_same_instant_and_normalize() {
    let bytes = own_fixture("alert_forward_compatible.json");
    let alert: Alert = serde_json::from_slice(&bytes).unwrap();
    let written = serde_json::to_value(&alert).unwrap();
    assert_eq!(written["lastUpdateTime"], "2024-05-02T09:14:05.1234567Z");
    assert_eq!(written["resolvedTime"], "2024-05-02T09:15:00Z");
    assert_eq!(
        alert.resolved_time,
        Some("2024-05-02T09:15:00+00:00".parse::<Timestamp>().unwrap())
    );
}

#[test]
fn hostile_text_round_trips_exactly_in_raw_bytes() {
    let bytes = own_fixture("alert_forward_compatible.json");
    let page = parse_records::<Alert>(&bytes).unwrap();
    let parsed = page.parsed().next().unwrap();
    assert_eq!(parsed.raw.get().as_bytes(), bytes.trim_ascii_end());
    let title = parsed.alert.title.as_deref().unwrap();
    assert!(title.contains('🚀') && title.contains('\u{2028}'));
    assert!(
        parsed
            .alert
            .description
            .as_deref()
            .unwrap()
            .contains("\r\n")
    );
}

#[test]
fn json_lines_with_pages_arrays_and_a_broken_line() {
    let bytes = own_fixture("mixed.jsonl");
    let page = parse_records::<Alert>(&bytes).unwrap();
    let ids: Vec<String> = page
        .alerts
        .iter()
        .map(|r| match r {
            Ok(p) => p.alert.id.clone().unwrap(),
            Err(e) => format!("bad:{}", e.id().unwrap_or("?")),
        })
        .collect();
    assert_eq!(ids, ["jl_1", "jl_3", "jl_4", "jl_5", "bad:jl_6"]);
    assert_eq!(page.context.as_deref(), Some("ctx"));
    assert_eq!(page.skipped.len(), 1);
    let skipped = &page.skipped[0];
    assert_eq!(skipped.line(), 2, "{skipped}");
    // Alerts are numbered across the whole input.
    assert_eq!(page.malformed().next().unwrap().index(), 4);
}

#[test]
fn truncated_page_names_the_byte_offset() {
    let bytes = own_fixture("page_truncated.json");
    let err = parse_page::<Alert>(&bytes).unwrap_err();
    assert_eq!(err.kind(), PageErrorKind::Truncated);
    assert_eq!(err.offset(), bytes.len());
    assert!(
        err.to_string()
            .starts_with("the page is cut short at byte 76"),
        "{err}"
    );
    // parse_records reports the same when nothing at all was readable.
    let err = parse_records::<Alert>(&bytes).unwrap_err();
    assert_eq!(err.kind(), PageErrorKind::Truncated);
}

#[test]
fn non_json_page_names_the_byte_offset() {
    let bytes = own_fixture("not_json.html");
    let err = parse_page::<Alert>(&bytes).unwrap_err();
    assert_eq!(err.kind(), PageErrorKind::Syntax);
    assert_eq!((err.offset(), err.line(), err.column()), (0, 1, 1));
    assert!(
        err.to_string().contains("not valid JSON at byte 0"),
        "{err}"
    );
}

#[test]
fn a_page_without_value_is_a_shape_error() {
    let err = parse_page::<Alert>(br#"{"error":{"code":"Unauthorized"}}"#).unwrap_err();
    assert_eq!(err.kind(), PageErrorKind::Shape);
    assert!(err.to_string().contains("no `value` array"), "{err}");
    let err = parse_page::<Alert>(b"[]").unwrap_err();
    assert_eq!(err.kind(), PageErrorKind::Shape);
}

#[test]
fn next_link_and_context_are_read() {
    let body = br#"{"value":[],"@odata.nextLink":"https://graph.microsoft.com/v1.0/security/alerts_v2?$skiptoken=abc","@odata.count":0,"@odata.context":"c"}"#;
    let page = parse_page::<Alert>(body).unwrap();
    assert!(page.is_empty());
    assert_eq!(page.context.as_deref(), Some("c"));
    assert!(page.next_link.unwrap().ends_with("$skiptoken=abc"));
}

#[test]
fn portal_links_per_cloud() {
    use defender_siem::cloud::Cloud;
    let alert: Alert = serde_json::from_str(
        r#"{"id":"da1_2","aadTenantId":"b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c"}"#,
    )
    .unwrap();
    assert_eq!(
        alert.portal_url(Cloud::GccHigh).unwrap().as_str(),
        "https://security.microsoft.us/alerts/da1_2?tid=b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c"
    );
    assert_eq!(
        alert.portal_url(Cloud::Dod).unwrap().host_str(),
        Some("security.apps.mil")
    );
    let no_tenant: Alert = serde_json::from_str(r#"{"id":"x"}"#).unwrap();
    assert!(no_tenant.portal_url(Cloud::Public).is_none());
    let base = "http://127.0.0.1:9000/portal/".parse().unwrap();
    assert_eq!(
        no_tenant
            .portal_url_in_tenant(&base, "t-1")
            .unwrap()
            .as_str(),
        "http://127.0.0.1:9000/portal/alerts/x?tid=t-1"
    );
}

#[test]
fn graph_evidence_unknown_kinds_are_kept_whole() {
    use defender_siem::models::{GraphAlert, GraphEvidence};
    let body = br##"{"value":[{"id":"g1","severity":"high","evidence":[
        {"@odata.type":"#microsoft.graph.security.kubernetesPodEvidence","name":"pod-1","containers":[{"name":"c"}]},
        {"verdict":"malicious"},
        {"@odata.type":"#microsoft.graph.security.urlEvidence","url":"http://x.example/a b","verdict":"suspicious","futureMember":[1]}
    ]}]}"##;
    let page = parse_page::<GraphAlert>(body).unwrap();
    let alert = &page.parsed().next().unwrap().alert;
    let evidence = alert.evidence.as_deref().unwrap();
    assert!(matches!(&evidence[0], GraphEvidence::Unknown(v) if v["containers"][0]["name"] == "c"));
    assert_eq!(
        evidence[0].odata_type(),
        Some("#microsoft.graph.security.kubernetesPodEvidence")
    );
    assert!(matches!(&evidence[1], GraphEvidence::Unknown(_)));
    let GraphEvidence::Url(url) = &evidence[2] else {
        panic!("{:?}", evidence[2])
    };
    assert_eq!(url.url.as_deref(), Some("http://x.example/a b"));
    assert!(url.extra.contains_key("futureMember"));
    assert_eq!(alert.severity.as_ref().unwrap().to_mde(), Severity::High);

    let original: Value = serde_json::from_slice(body).unwrap();
    let written = serde_json::to_value(alert).unwrap();
    assert_same_document(&original["value"][0], &written, "graph");
}

#[test]
fn graph_evidence_of_a_known_kind_with_a_wrong_type_is_reported() {
    use defender_siem::models::GraphAlert;
    let body = br##"{"value":[
        {"id":"g1","evidence":[{"@odata.type":"#microsoft.graph.security.processEvidence","processId":"x"}]},
        {"id":"g2","evidence":[]}
    ]}"##;
    let page = parse_page::<GraphAlert>(body).unwrap();
    let bad = page.malformed().next().unwrap();
    assert_eq!((bad.index(), bad.id()), (0, Some("g1")));
    assert!(bad.path().starts_with("$.evidence[0]"), "{bad}");
    assert!(bad.message().contains("processEvidence"), "{bad}");
    assert_eq!(page.parsed().count(), 1);
}
