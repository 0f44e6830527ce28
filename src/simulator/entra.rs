//! Entra ID metadata routes: OpenID discovery, an empty JWKS, and the
//! admin-consent endpoint. The token endpoints are in `token_endpoint`.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Json;
use axum::Router;
use axum::extract::{Path, RawQuery, State as Ext};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use url::Url;

use super::errors::entra_error;
use super::odata::params;
use super::state::State;
use super::token_endpoint::{v1_token, v2_token};

/// The Entra routes.
pub(crate) fn routes() -> Router<Arc<State>> {
    Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(v2_token))
        .route("/{tenant}/oauth2/token", post(v1_token))
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(discovery_v2),
        )
        .route(
            "/{tenant}/.well-known/openid-configuration",
            get(discovery_v1),
        )
        .route("/{tenant}/discovery/v2.0/keys", get(keys))
        .route("/{tenant}/discovery/keys", get(keys))
        .route("/{tenant}/adminconsent", get(admin_consent))
        .route("/{tenant}/v2.0/adminconsent", get(admin_consent))
}

/// AADSTS90002 for a tenant the simulator does not know.
pub(crate) fn unknown_tenant(
    state: &State,
    headers: &HeaderMap,
    error: &str,
    tenant: &str,
) -> Response {
    let text = format!(
        "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
    );
    entra_error(state, headers, StatusCode::BAD_REQUEST, error, 90002, &text)
}

async fn discovery_v2(
    Ext(state): Ext<Arc<State>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(index) = state.tenant_index(&tenant) else {
        return unknown_tenant(&state, &headers, "invalid_tenant", &tenant);
    };
    let tid = state
        .tenants
        .get(index)
        .map(|t| t.id.as_str())
        .unwrap_or_default();
    let base = format!("{}/{tid}", state.base_url);
    Json(json!({
        "token_endpoint": format!("{base}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{base}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": format!("{base}/v2.0"),
        "request_uri_parameter_supported": false,
        "userinfo_endpoint": format!("{}/oidc/userinfo", state.base_url),
        "authorization_endpoint": format!("{base}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{base}/oauth2/v2.0/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{base}/oauth2/v2.0/logout"),
        "claims_supported": ["sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name",
            "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid",
            "ver", "at_hash", "c_hash", "email"],
        "kerberos_endpoint": format!("{base}/kerberos"),
        "tenant_region_scope": "EU",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net",
    }))
    .into_response()
}

async fn discovery_v1(
    Ext(state): Ext<Arc<State>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(index) = state.tenant_index(&tenant) else {
        return unknown_tenant(&state, &headers, "invalid_tenant", &tenant);
    };
    let tid = state
        .tenants
        .get(index)
        .map(|t| t.id.as_str())
        .unwrap_or_default();
    let base = format!("{}/{tid}", state.base_url);
    Json(json!({
        "token_endpoint": format!("{base}/oauth2/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{base}/discovery/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "token id_token", "token"],
        "scopes_supported": ["openid"],
        "issuer": format!("https://sts.windows.net/{tid}/"),
        "authorization_endpoint": format!("{base}/oauth2/authorize"),
        "end_session_endpoint": format!("{base}/oauth2/logout"),
        "tenant_region_scope": "EU",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
    }))
    .into_response()
}

/// No signing keys are published: the simulator's tokens are not meant to
/// be verified by clients.
async fn keys() -> Response {
    Json(json!({"keys": []})).into_response()
}

/// `GET /{tenant}/adminconsent?client_id=…&redirect_uri=…&state=…`: the
/// admin "accepts" at once. The tenant counts as consented from then on,
/// and the browser is sent to `redirect_uri` with `admin_consent=True`.
async fn admin_consent(
    Ext(state): Ext<Arc<State>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(index) = state.tenant_index(&tenant) else {
        return unknown_tenant(&state, &headers, "invalid_tenant", &tenant);
    };
    let p = params(query.as_deref());
    let get = |name: &str| {
        p.other
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let client_id = get("client_id").unwrap_or_default();
    if client_id != state.settings.client_id {
        let text = format!(
            "Application with identifier '{client_id}' was not found in the directory '{tenant}'."
        );
        return entra_error(
            &state,
            &headers,
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            &text,
        );
    }
    let Some(mut redirect) = get("redirect_uri").and_then(|r| Url::parse(&r).ok()) else {
        let text = "The request body must contain the following parameter: 'redirect_uri'.";
        return entra_error(
            &state,
            &headers,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            text,
        );
    };
    if let Some(runtime) = state.runtime(index) {
        runtime.consented.store(true, Ordering::SeqCst);
    }
    let tid = state
        .tenants
        .get(index)
        .map(|t| t.id.clone())
        .unwrap_or_default();
    {
        let mut pairs = redirect.query_pairs_mut();
        pairs.append_pair("admin_consent", "True");
        pairs.append_pair("tenant", &tid);
        if let Some(s) = get("state") {
            pairs.append_pair("state", &s);
        }
    }
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(location) = HeaderValue::from_str(redirect.as_str()) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}
