//! Entra token endpoints: v2 `POST /{tenant}/oauth2/v2.0/token` (client
//! credentials with a secret or an assertion, `scope=…/.default`) and v1
//! `POST /{tenant}/oauth2/token` (client credentials and rotated refresh
//! tokens, `resource=`).

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State as Ext};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::credentials::{
    Checked, Reply, authenticate, check, fail, missing, redeem_refresh_token,
};
use super::errors::Flavor;
use super::gate::{resource_api, role_of};
use super::state::State;
use super::stats::bump;
use super::tenant::TenantSetup;

/// Issues an access token for `resource`; `(token, issued_at, expires_at)`.
fn access_token(
    state: &State,
    c: &Checked<'_>,
    resource: &str,
    flavor: Flavor,
) -> (String, i64, i64) {
    let now = state.now().timestamp();
    let exp = now + state.settings.token_lifetime.num_seconds();
    let tenant = state.tenants.get(c.tenant);
    let tid = tenant.map(|t| t.id.as_str()).unwrap_or_default();
    let issuer = format!("https://sts.windows.net/{tid}/");
    let mut claims = json!({
        "aud": resource, "iss": issuer, "iat": now, "nbf": now, "exp": exp,
        "aio": state.guid(), "app_displayname": "defender-siem (simulated MSSP app)",
        "appid": state.settings.client_id, "appidacr": "1", "idp": issuer,
        "oid": state.guid(), "rh": "0.SIM.", "sub": state.guid(), "tid": tid,
        "uti": state.guid(), "ver": "1.0",
    });
    if tenant.is_some_and(|t| t.setup != TenantSetup::MissingRole) {
        claims["roles"] = json!([role_of(flavor)]);
    }
    bump(&c.runtime.counters.tokens_issued);
    (state.signer.sign(&claims), now, exp)
}

fn resource_of(
    state: &State,
    headers: &HeaderMap,
    c: &Checked<'_>,
    resource: &str,
) -> Result<Flavor, Response> {
    resource_api(resource, &state.base_url).ok_or_else(|| {
        let text = format!("The resource principal named {resource} was not found in the tenant named {}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.", state.tenants.get(c.tenant).map(|t| t.name.as_str()).unwrap_or_default());
        fail(state, headers, Some(c.runtime), StatusCode::BAD_REQUEST, "invalid_resource", 500011, &text)
    })
}

/// `POST /{tenant}/oauth2/v2.0/token`.
pub(crate) async fn v2_token(
    Ext(state): Ext<Arc<State>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    v2(&state, &tenant, &headers, &body).unwrap_or_else(|e| e)
}

fn v2(state: &State, tenant: &str, headers: &HeaderMap, body: &[u8]) -> Reply {
    let c = check(state, tenant, headers, body)?;
    match c.form.get("grant_type").map(String::as_str) {
        Some("client_credentials") => {}
        None => return Err(missing(state, headers, c.runtime, "grant_type")),
        Some(other) => {
            let text = format!("The app requested an unsupported grant type '{other}'.");
            return Err(fail(
                state,
                headers,
                Some(c.runtime),
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                70003,
                &text,
            ));
        }
    }
    authenticate(state, headers, &c)?;
    let Some(scope) = c.form.get("scope") else {
        return Err(missing(state, headers, c.runtime, "scope"));
    };
    let wanted: Vec<&str> = scope
        .split_whitespace()
        .filter(|s| !matches!(*s, "openid" | "profile" | "offline_access" | "email"))
        .collect();
    let resource = match wanted.as_slice() {
        [one] => one.strip_suffix("/.default"),
        _ => None,
    };
    let Some((resource, flavor)) =
        resource.and_then(|r| resource_api(r, &state.base_url).map(|f| (r, f)))
    else {
        let text = format!(
            "The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid."
        );
        return Err(fail(
            state,
            headers,
            Some(c.runtime),
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            70011,
            &text,
        ));
    };
    let (token, iat, exp) = access_token(state, &c, resource, flavor);
    Ok(Json(json!({
        "token_type": "Bearer",
        "expires_in": exp - iat,
        "ext_expires_in": exp - iat,
        "access_token": token,
    }))
    .into_response())
}

/// `POST /{tenant}/oauth2/token`.
pub(crate) async fn v1_token(
    Ext(state): Ext<Arc<State>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    v1(&state, &tenant, &headers, &body).unwrap_or_else(|e| e)
}

fn v1(state: &State, tenant: &str, headers: &HeaderMap, body: &[u8]) -> Reply {
    let c = check(state, tenant, headers, body)?;
    let refresh = match c.form.get("grant_type").map(String::as_str) {
        Some("client_credentials") => {
            authenticate(state, headers, &c)?;
            false
        }
        Some("refresh_token") => {
            redeem_refresh_token(state, headers, &c)?;
            true
        }
        None => return Err(missing(state, headers, c.runtime, "grant_type")),
        Some(other) => {
            let text = format!("The app requested an unsupported grant type '{other}'.");
            return Err(fail(
                state,
                headers,
                Some(c.runtime),
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                70003,
                &text,
            ));
        }
    };
    let Some(resource) = c.form.get("resource") else {
        return Err(missing(state, headers, c.runtime, "resource"));
    };
    let flavor = resource_of(state, headers, &c, resource)?;
    let (token, iat, exp) = access_token(state, &c, resource, flavor);
    let mut body = json!({
        "token_type": "Bearer",
        "expires_in": (exp - iat).to_string(),
        "ext_expires_in": (exp - iat).to_string(),
        "expires_on": exp.to_string(),
        "not_before": iat.to_string(),
        "resource": resource,
        "access_token": token,
    });
    if refresh {
        body["refresh_token"] =
            json!(state.mint_refresh_token(c.tenant, &state.settings.client_id));
    }
    Ok(Json(body).into_response())
}
