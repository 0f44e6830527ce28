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
}

impl AlertRecord {
    /// A record from a parsed alert and the tenant it belongs to.
    pub fn new(tenant: Arc<TenantInfo>, parsed: ParsedAlert) -> Self {
        AlertRecord {
            tenant,
            alert: parsed.alert,
            raw: parsed.raw,
        }
    }

    /// A record from its parts; `raw` is a [`RawJson`] or serde_json's
    /// `Box<RawValue>`.
    pub fn from_parts(tenant: Arc<TenantInfo>, alert: Alert, raw: impl Into<RawJson>) -> Self {
        AlertRecord {
            tenant,
            alert,
            raw: raw.into(),
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
    /// bytes are kept (JSON sinks forward them unchanged) and the typed view
    /// is empty, so text formats show only what they can.
    pub fn from_malformed(tenant: Arc<TenantInfo>, malformed: MalformedAlert) -> Self {
        AlertRecord {
            tenant,
            alert: Alert::default(),
            raw: malformed.into_raw(),
        }
    }

    /// The alert id, or `""` when the alert has none.
    pub fn alert_id(&self) -> &str {
        self.alert.id.as_deref().unwrap_or("")
    }
}
