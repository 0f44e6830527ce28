//! What Entra ID's AADSTS error codes mean for an MSSP, and what to do.
//!
//! Microsoft asks clients to branch on `error` / `error_codes`, never on the
//! description text. [`explain`] looks a code up in [`TABLE`]; the same
//! table is in `TROUBLESHOOTING.md`.
//!
//! ```
//! use defender_siem::auth::aadsts;
//!
//! let e = aadsts::explain(700016).unwrap();
//! assert!(e.cause.contains("not consented"));
//! ```

/// Cause and fix of one AADSTS code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Explanation {
    /// The number after `AADSTS`.
    pub code: u32,
    /// Microsoft's short name for it.
    pub name: &'static str,
    /// What usually causes it for an MSSP pulling customer alerts.
    pub cause: &'static str,
    /// What to do about it.
    pub fix: &'static str,
}

const fn entry(
    code: u32,
    name: &'static str,
    cause: &'static str,
    fix: &'static str,
) -> Explanation {
    Explanation {
        code,
        name,
        cause,
        fix,
    }
}

/// Every code the crate explains.
pub const TABLE: &[Explanation] = &[
    entry(
        7000215,
        "InvalidClientSecret",
        "the client secret is wrong; often the secret's ID was pasted instead of its value",
        "copy the secret's Value (shown only once) from App registrations > Certificates & \
         secrets in your MSSP tenant, or create a new secret",
    ),
    entry(
        7000222,
        "InvalidClientSecretExpiredKeys",
        "the client secret has expired",
        "create a new secret for the app in your MSSP tenant and update the configuration; \
         set a reminder before the new one expires",
    ),
    entry(
        7000218,
        "MissingClientCredential",
        "the token request carried neither a client secret nor a client assertion",
        "configure a client secret or a certificate for this tenant",
    ),
    entry(
        700016,
        "UnauthorizedClient_DoesNotMatchRequest",
        "the customer has not consented to your app yet (or the client ID or tenant ID is wrong)",
        "send the customer's admin the consent URL (see auth::consent) and check the client \
         ID and the customer's tenant ID",
    ),
    entry(
        90002,
        "InvalidTenantName",
        "the tenant does not exist in this cloud: a wrong customer tenant ID, or a US \
         Government tenant sent to the public cloud (or the reverse)",
        "check the customer's tenant ID and pick the right cloud (public, gcc, gcc-high, dod)",
    ),
    entry(
        500011,
        "InvalidResourceServicePrincipalNotFound",
        "the requested API (for example WindowsDefenderATP) is not present in the customer's \
         tenant: not consented, Defender not provisioned, or a wrong scope or cloud",
        "have the customer consent again after adding the permission, check that the tenant \
         has Defender for Endpoint, and check the scope for this cloud",
    ),
    entry(
        50001,
        "InvalidResource",
        "the requested resource is not installed in the customer's tenant, or the request \
         went to the wrong tenant",
        "have the customer's admin consent to your app, and check the tenant ID and resource",
    ),
    entry(
        70011,
        "InvalidScope",
        "the scope is not valid: the client-credentials flow needs `<resource>/.default`",
        "request `https://api.securitycenter.microsoft.com/.default` (or the Graph / Monitor \
         equivalent for this cloud)",
    ),
    entry(
        700022,
        "InvalidMultipleResourcesScope",
        "the request named scopes of more than one API",
        "request one `/.default` scope per token (one for Defender, another for Graph)",
    ),
    entry(
        1002012,
        "InvalidScopeForClientCredentials",
        "the client-credentials flow got a scope that does not end in `/.default`",
        "use `<resource>/.default`, for example `https://api.securitycenter.microsoft.com/.default`",
    ),
    entry(
        700082,
        "ExpiredOrRevokedGrantInactiveToken",
        "the refresh token expired after 90 days without use",
        "run the consent / token acquisition for this customer again and store the new \
         refresh token; poll at least every few weeks to keep it alive",
    ),
    entry(
        70008,
        "ExpiredOrRevokedGrant",
        "the refresh token or authorization code has expired or was revoked",
        "acquire a new refresh token for this customer (interactive sign-in) and store it",
    ),
    entry(
        7000229,
        "MissingServicePrincipal",
        "your app has no service principal in the customer's tenant: the customer has not \
         consented yet",
        "send the customer's admin the consent URL",
    ),
    entry(
        7000112,
        "UnauthorizedClientApplicationDisabled",
        "the app is disabled in the customer's tenant",
        "ask the customer to re-enable your app under Enterprise applications",
    ),
];

/// The explanation of one code, if the crate has one.
pub fn explain(code: u32) -> Option<&'static Explanation> {
    TABLE.iter().find(|e| e.code == code)
}

/// The first code of `codes` that the crate explains.
pub fn explain_any(codes: &[u32]) -> Option<&'static Explanation> {
    codes.iter().find_map(|c| explain(*c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_texts_present() {
        for (i, e) in TABLE.iter().enumerate() {
            assert!(
                TABLE[i + 1..].iter().all(|o| o.code != e.code),
                "{}",
                e.code
            );
            assert!(!e.cause.is_empty() && !e.fix.is_empty());
        }
    }

    #[test]
    fn prefers_a_known_code() {
        assert_eq!(explain_any(&[70002, 70008]).map(|e| e.code), Some(70008));
        assert!(explain_any(&[1]).is_none());
    }
}
