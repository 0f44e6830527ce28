//! What every API call passes before it is answered: the bearer token
//! (signature, expiry, tenant, audience, role), the tenant's rate budget,
//! and the fault draw.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde_json::Value;

use super::errors::{Flavor, api_error, throttled};
use super::faults::FaultKind;
use super::state::{State, lock};
use super::stats::bump;
use crate::transport::TENANT_HEADER;
use tracing::warn;

/// Resources (audiences) the MDE API accepts.
const MDE_RESOURCES: &[&str] = &[
    "https://api.securitycenter.microsoft.com",
    "https://api.security.microsoft.com",
    "https://securitycenter.onmicrosoft.com/windowsatpservice",
    "https://api-gcc.securitycenter.microsoft.us",
    "https://api-gov.securitycenter.microsoft.us",
    "fc780465-2017-40d4-a0c5-307022471b92",
];

/// Resources (audiences) Graph accepts.
const GRAPH_RESOURCES: &[&str] = &[
    "https://graph.microsoft.com",
    "https://graph.microsoft.us",
    "https://dod-graph.microsoft.us",
    "00000003-0000-0000-c000-000000000000",
];

/// The application role an API requires.
pub(crate) fn role_of(flavor: Flavor) -> &'static str {
    match flavor {
        Flavor::Mde => "Alert.Read.All",
        Flavor::Graph => "SecurityAlert.Read.All",
    }
}

/// Which API a resource URI (or App ID) names. The simulator's own base
/// URL counts as the MDE API.
pub(crate) fn resource_api(resource: &str, base_url: &str) -> Option<Flavor> {
    let resource = resource.trim_end_matches('/');
    if MDE_RESOURCES
        .iter()
        .any(|r| r.eq_ignore_ascii_case(resource))
        || resource.eq_ignore_ascii_case(base_url)
    {
        Some(Flavor::Mde)
    } else if GRAPH_RESOURCES
        .iter()
        .any(|r| r.eq_ignore_ascii_case(resource))
    {
        Some(Flavor::Graph)
    } else {
        None
    }
}

/// A call that may be answered.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Admitted {
    pub tenant: usize,
    /// The fault to inject, if any.
    pub fault: Option<FaultKind>,
    /// The call's number within its tenant.
    pub serial: u64,
}

fn unauthorized(state: &State, flavor: Flavor, message: &str) -> Response {
    api_error(
        state,
        flavor,
        StatusCode::UNAUTHORIZED,
        "Unauthorized",
        message,
    )
}

/// Checks the token and the budget of a call to `flavor`'s API.
pub(crate) fn admit(
    state: &State,
    headers: &HeaderMap,
    flavor: Flavor,
) -> Result<Admitted, Response> {
    let now = state.now();
    let claims = match bearer(headers).map(|token| state.signer.verify(token)) {
        None => {
            bump(&state.unauthenticated);
            return Err(unauthorized(
                state,
                flavor,
                "Authorization header is missing or is not a Bearer token",
            ));
        }
        Some(None) => {
            bump(&state.unauthenticated);
            return Err(unauthorized(
                state,
                flavor,
                "The access token is invalid: it was not issued by this authority",
            ));
        }
        Some(Some(claims)) => claims,
    };
    let number = |name: &str| claims.get(name).and_then(Value::as_i64).unwrap_or(0);
    if number("exp") <= now.timestamp() || number("nbf") > now.timestamp() {
        bump(&state.unauthenticated);
        return Err(unauthorized(
            state,
            flavor,
            "The access token has expired or is not yet valid",
        ));
    }
    let tenant = claims
        .get("tid")
        .and_then(Value::as_str)
        .and_then(|tid| state.tenant_index(tid));
    let (Some(tenant), Some(runtime)) = (tenant, tenant.and_then(|t| state.runtime(t))) else {
        bump(&state.unauthenticated);
        return Err(unauthorized(
            state,
            flavor,
            "The access token names an unknown tenant",
        ));
    };
    if let Some(named) = named_tenant(headers)
        && state.tenant_index(named) != Some(tenant)
    {
        bump(&state.cross_tenant_tokens);
        warn!(
            token_tenant = %state.tenants.get(tenant).map_or("", |t| t.id.as_str()),
            request_tenant = named,
            "simulator: refused a token issued for another tenant"
        );
        return Err(unauthorized(
            state,
            flavor,
            "The access token was issued for another tenant than the one this request is for",
        ));
    }
    let counters = &runtime.counters;
    let serial = bump(&counters.requests);
    let audience = claims
        .get("aud")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if resource_api(audience, &state.base_url) != Some(flavor) {
        let message = format!("The access token audience '{audience}' is not valid for this API");
        return Err(api_error(
            state,
            flavor,
            StatusCode::FORBIDDEN,
            "Forbidden",
            &message,
        ));
    }
    let role = role_of(flavor);
    let has_role = claims
        .get("roles")
        .and_then(Value::as_array)
        .is_some_and(|roles| roles.iter().any(|r| r.as_str() == Some(role)));
    if !has_role {
        let message = format!(
            "Missing application roles. API required roles: {role}. Application roles: none"
        );
        return Err(api_error(
            state,
            flavor,
            StatusCode::FORBIDDEN,
            "Forbidden",
            &message,
        ));
    }
    let budget = state.settings.budget;
    let verdict = match flavor {
        Flavor::Mde => lock(&runtime.mde).admit(budget, now),
        Flavor::Graph => lock(&runtime.graph).admit(budget, now),
    };
    if let Err(retry_after) = verdict {
        bump(&counters.throttled);
        return Err(throttled(state, flavor, retry_after));
    }
    let fault = state
        .settings
        .faults
        .pick_api(state.settings.seed, tenant, serial);
    Ok(Admitted {
        tenant,
        fault,
        serial,
    })
}

/// The tenant the request says it is for, when it says so.
fn named_tenant(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(TENANT_HEADER)?
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}
