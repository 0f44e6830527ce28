//! Checks every token request shares: tenant, injected failure, form,
//! client id and consent, the client's secret or assertion, and refresh
//! tokens (each works once).

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use url::form_urlencoded;

use super::entra::unknown_tenant;
use super::errors::entra_error;
use super::faults::FaultKind;
use super::state::{State, TenantRuntime, lock};
use super::stats::bump;
use super::token::decode_claims;

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A token request after the common checks.
pub(crate) struct Checked<'a> {
    pub tenant: usize,
    pub runtime: &'a TenantRuntime,
    pub form: HashMap<String, String>,
}

pub(crate) type Reply = Result<Response, Response>;

pub(crate) fn fail(
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

pub(crate) fn missing(
    state: &State,
    headers: &HeaderMap,
    runtime: &TenantRuntime,
    name: &str,
) -> Response {
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
pub(crate) fn check<'a>(
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
pub(crate) fn authenticate(
    state: &State,
    headers: &HeaderMap,
    c: &Checked<'_>,
) -> Result<(), Response> {
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

/// Checks and consumes a refresh token (each one works once).
pub(crate) fn redeem_refresh_token(
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
