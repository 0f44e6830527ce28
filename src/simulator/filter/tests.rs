use super::*;
use crate::models::Timestamp;

fn at(s: &str) -> DateTime<Utc> {
    Timestamp::parse(s).unwrap().as_datetime()
}

fn row() -> Row<'static> {
    Row {
        id: "da1_2",
        created: at("2024-05-02T09:14:03Z"),
        last_update: at("2024-05-02T09:14:05.2Z"),
        severity: "Medium",
        status: "InProgress",
        detection_source: "WindowsDefenderAtp",
        category: "Execution",
        incident_id: 4242,
    }
}

fn eval(filter: &str) -> bool {
    parse(filter, Dialect::Mde).unwrap().matches(&row())
}

#[test]
fn comparisons_and_logic() {
    assert!(eval("lastUpdateTime ge 2024-05-02T09:14:05.2Z"));
    assert!(!eval("lastUpdateTime gt 2024-05-02T09:14:05.2Z"));
    assert!(eval(
        "lastUpdateTime lt 2024-05-03T00:00:00Z and severity eq 'medium'"
    ));
    assert!(eval("severity ge 'Low' and severity le 'High'"));
    assert!(!eval("severity gt 'Medium'"));
    assert!(eval(
        "(status eq 'New' or status eq 'InProgress') and incidentId eq 4242"
    ));
    assert!(eval("not (category eq 'Malware')"));
    assert!(eval("id eq 'da1_2' and incidentId ne null"));
    assert!(eval("detectionSource ne 'WindowsDefenderAv'"));
    assert!(eval("alertCreationTime le 2024-05-02T09:14:03+00:00"));
    assert!(!eval("id eq 'DA1_2'"));
    assert!(!eval("category eq 'It''s'"));
}

#[test]
fn graph_names() {
    let expr = parse(
        "lastUpdateDateTime gt 2024-01-01T00:00:00Z and status eq 'inProgress'",
        Dialect::Graph,
    )
    .unwrap();
    assert!(expr.matches(&row()));
    assert!(parse("lastUpdateTime gt 2024-01-01T00:00:00Z", Dialect::Graph).is_err());
}

#[test]
fn errors_are_reported_not_panicked() {
    for bad in [
        "",
        "lastUpdateTime",
        "lastUpdateTime ge",
        "lastUpdateTime gx 2024-01-01T00:00:00Z",
        "lastUpdateTime ge '2024-01-01T00:00:00Z'",
        "severity eq High",
        "incidentId eq 'x'",
        "foo eq 1",
        "(severity eq 'High'",
        "severity eq 'High')",
        "severity eq 'High' and",
        "severity eq 'unterminated",
        "severity lt null",
        "severity eq 'High' ; drop",
        "((((((((((",
        "not",
        "and or",
        "'x' eq severity",
        "lastUpdateTime ge 2024-13-45T99:00:00Z",
    ] {
        assert!(parse(bad, Dialect::Mde).is_err(), "{bad:?} parsed");
    }
    let deep = "(".repeat(10_000) + "severity eq 'High'" + &")".repeat(10_000);
    assert!(parse(&deep, Dialect::Mde).is_err());
    let deep_not = "not ".repeat(500) + "severity eq 'High'";
    assert!(parse(&deep_not, Dialect::Mde).is_err());
    assert!(parse(&"x".repeat(20_000), Dialect::Mde).is_err());
}

#[test]
fn arbitrary_bytes_never_panic() {
    let mut rng = crate::simulator::rng::Rng::new(&[1]);
    let alphabet: Vec<char> = "()' abcdeglnoqrtsvAEGIKLNOTUZ0123456789-:.+_\u{e9}\u{1F600}"
        .chars()
        .collect();
    for _ in 0..5_000 {
        let len = rng.index(40);
        let text: String = (0..len)
            .map(|_| alphabet[rng.index(alphabet.len())])
            .collect();
        if let Ok(expr) = parse(&text, Dialect::Mde) {
            let _ = expr.matches(&row());
        }
    }
}
