//! Entra token endpoints: v2 `POST /{tenant}/oauth2/v2.0/token` (client
//! credentials with a secret or an assertion, `scope=…/.default`) and v1
//! `POST /{tenant}/oauth2/token` (client credentials and rotated refresh
//! tokens, `resource=`).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State as Ext};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use url::form_urlencoded;

use super::entra::unknown_tenant;
use super::errors::{Flavor, entra_error};
use super::faults::FaultKind;
use super::gate::{resource_api, role_of};
use super::state::{State, TenantRuntime, lock};
use super::stats::bump;
use super::tenant::TenantSetup;
use super::token::decode_claims;

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A token request after the common checks.
struct Checked<'a> {
    tenant: usize,
    runtime: &'a TenantRuntime,
    form: HashMap<String, String>,
}

type Reply = Result<Response, Response>;

fn fail(
    state: &State,
    headers: &HeaderMap,
    runtime: Option<&TenantRuntime>,
    status: StatusCode,
    error: &str,
    code: u32,
    text: &str,
) -> Response {
    if let Some(runtime) = runtime {
        bump(&runtime.counters.token_errors);
    }
    entra_error(state, headers, status, error, code, text)
}

fn missing(state: &State, headers: &HeaderMap, runtime: &TenantRuntime, name: &str) -> Response {
    let text = format!("The request body must contain the following parameter: '{name}'.");
    fail(
        state,
        headers,
        Some(runtime),
        StatusCode::BAD_REQUEST,
        "invalid_request",
        900144,
        &text,
    )
}

/// Tenant, fault draw, form and client id: what both versions check first.
fn check<'a>(
    state: &'a State,
    tenant_key: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Checked<'a>, Response> {
    let Some(tenant) = state.tenant_index(tenant_key) else {
        return Err(unknown_tenant(
            state,
            headers,
            "invalid_request",
            tenant_key,
        ));
    };
    let Some(runtime) = state.runtime(tenant) else {
        return Err(unknown_tenant(
            state,
            headers,
            "invalid_request",
            tenant_key,
        ));
    };
    let n = bump(&runtime.counters.token_requests);
    if state
        .settings
        .faults
        .token_fails(state.settings.seed, tenant, n)
    {
        runtime.counters.fault(FaultKind::TokenEndpointFailure);
        let text = "A transient error has occurred. Please try again.";
        return Err(fail(
            state,
            headers,
            Some(runtime),
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            90033,
            text,
        ));
    }
    let mut form: HashMap<String, String> = form_urlencoded::parse(body).into_owned().collect();
    if let Some((id, secret)) = basic_auth(headers) {
        form.entry("client_id".to_owned()).or_insert(id);
        form.entry("client_secret".to_owned()).or_insert(secret);
    }
    let Some(client_id) = form.get("client_id").filter(|c| !c.is_empty()) else {
        return Err(missing(state, headers, runtime, "client_id"));
    };
    let consented = runtime.consented.load(Ordering::SeqCst);
    if *client_id != state.settings.client_id || !consented {
        let name = state
            .tenants
            .get(tenant)
            .map(|t| t.id.as_str())
            .unwrap_or_default();
        let text = format!(
            "Application with identifier '{client_id}' was not found in the directory '{name}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."
        );
        return Err(fail(
            state,
            headers,
            Some(runtime),
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            &text,
        ));
    }
    Ok(Checked {
        tenant,
        runtime,
        form,
    })
}

fn basic_auth(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let id = form_urlencoded::parse(format!("x={id}").as_bytes())
        .next()?
        .1
        .into_owned();
    let secret = form_urlencoded::parse(format!("x={secret}").as_bytes())
        .next()?
        .1
        .into_owned();
    Some((id, secret))
}

/// The client's secret or assertion.
fn authenticate(state: &State, headers: &HeaderMap, c: &Checked<'_>) -> Result<(), Response> {
    let runtime = Some(c.runtime);
    let client_id = &state.settings.client_id;
    if let Some(secret) = c.form.get("client_secret") {
        if *secret == state.settings.client_secret {
            return Ok(());
        }
        let text = format!(
            "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."
        );
        return Err(fail(
            state,
            headers,
            runtime,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            &text,
        ));
    }
    let Some(assertion) = c.form.get("client_assertion") else {
        let text = "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.";
        return Err(fail(
            state,
            headers,
            runtime,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000218,
            text,
        ));
    };
    let claims = (c.form.get("client_assertion_type").map(String::as_str) == Some(JWT_BEARER))
        .then(|| decode_claims(assertion))
        .flatten();
    let Some(claims) = claims else {
        let text = format!(
            "JWT token is invalid or malformed, or client_assertion_type is not '{JWT_BEARER}'."
        );
        return Err(fail(
            state,
            headers,
            runtime,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            50027,
            &text,
        ));
    };
    let claim = |name: &str| {
        claims
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    if claim("iss") != *client_id || claim("sub") != *client_id {
        let text = format!(
            "Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials. Expected '{client_id}'."
        );
        return Err(fail(
            state,
            headers,
            runtime,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            700021,
            &text,
        ));
    }
    if claims
        .get("exp")
        .and_then(Value::as_i64)
        .is_some_and(|exp| exp < state.now().timestamp())
    {
        let text = "Client assertion is not within its valid time range.";
        return Err(fail(
            state,
            headers,
            runtime,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            700024,
            text,
        ));
    }
    Ok(())
}

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

/// Checks and consumes a refresh token (each one works once).
fn redeem_refresh_token(
    state: &State,
    headers: &HeaderMap,
    c: &Checked<'_>,
) -> Result<(), Response> {
    let Some(presented) = c.form.get("refresh_token") else {
        return Err(missing(state, headers, c.runtime, "refresh_token"));
    };
    if c.form.contains_key("client_secret") {
        authenticate(state, headers, c)?;
    }
    let grant = lock(&state.refresh).remove(presented);
    let now = state.now();
    match grant {
        Some(grant)
            if grant.tenant == c.tenant
                && grant.expires > now
                && grant.client_id == state.settings.client_id =>
        {
            Ok(())
        }
        _ => {
            let text = "The refresh token has expired due to inactivity. The token was issued on an unknown date and was inactive for 90.00:00:00.";
            Err(fail(
                state,
                headers,
                Some(c.runtime),
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                700082,
                text,
            ))
        }
    }
}
