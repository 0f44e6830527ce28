//! JSON: the alert exactly as the API sent it, on one line, optionally in
//! an envelope naming the tenant.

use super::text::json_str;
use crate::models::compact_json_into;
use crate::record::AlertRecord;

/// Appends the alert's raw JSON on one line. Bytes are copied unchanged
/// unless the API sent layout whitespace (then only that is removed), so no
/// record ever holds a raw CR or LF.
///
/// ```
/// use std::sync::Arc;
/// use defender_siem::format::json;
/// use defender_siem::sink::AlertRecord;
/// use defender_siem::{TenantId, TenantInfo};
///
/// let tenant = Arc::new(TenantInfo::new(TenantId::new("contoso.com")?, "Contoso"));
/// let record = AlertRecord::from_json(tenant, "{\"id\": \"da1\",\n \"x\": 1}")?;
/// let mut out = Vec::new();
/// json::encode(&record, &mut out);
/// assert_eq!(out, br#"{"id":"da1","x":1}"#);
/// json::encode_envelope(&record, &mut out);
/// assert!(out.ends_with(br#"{"tenantId":"contoso.com","tenantName":"Contoso","alert":{"id":"da1","x":1}}"#));
/// # Ok::<(), defender_siem::Error>(())
/// ```
pub fn encode(record: &AlertRecord, out: &mut Vec<u8>) {
    compact_json_into(record.raw.get(), out);
}

/// Appends `{"tenantId":…,"tenantName":…,"alert":<raw>}` on one line; the
/// alert is embedded as it came, never re-serialized.
pub fn encode_envelope(record: &AlertRecord, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"tenantId\":");
    json_str(out, record.tenant.id.as_str());
    out.extend_from_slice(b",\"tenantName\":");
    json_str(out, &record.tenant.name);
    out.extend_from_slice(b",\"alert\":");
    compact_json_into(record.raw.get(), out);
    out.push(b'}');
}
