//! Microsoft Graph `GET /v1.0/security/alerts_v2`, paged with
//! `@odata.nextLink`.

use std::sync::Arc;

use axum::Router;
use axum::extract::{RawQuery, State as Ext};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;
use url::form_urlencoded;

use super::api::{early_fault, record_fault};
use super::errors::{Flavor, api_error};
use super::faults::{FaultKind, deliver};
use super::filter::{Dialect, parse};
use super::gate::admit;
use super::odata::{number, params};
use super::query::{ListRequest, corrupt_one, list};
use super::state::State;

/// The largest `$top` Graph accepts.
pub(crate) const MAX_TOP: usize = 1_000;
/// The page size when `$top` is absent.
pub(crate) const DEFAULT_TOP: usize = 100;

/// The Graph routes.
pub(crate) fn routes() -> Router<Arc<State>> {
    Router::new()
        .route("/v1.0/security/alerts_v2", get(list_alerts))
        .route("/beta/security/alerts_v2", get(list_alerts))
}

fn bad_request(state: &State, message: &str) -> Response {
    api_error(
        state,
        Flavor::Graph,
        StatusCode::BAD_REQUEST,
        "BadRequest",
        message,
    )
}

fn decode_skiptoken(token: &str) -> Option<usize> {
    let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.strip_prefix("skip=")?.parse().ok()
}

async fn list_alerts(
    Ext(state): Ext<Arc<State>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let admitted = match admit(&state, &headers, Flavor::Graph) {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    if let Some(response) = early_fault(&state, Flavor::Graph, &admitted) {
        return response;
    }
    let p = params(query.as_deref());
    let top = match number(p.top.as_deref(), "$top", DEFAULT_TOP, MAX_TOP) {
        Ok(top) => top,
        Err(message) => return bad_request(&state, &message),
    };
    let mut skip = match number(p.skip.as_deref(), "$skip", 0, usize::MAX) {
        Ok(skip) => skip,
        Err(message) => return bad_request(&state, &message),
    };
    if let Some(token) = p.skiptoken.as_deref() {
        match decode_skiptoken(token) {
            Some(from_token) => skip = skip.saturating_add(from_token),
            None => return bad_request(&state, "The $skiptoken is not valid."),
        }
    }
    let filter = match p
        .filter
        .as_deref()
        .map(|f| parse(f, Dialect::Graph))
        .transpose()
    {
        Ok(filter) => filter,
        Err(e) => return bad_request(&state, &e.0),
    };
    let request = ListRequest {
        filter,
        skip,
        top,
        expand: true,
    };
    let mut page = list(
        &state,
        admitted.tenant,
        state.now(),
        Dialect::Graph,
        &request,
    );
    let mut fault = admitted.fault;
    if fault == Some(FaultKind::MalformedAlert) {
        if page.items.is_empty() {
            fault = None;
        } else {
            corrupt_one(
                &mut page.items,
                Dialect::Graph,
                state.settings.seed,
                admitted.serial,
            );
        }
    }
    record_fault(&state, &admitted, fault);
    let mut body = json!({
        "@odata.context": format!("{}/v1.0/$metadata#security/alerts_v2", state.base_url),
        "value": page.items,
    });
    if page.more {
        let mut next = form_urlencoded::Serializer::new(String::new());
        next.append_pair("$top", &top.to_string());
        if let Some(filter) = p.filter.as_deref() {
            next.append_pair("$filter", filter);
        }
        let token = URL_SAFE_NO_PAD.encode(format!("skip={}", skip.saturating_add(top)));
        next.append_pair("$skiptoken", &token);
        body["@odata.nextLink"] = json!(format!(
            "{}/v1.0/security/alerts_v2?{}",
            state.base_url,
            next.finish()
        ));
    }
    deliver(
        fault,
        state.settings.slow_delay,
        body.to_string().into_bytes(),
    )
    .await
}
