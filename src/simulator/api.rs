//! The Defender for Endpoint alerts API: `GET /api/alerts`,
//! `/api/v1.0/alerts` and `/api/alerts/{id}`.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, RawQuery, State as Ext};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};

use super::errors::{Flavor, api_error};
use super::faults::{FaultKind, deliver};
use super::filter::{Dialect, parse};
use super::gate::{Admitted, admit};
use super::odata::{number, params};
use super::query::{ListRequest, corrupt_one, get as get_alert, list};
use super::state::State;

/// The largest `$top` the API accepts.
pub(crate) const MAX_TOP: usize = 10_000;

/// The MDE routes.
pub(crate) fn routes() -> Router<Arc<State>> {
    Router::new()
        .route("/api/alerts", get(list_alerts))
        .route("/api/v1.0/alerts", get(list_alerts))
        .route("/api/alerts/{id}", get(one_alert))
        .route("/api/v1.0/alerts/{id}", get(one_alert))
}

/// Answers 500/503 faults at once; `None` lets the call go on.
pub(crate) fn early_fault(state: &State, flavor: Flavor, admitted: &Admitted) -> Option<Response> {
    let (status, code, message) = match admitted.fault? {
        FaultKind::InternalServerError => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            "An unexpected error occurred. Please retry.",
        ),
        FaultKind::ServiceUnavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "The service is temporarily unavailable. Please retry.",
        ),
        _ => return None,
    };
    record_fault(state, admitted, admitted.fault);
    Some(api_error(state, flavor, status, code, message))
}

/// Counts an injected fault.
pub(crate) fn record_fault(state: &State, admitted: &Admitted, fault: Option<FaultKind>) {
    if let (Some(kind), Some(runtime)) = (fault, state.runtime(admitted.tenant)) {
        runtime.counters.fault(kind);
    }
}

fn bad_request(state: &State, message: &str) -> Response {
    api_error(
        state,
        Flavor::Mde,
        StatusCode::BAD_REQUEST,
        "ODataError",
        message,
    )
}

async fn list_alerts(
    Ext(state): Ext<Arc<State>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let admitted = match admit(&state, &headers, Flavor::Mde) {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    if let Some(response) = early_fault(&state, Flavor::Mde, &admitted) {
        return response;
    }
    let p = params(query.as_deref());
    let top = match number(p.top.as_deref(), "$top", MAX_TOP, MAX_TOP) {
        Ok(top) => top,
        Err(message) => return bad_request(&state, &message),
    };
    let skip = match number(p.skip.as_deref(), "$skip", 0, usize::MAX) {
        Ok(skip) => skip,
        Err(message) => return bad_request(&state, &message),
    };
    let expand = match p.expand.as_deref().map(str::trim) {
        None | Some("") => false,
        Some(e) if e.eq_ignore_ascii_case("evidence") => true,
        Some(other) => {
            let message = format!(
                "Could not find a property named '{other}' on type 'microsoft.windowsDefenderATP.api.PublicAlert'."
            );
            return bad_request(&state, &message);
        }
    };
    let filter = match p
        .filter
        .as_deref()
        .map(|f| parse(f, Dialect::Mde))
        .transpose()
    {
        Ok(filter) => filter,
        Err(e) => return bad_request(&state, &e.0),
    };
    let request = ListRequest {
        filter,
        skip,
        top,
        expand,
    };
    let mut page = list(&state, admitted.tenant, state.now(), Dialect::Mde, &request);
    let mut fault = admitted.fault;
    if fault == Some(FaultKind::MalformedAlert) {
        if page.items.is_empty() {
            fault = None;
        } else {
            corrupt_one(
                &mut page.items,
                Dialect::Mde,
                state.settings.seed,
                admitted.serial,
            );
        }
    }
    record_fault(&state, &admitted, fault);
    let body = json!({
        "@odata.context": format!("{}/api/$metadata#Alerts", state.base_url),
        "value": page.items,
    });
    deliver(
        fault,
        state.settings.slow_delay,
        body.to_string().into_bytes(),
    )
    .await
}

async fn one_alert(
    Ext(state): Ext<Arc<State>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let admitted = match admit(&state, &headers, Flavor::Mde) {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    if let Some(response) = early_fault(&state, Flavor::Mde, &admitted) {
        return response;
    }
    let Some(mut alert) = get_alert(&state, admitted.tenant, state.now(), &id) else {
        let message = format!("Alert {id} was not found");
        return api_error(
            &state,
            Flavor::Mde,
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            &message,
        );
    };
    let fault = admitted.fault.filter(|f| *f != FaultKind::MalformedAlert);
    record_fault(&state, &admitted, fault);
    if let Value::Object(map) = &mut alert {
        map.insert(
            "@odata.context".to_owned(),
            json!(format!("{}/api/$metadata#Alerts/$entity", state.base_url)),
        );
    }
    deliver(
        fault,
        state.settings.slow_delay,
        alert.to_string().into_bytes(),
    )
    .await
}
