//! Error responses in the exact shapes the real services send.

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::state::State;

/// Which API's error shape to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// Defender for Endpoint: `{"error":{"code","message","target"}}`.
    Mde,
    /// Graph: `{"error":{"code","message","innerError":{…}}}`.
    Graph,
}

/// An API error response.
pub(crate) fn api_error(
    state: &State,
    flavor: Flavor,
    status: StatusCode,
    code: &str,
    message: &str,
) -> Response {
    let body = match flavor {
        Flavor::Mde => json!({"error": {"code": code, "message": message, "target": state.guid()}}),
        Flavor::Graph => json!({"error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": state.now().format("%Y-%m-%dT%H:%M:%S").to_string(),
                "request-id": state.guid(),
                "client-request-id": state.guid(),
            }
        }}),
    };
    (status, Json(body)).into_response()
}

/// A 429 with `Retry-After` in seconds.
pub(crate) fn throttled(state: &State, flavor: Flavor, retry_after: u64) -> Response {
    let body = match flavor {
        Flavor::Mde => json!({"error": {
            "code": "TooManyRequests",
            "message": format!("API calls quota exceeded! Maximum admitted 100 per Minute or 1500 per Hour. Try again in {retry_after} seconds."),
            "target": state.guid(),
        }}),
        Flavor::Graph => json!({"error": {
            "code": "TooManyRequests",
            "innerError": {
                "code": "429",
                "date": state.now().format("%Y-%m-%dT%H:%M:%S").to_string(),
                "message": "Please retry after",
                "request-id": state.guid(),
                "status": "429",
            },
            "message": "Please retry again later.",
        }}),
    };
    let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    response
}

/// An Entra token-endpoint error, with `AADSTS<code>` and the trace lines.
pub(crate) fn entra_error(
    state: &State,
    request_headers: &HeaderMap,
    status: StatusCode,
    error: &str,
    code: u32,
    text: &str,
) -> Response {
    let trace_id = state.guid();
    let correlation_id = request_headers
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .map_or_else(|| state.guid(), str::to_owned);
    let timestamp = state.now().format("%Y-%m-%d %H:%M:%SZ").to_string();
    let description = format!(
        "AADSTS{code}: {text}\r\nTrace ID: {trace_id}\r\nCorrelation ID: {correlation_id}\r\nTimestamp: {timestamp}"
    );
    let body = json!({
        "error": error,
        "error_description": description,
        "error_codes": [code],
        "timestamp": timestamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": format!("{}/error?code={code}", state.base_url),
    });
    (status, Json(body)).into_response()
}
