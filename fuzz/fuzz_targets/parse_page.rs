//! Page and record parsing: `parse_page` for both APIs' alert types and
//! `parse_records` for files, pipes and the legacy SIEM shape. Checks: no
//! panic; errors point inside the input; every parsed alert's raw bytes
//! are valid JSON that parses to the same alert; malformed alerts keep
//! raw bytes that are JSON text; every typed alert
//! serializes and reads back equal; wherever the one-pass fast reader gives
//! a result, the general reader gives the same one (same alerts, raw bytes,
//! errors, indices, paths and envelope).
#![no_main]

use defender_siem::models::page_readers::{fast_page, fast_records, general_page, general_records};
use defender_siem::models::{
    Alert, GraphAlert, Page, PageError, SiemAlert, parse_page, parse_records,
};
use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

fn check<T>(input: &[u8], result: Result<Page<T>, PageError>)
where
    T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug,
{
    let page = match result {
        Ok(page) => page,
        Err(e) => {
            assert!(
                e.offset() <= input.len(),
                "error offset {} past the input",
                e.offset()
            );
            let _ = (
                e.line(),
                e.column(),
                e.kind(),
                e.message().len(),
                e.to_string(),
            );
            return;
        }
    };
    for skipped in &page.skipped {
        assert!(skipped.offset() <= input.len());
    }
    for (i, alert) in page.alerts.iter().enumerate() {
        match alert {
            Ok(parsed) => {
                let again: T = serde_json::from_str(parsed.raw.get())
                    .unwrap_or_else(|e| panic!("alert {i}: raw bytes do not parse again: {e}"));
                assert_eq!(again, parsed.alert, "alert {i}: raw bytes read differently");
                let written = serde_json::to_string(&parsed.alert)
                    .unwrap_or_else(|e| panic!("alert {i} does not serialize: {e}"));
                let back: T = serde_json::from_str(&written).unwrap_or_else(|e| {
                    panic!("alert {i} written as {written} does not read back: {e}")
                });
                assert_eq!(
                    back, parsed.alert,
                    "alert {i}: round trip through {written}"
                );
            }
            Err(bad) => {
                // Valid JSON text, kept byte for byte (a number such as
                // `1e4444` is valid JSON though it does not fit an f64).
                let again: Result<&RawValue, _> = serde_json::from_str(bad.raw().get());
                assert!(again.is_ok(), "malformed alert {i}: raw bytes are not JSON");
                let _ = (
                    bad.index(),
                    bad.id(),
                    bad.path(),
                    bad.message(),
                    bad.to_string(),
                );
            }
        }
    }
}

/// Where the fast reader gives a result, it must be the general reader's,
/// for a page and for records.
fn readers_agree<T>(input: &[u8])
where
    T: DeserializeOwned + PartialEq + std::fmt::Debug,
{
    if let Some(fast) = fast_page::<T>(input) {
        assert_eq!(
            Ok(fast),
            general_page::<T>(input),
            "parse_page: the readers disagree"
        );
    }
    if let Some(fast) = fast_records::<T>(input) {
        assert_eq!(
            Ok(fast),
            general_records::<T>(input),
            "parse_records: the readers disagree"
        );
    }
}

fuzz_target!(|input: &[u8]| {
    readers_agree::<Alert>(input);
    readers_agree::<GraphAlert>(input);
    readers_agree::<SiemAlert>(input);
    check(input, parse_page::<Alert>(input));
    check(input, parse_page::<GraphAlert>(input));
    check(input, parse_records::<Alert>(input));
    check(input, parse_records::<SiemAlert>(input));
});
