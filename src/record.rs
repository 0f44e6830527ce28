//! [`AlertRecord`]: one alert on its way to a sink.
//!
//! The record sits beneath both [`crate::format`] (pure encoders) and
//! [`crate::sink`] (I/O), so encoders never depend on the sinks that use
//! them. It is re-exported as [`crate::sink::AlertRecord`].

use std::sync::Arc;

use crate::error::Error;
use crate::models::{Alert, MalformedAlert, ParsedAlert, RawJson};
use crate::tenant::TenantInfo;

/// One alert as every sink receives it: the tenant it came from, its typed
/// view (for filters, routing and the text formats) and the exact bytes the
/// API sent (which JSON sinks embed without re-serializing).
///
/// ```
/// use std::sync::Arc;
/// use defender_siem::sink::AlertRecord;
/// use defender_siem::{TenantId, TenantInfo};
///
/// let tenant = Arc::new(TenantInfo::new(TenantId::new("contoso.com")?, "Contoso"));
/// let record = AlertRecord::from_json(tenant, r#"{"id":"da1","severity":"High"}"#)?;
/// assert_eq!(record.alert.id.as_deref(), Some("da1"));
/// assert_eq!(record.raw.get(), r#"{"id":"da1","severity":"High"}"#);
/// # Ok::<(), defender_siem::Error>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AlertRecord {
    /// The customer tenant (id and display name).
    pub tenant: Arc<TenantInfo>,
    /// The typed view of the alert.
    pub alert: Alert,
    /// The alert's exact JSON, as the API sent it.
    pub raw: RawJson,
    /// Set for a record made by [`AlertRecord::from_malformed`]: the
    /// SHA-256 (hex) of the alert's exact bytes.
    malformed: Option<Arc<str>>,
}

impl AlertRecord {
    /// A record from a parsed alert and the tenant it belongs to.
    pub fn new(tenant: Arc<TenantInfo>, parsed: ParsedAlert) -> Self {
        AlertRecord {
            tenant,
            alert: parsed.alert,
            raw: parsed.raw,
            malformed: None,
        }
    }

    /// A record from its parts; `raw` is a [`RawJson`] or serde_json's
    /// `Box<RawValue>`.
    pub fn from_parts(tenant: Arc<TenantInfo>, alert: Alert, raw: impl Into<RawJson>) -> Self {
        AlertRecord {
            tenant,
            alert,
            raw: raw.into(),
            malformed: None,
        }
    }

    /// Reads a record from one alert's JSON.
    pub fn from_json(tenant: Arc<TenantInfo>, json: &str) -> Result<Self, Error> {
        let raw: &serde_json::value::RawValue = serde_json::from_str(json)
            .map_err(|e| Error::Config(format!("alert JSON is not valid: {e}")))?;
        let parsed = ParsedAlert::<Alert>::from_raw(0, raw)?;
        Ok(AlertRecord::new(tenant, parsed))
    }

    /// A record for an alert whose typed view could not be read: the raw
    /// bytes are kept (see [`MalformedAlert::raw`] for bytes that are not
    /// UTF-8) and the typed view is empty but for the id, when it could be
    /// read. The JSON formats write the raw JSON unchanged, but for the
    /// Splunk HEC envelope and the Sentinel row, which carry its exact text
    /// as a JSON string (a remote JSON parser may refuse what no reader here
    /// could type either). Sinks whose format is made from the typed view
    /// (CEF, LEEF, syslog with a CEF or LEEF payload, e-mail) do not accept
    /// such a record ([`AlertSink::accepts`](crate::sink::AlertSink::accepts)).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use defender_siem::models::{parse_page, Alert};
    /// use defender_siem::sink::AlertRecord;
    /// use defender_siem::{TenantId, TenantInfo};
    ///
    /// let tenant = Arc::new(TenantInfo::new(TenantId::new("contoso.com")?, "Contoso"));
    /// let page = parse_page::<Alert>(br#"{"value":[{"id":"da1","x":1e999}]}"#)?;
    /// let bad = page.malformed().next().unwrap().clone();
    /// let record = AlertRecord::from_malformed(tenant, bad);
    /// assert_eq!(record.raw.get(), r#"{"id":"da1","x":1e999}"#);
    /// assert_eq!(record.alert_id(), "da1");
    /// assert!(record.is_malformed());
    /// assert_eq!(record.malformed_sha256().map(str::len), Some(64));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_malformed(tenant: Arc<TenantInfo>, malformed: MalformedAlert) -> Self {
        let hash = Arc::from(malformed.sha256());
        let mut alert = Alert::default();
        alert.id = malformed.id().map(str::to_owned);
        AlertRecord {
            tenant,
            alert,
            raw: malformed.into_raw(),
            malformed: Some(hash),
        }
    }

    /// True for a record made by [`AlertRecord::from_malformed`]: its typed
    /// view is empty and only its raw JSON carries the alert.
    pub fn is_malformed(&self) -> bool {
        self.malformed.is_some()
    }

    /// The SHA-256 (hex) of a malformed alert's exact bytes, as its
    /// quarantine entry names it; `None` for a record that parsed.
    pub fn malformed_sha256(&self) -> Option<&str> {
        self.malformed.as_deref()
    }

    /// The alert id, or `""` when the alert has none.
    pub fn alert_id(&self) -> &str {
        self.alert.id.as_deref().unwrap_or("")
    }
}
