//! An entry point for the fuzz targets under `fuzz/`: the parser and the
//! evaluator are crate-private, so the fuzzer reaches them through here.

use chrono::DateTime;

use super::{Dialect, Row, parse};

/// Parses `input` as a `$filter` of the MDE (`graph == false`) or Graph
/// dialect and, when it parses, evaluates it against a few fixed alerts.
/// Returns the parse error message, or which of the alerts matched.
/// Not a stable API: it exists for fuzzing only.
#[doc(hidden)]
pub fn fuzz_filter(input: &str, graph: bool) -> Result<[bool; 3], String> {
    let dialect = if graph { Dialect::Graph } else { Dialect::Mde };
    let expr = parse(input, dialect).map_err(|e| e.0)?;
    let earliest = DateTime::UNIX_EPOCH;
    let latest = DateTime::<chrono::Utc>::MAX_UTC;
    let rows = [
        Row {
            id: "",
            created: earliest,
            last_update: earliest,
            severity: "",
            status: "",
            detection_source: "",
            category: "",
            incident_id: i64::MIN,
        },
        Row {
            id: "da638000000000000000_1",
            created: earliest,
            last_update: latest,
            severity: "High",
            status: "New",
            detection_source: "WindowsDefenderAv",
            category: "Malware",
            incident_id: 42,
        },
        Row {
            id: "\u{FFFD}'\"",
            created: latest,
            last_update: latest,
            severity: "UnSpecified",
            status: "Resolved",
            detection_source: "\u{1F600}",
            category: "ÄÖ",
            incident_id: i64::MAX,
        },
    ];
    Ok(rows.map(|row| expr.matches(&row)))
}
