//! [`EntraError`]: a token request that Entra ID refused, read leniently.

use std::fmt;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use super::aadsts::{self, Explanation};
use crate::tenant::TenantId;
use crate::transport::{server_field, server_text};

/// Entra ID's answer to a failed token request, with the AADSTS code(s)
/// explained in MSSP terms ([`aadsts`]).
///
/// The `error_description` is not shown when the code is explained by the
/// crate; only its first sentence is kept, for codes the crate does not know.
#[derive(Debug, Clone)]
pub struct EntraError {
    tenant: TenantId,
    status: Option<u16>,
    error: String,
    codes: Vec<u32>,
    summary: Option<String>,
    trace_id: Option<String>,
    correlation_id: Option<String>,
    timestamp: Option<DateTime<Utc>>,
    error_uri: Option<String>,
}

#[derive(Deserialize, Default)]
struct Wire {
    error: Option<String>,
    error_description: Option<String>,
    error_codes: Option<Vec<Value>>,
    timestamp: Option<String>,
    trace_id: Option<String>,
    correlation_id: Option<String>,
    error_uri: Option<String>,
}

impl EntraError {
    /// Reads a token endpoint's error answer. Never fails: an unreadable
    /// body gives an error named `unexpected_response`.
    pub fn from_response(tenant: &TenantId, status: Option<u16>, body: &[u8]) -> Self {
        Self::from_response_sent(tenant, status, body, &[])
    }

    /// [`EntraError::from_response`] for a request that carried the
    /// secrets in `sent` (client secret, assertion, refresh token): every
    /// field is passed through [`server_text`], which cuts them out, clips
    /// it and escapes control characters, so an answer that echoes a secret
    /// or holds CR/LF cannot put either into a log line.
    pub(crate) fn from_response_sent(
        tenant: &TenantId,
        status: Option<u16>,
        body: &[u8],
        sent: &[&str],
    ) -> Self {
        let wire: Wire = serde_json::from_slice(body).unwrap_or_default();
        let clean = |text: Option<String>, max: usize| server_field(text, sent, max);
        let description = wire.error_description.unwrap_or_default();
        let mut codes: Vec<u32> = wire
            .error_codes
            .unwrap_or_default()
            .iter()
            .filter_map(|v| match v {
                Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            })
            .collect();
        if codes.is_empty() {
            codes = codes_in_text(&description);
        }
        EntraError {
            tenant: tenant.clone(),
            status,
            error: clean(wire.error, 100).unwrap_or_else(|| "unexpected_response".to_owned()),
            codes,
            summary: summary(&description).map(|line| server_text(line, sent, 300)),
            trace_id: clean(wire.trace_id, 100),
            correlation_id: clean(wire.correlation_id, 100),
            timestamp: wire.timestamp.as_deref().and_then(parse_timestamp),
            error_uri: clean(wire.error_uri, 300),
        }
    }

    /// The tenant the token was requested for.
    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    /// The HTTP status of the answer.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// The OAuth `error` value, for example `invalid_client`.
    pub fn error(&self) -> &str {
        &self.error
    }

    /// Every AADSTS code of the answer.
    pub fn codes(&self) -> &[u32] {
        &self.codes
    }

    /// The first AADSTS code.
    pub fn aadsts(&self) -> Option<u32> {
        self.codes.first().copied()
    }

    /// Cause and fix, when the crate knows one of the codes.
    pub fn explanation(&self) -> Option<&'static Explanation> {
        aadsts::explain_any(&self.codes)
    }

    /// The first sentence of Entra's description (without trace lines).
    pub fn summary(&self) -> Option<&str> {
        self.summary.as_deref()
    }

    /// `trace_id`, to quote in a support case.
    pub fn trace_id(&self) -> Option<&str> {
        self.trace_id.as_deref()
    }

    /// `correlation_id`, to quote in a support case.
    pub fn correlation_id(&self) -> Option<&str> {
        self.correlation_id.as_deref()
    }

    /// When Entra says it happened (placeholder or unreadable values give `None`).
    pub fn timestamp(&self) -> Option<DateTime<Utc>> {
        self.timestamp
    }

    /// `error_uri`, when Entra sent one.
    pub fn error_uri(&self) -> Option<&str> {
        self.error_uri.as_deref()
    }

    /// Whether trying again later may help (`temporarily_unavailable`, 429, 5xx).
    pub fn is_retryable(&self) -> bool {
        self.error == "temporarily_unavailable"
            || matches!(self.status, Some(408 | 429 | 500 | 502 | 503 | 504))
    }
}

impl fmt::Display for EntraError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Entra ID refused a token for tenant {} (", self.tenant)?;
        if let Some(s) = self.status {
            write!(f, "HTTP {s}, ")?;
        }
        f.write_str(&self.error)?;
        for c in &self.codes {
            write!(f, ", AADSTS{c}")?;
        }
        f.write_str(")")?;
        match (self.explanation(), &self.summary) {
            (Some(e), _) => write!(f, ": {}. Fix: {}", e.cause, e.fix)?,
            (None, Some(s)) => write!(f, ": {s}")?,
            (None, None) => {}
        }
        if let Some(t) = &self.trace_id {
            write!(f, " (trace id {t}")?;
            if let Some(c) = &self.correlation_id {
                write!(f, ", correlation id {c}")?;
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

impl std::error::Error for EntraError {}

/// `2016-01-09 02:02:12Z` or RFC 3339; placeholders give `None`.
fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(text.trim_end_matches('Z'), "%Y-%m-%d %H:%M:%S%.f")
        .ok()
        .map(|n| n.and_utc())
}

/// The AADSTS numbers mentioned in a description.
fn codes_in_text(text: &str) -> Vec<u32> {
    text.match_indices("AADSTS")
        .filter_map(|(i, m)| {
            let digits: String = text[i + m.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok()
        })
        .collect()
}

/// The first line of the description, without its `AADSTSnnn: ` prefix
/// (raw: the caller scrubs and clips it).
fn summary(description: &str) -> Option<&str> {
    let line = description.lines().next()?.trim();
    let line = match line.strip_prefix("AADSTS") {
        Some(rest) => rest
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .trim_start_matches(':')
            .trim(),
        None => line,
    };
    (!line.is_empty()).then_some(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant() -> TenantId {
        TenantId::new("contoso.onmicrosoft.com").unwrap()
    }

    #[test]
    fn placeholder_timestamp_and_codes_as_strings() {
        let body = br#"{"error":"invalid_scope","error_codes":["70011"],"timestamp":"YYYY-MM-DD HH:MM:SSZ"}"#;
        let e = EntraError::from_response(&tenant(), Some(400), body);
        assert_eq!(e.aadsts(), Some(70011));
        assert_eq!(e.timestamp(), None);
    }

    #[test]
    fn codes_from_description_when_missing() {
        let body = br#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x"}"#;
        let e = EntraError::from_response(&tenant(), Some(401), body);
        assert_eq!(e.codes(), &[7000215]);
        assert_eq!(e.summary(), Some("Invalid client secret provided."));
        assert!(e.to_string().contains("Fix:"));
    }

    #[test]
    fn timestamp_forms() {
        assert!(parse_timestamp("2016-01-09 02:02:12Z").is_some());
        assert!(parse_timestamp("2016-01-09T02:02:12Z").is_some());
    }

    #[test]
    fn unreadable_body() {
        let e = EntraError::from_response(&tenant(), Some(502), b"<html>");
        assert_eq!(e.error(), "unexpected_response");
        assert!(e.is_retryable());
    }
}
