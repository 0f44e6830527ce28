//! Lossless, fault-isolated parsing of alert pages.
//!
//! Each alert is read into its typed view on its own, and its exact bytes are
//! kept beside it, so one malformed alert (a wrong type, a bad timestamp, a
//! number out of range, nesting too deep, bytes that are not UTF-8) is
//! reported with its index, id and JSON path while every other alert of the
//! page still parses. Only a page that is not JSON at all, or is cut short,
//! fails as a whole, with the byte offset.
//!
//! Two readers share the types ([`types`], [`error`]) and the OData
//! envelope grammar ([`envelope`]), and neither depends on the other:
//!
//! * [`fast`] reads a well-formed page in one pass: every alert is parsed
//!   once, typed, and its span cut out of the input. Anything unusual (a
//!   syntax error, a missing `value`) makes it give up.
//! * [`general`] cuts every alert out first ([`RawValue`]) and then reads
//!   each one; it reads anything and produces the exact error to report.
//!   A page it refuses only because some bytes are not UTF-8 is cut by a
//!   byte-level splitter instead (`split`: strings, escapes and depth, in a
//!   loop), so the alert holding them becomes a [`MalformedAlert`] with its
//!   exact bytes ([`MalformedAlert::raw_bytes`]) and the others are read.
//!
//! [`parse_page`] and [`parse_records`] try the fast reader, then the
//! general one. Wherever the fast reader gives a result it is the general
//! reader's result (`tests/proptest_page_readers.rs` and the `parse_page`
//! fuzz target check this); [`readers`] runs each alone.
//!
//! [`RawValue`]: serde_json::value::RawValue

use serde::de::DeserializeOwned;

mod envelope;
mod error;
mod fast;
mod general;
mod split;
mod types;

pub use error::{MalformedAlert, PageError, PageErrorKind};
pub use types::{HasAlertId, Page, ParsedAlert};

/// Parses one API response: an OData envelope with a `value` array.
///
/// ```
/// use defender_siem::models::{parse_page, Alert};
///
/// let body = br#"{"@odata.context":"x","value":[
///     {"id":"a1","severity":"High","lastUpdateTime":"2024-05-02T09:14:05.2Z"},
///     {"id":"a2","severity":"Low","lastUpdateTime":"not a time"}
/// ]}"#;
/// let page = parse_page::<Alert>(body)?;
/// assert_eq!(page.len(), 2);
/// let good = page.alerts[0].as_ref().unwrap();
/// assert_eq!(good.raw.get(), r#"{"id":"a1","severity":"High","lastUpdateTime":"2024-05-02T09:14:05.2Z"}"#);
/// let bad = page.alerts[1].as_ref().unwrap_err();
/// assert_eq!((bad.index(), bad.id(), bad.path()), (1, Some("a2"), "$.lastUpdateTime"));
/// # Ok::<(), defender_siem::models::PageError>(())
/// ```
pub fn parse_page<T: DeserializeOwned>(input: &[u8]) -> Result<Page<T>, PageError> {
    match fast::parse_page(input) {
        Some(page) => Ok(page),
        None => general::parse_page(input),
    }
}

/// Parses whatever a file or a pipe may hold: an OData page, a bare JSON
/// array of alerts (the legacy SIEM API's shape), a single alert, or JSON
/// lines of any of these. Alerts are numbered across the whole input.
///
/// In JSON-lines input a line that is not JSON is recorded in
/// [`Page::skipped`] and reading goes on at the next line that starts a JSON
/// value. When nothing at all could be read, the error is returned instead.
pub fn parse_records<T: DeserializeOwned>(input: &[u8]) -> Result<Page<T>, PageError> {
    match fast::parse_records(input) {
        Some(page) => Ok(page),
        None => general::parse_records(input),
    }
}

/// Each page reader alone, for the differential tests and the fuzz target
/// (not a stable API). The `fast_*` readers give `None` where the page
/// needs the general reader; the `general_*` ones read anything.
#[doc(hidden)]
pub mod readers {
    pub use super::fast::{parse_page as fast_page, parse_records as fast_records};
    pub use super::general::{parse_page as general_page, parse_records as general_records};
}
