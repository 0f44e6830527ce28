//! What both page readers produce: [`Page`] and [`ParsedAlert`], and the
//! [`HasAlertId`] trait the alert models implement.

use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use super::error::{MalformedAlert, PageError};
use crate::models::raw::RawJson;
use crate::models::{Alert, GraphAlert, SiemAlert};

/// One alert of a page: its exact bytes and its typed view.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ParsedAlert<T = Alert> {
    /// The bytes the API sent for this alert, unchanged. JSON sinks forward
    /// these, so nothing the API sent is ever lost or re-ordered.
    pub raw: RawJson,
    /// The typed view, for routing, filters and the text formats.
    pub alert: T,
}

impl<T: DeserializeOwned> ParsedAlert<T> {
    /// Reads one alert from its raw JSON; `index` is only used in the error.
    pub fn from_raw(index: usize, raw: &RawValue) -> Result<Self, MalformedAlert> {
        match serde_json::from_str::<T>(raw.get()) {
            Ok(alert) => Ok(ParsedAlert {
                raw: RawJson::from(raw),
                alert,
            }),
            Err(_) => Err(MalformedAlert::explain::<T>(index, raw.get())),
        }
    }
}

impl<T: HasAlertId> ParsedAlert<T> {
    /// The alert id, or `""` when the alert has none (as
    /// [`AlertRecord::alert_id`](crate::record::AlertRecord::alert_id)).
    ///
    /// ```
    /// use defender_siem::models::{parse_records, Alert, GraphAlert, SiemAlert};
    ///
    /// let mde = parse_records::<Alert>(br#"[{"id":"da1"},{"title":"no id"}]"#)?;
    /// let ids: Vec<&str> = mde.parsed().map(|a| a.alert_id()).collect();
    /// assert_eq!(ids, ["da1", ""]);
    ///
    /// let graph = parse_records::<GraphAlert>(br#"{"id":"da2","providerAlertId":"p"}"#)?;
    /// assert_eq!(graph.parsed().next().map(|a| a.alert_id()), Some("da2"));
    ///
    /// let legacy = parse_records::<SiemAlert>(br#"[{"AlertId":"da3"}]"#)?;
    /// assert_eq!(legacy.parsed().next().map(|a| a.alert_id()), Some("da3"));
    /// # Ok::<(), defender_siem::models::PageError>(())
    /// ```
    pub fn alert_id(&self) -> &str {
        self.alert.alert_id().unwrap_or("")
    }
}

/// A model that carries an alert id: `id` for the MDE [`Alert`] and the
/// Graph [`GraphAlert`], `AlertId` for the legacy [`SiemAlert`]. It is what
/// [`ParsedAlert::alert_id`] reads.
pub trait HasAlertId {
    /// The alert id, when the alert has one.
    fn alert_id(&self) -> Option<&str>;
}

impl HasAlertId for Alert {
    fn alert_id(&self) -> Option<&str> {
        self.id.as_deref()
    }
}

impl HasAlertId for GraphAlert {
    fn alert_id(&self) -> Option<&str> {
        self.id.as_deref()
    }
}

impl HasAlertId for SiemAlert {
    fn alert_id(&self) -> Option<&str> {
        self.alert_id.as_deref()
    }
}

/// A page of alerts (an OData envelope), or everything read from a file.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Page<T = Alert> {
    /// `@odata.context`, when the API sent one.
    pub context: Option<String>,
    /// `@odata.nextLink`: where the next page is, when the API gave one.
    pub next_link: Option<String>,
    /// One result per alert, in the order the API sent them.
    pub alerts: Vec<Result<ParsedAlert<T>, MalformedAlert>>,
    /// Stretches of a JSON-lines input that were not JSON and were skipped.
    /// Always empty from [`parse_page`](super::parse_page).
    pub skipped: Vec<PageError>,
}

impl<T> Page<T> {
    pub(in crate::models) fn empty() -> Self {
        Page {
            context: None,
            next_link: None,
            alerts: Vec::new(),
            skipped: Vec::new(),
        }
    }

    /// The alerts that parsed.
    pub fn parsed(&self) -> impl Iterator<Item = &ParsedAlert<T>> {
        self.alerts.iter().filter_map(|r| r.as_ref().ok())
    }

    /// The alerts that did not.
    pub fn malformed(&self) -> impl Iterator<Item = &MalformedAlert> {
        self.alerts.iter().filter_map(|r| r.as_ref().err())
    }

    /// Number of alerts on the page, malformed ones included.
    pub fn len(&self) -> usize {
        self.alerts.len()
    }

    /// True when the page holds no alert.
    pub fn is_empty(&self) -> bool {
        self.alerts.is_empty()
    }
}
