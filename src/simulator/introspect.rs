//! `/_sim/*`: what tests and operators ask the simulator about itself. No
//! token is needed.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{RawQuery, State as Ext};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use super::odata::params;
use super::query::ground_truth;
use super::state::State;

/// The introspection routes.
pub(crate) fn routes() -> Router<Arc<State>> {
    Router::new()
        .route("/_sim/stats", get(stats))
        .route("/_sim/alerts", get(alerts))
        .route("/_sim/refresh_token", get(refresh_token))
}

async fn stats(Ext(state): Ext<Arc<State>>) -> Response {
    Json(state.stats()).into_response()
}

fn tenant_param(state: &State, query: Option<&str>) -> Result<usize, Response> {
    let p = params(query);
    let tenant = p
        .other
        .iter()
        .find(|(k, _)| k == "tenant")
        .map(|(_, v)| v.as_str());
    tenant.and_then(|t| state.tenant_index(t)).ok_or_else(|| {
        let body = json!({"error": {"code": "NotFound", "message": "pass ?tenant=<tenant id or domain> of a simulated tenant"}});
        (StatusCode::NOT_FOUND, Json(body)).into_response()
    })
}

/// The ground truth: every alert of the tenant in its visible version.
async fn alerts(Ext(state): Ext<Arc<State>>, RawQuery(query): RawQuery) -> Response {
    let tenant = match tenant_param(&state, query.as_deref()) {
        Ok(tenant) => tenant,
        Err(response) => return response,
    };
    let alerts = ground_truth(&state, tenant, state.now()).unwrap_or_default();
    Json(json!({"now": super::render::ts(state.now()), "value": alerts})).into_response()
}

/// A fresh refresh token for the tenant, as a portal would hand one out.
async fn refresh_token(Ext(state): Ext<Arc<State>>, RawQuery(query): RawQuery) -> Response {
    let tenant = match tenant_param(&state, query.as_deref()) {
        Ok(tenant) => tenant,
        Err(response) => return response,
    };
    let token = state.mint_refresh_token(tenant, &state.settings.client_id);
    Json(json!({"refresh_token": token})).into_response()
}
