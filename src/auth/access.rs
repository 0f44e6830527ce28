//! The access check behind [`super::consent::verify_access`]:
//! [`AccessCheck`] and its [`AccessReport`].

use std::fmt;

use super::TokenProvider;
use super::claims::TokenClaims;
use crate::cloud::Endpoints;
use crate::error::{Error, Result};
use crate::tenant::TenantId;

const DEFENDER_ROLES: &[&str] = &["Alert.Read.All", "Alert.ReadWrite.All"];
const GRAPH_ROLES: &[&str] = &["SecurityAlert.Read.All", "SecurityAlert.ReadWrite.All"];

/// What a token must look like to read one API's alerts.
#[derive(Debug, Clone)]
pub struct AccessCheck {
    api: &'static str,
    scope: String,
    audiences: Vec<String>,
    roles: &'static [&'static str],
    grant_fix: &'static str,
}

/// What kind of problem the check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProblemKind {
    /// Entra refused to issue a token (consent missing, bad secret, …).
    TokenRefused,
    /// The token is not a readable JWT.
    UnreadableToken,
    /// `tid` is not the customer's tenant.
    WrongTenant,
    /// `aud` is not the API.
    WrongAudience,
    /// `roles` lacks the alert permission.
    MissingRole,
}

/// One thing that is wrong, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccessProblem {
    /// What kind of problem.
    pub kind: ProblemKind,
    /// What is wrong.
    pub what: String,
    /// How to fix it.
    pub fix: String,
}

/// The outcome of an access check for one customer tenant.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AccessReport {
    /// The tenant that was checked.
    pub tenant: TenantId,
    /// The API that was checked ("Defender for Endpoint" or "Microsoft Graph").
    pub api: &'static str,
    /// The token's claims, when a token was issued.
    pub claims: Option<TokenClaims>,
    /// Everything that is wrong; empty when access works.
    pub problems: Vec<AccessProblem>,
}

impl AccessReport {
    /// True when nothing is wrong.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// Whether a problem of this kind was found.
    pub fn has(&self, kind: ProblemKind) -> bool {
        self.problems.iter().any(|p| p.kind == kind)
    }
}

impl fmt::Display for AccessReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} access for tenant {}:", self.api, self.tenant)?;
        if let Some(c) = &self.claims {
            let none = || "-".to_owned();
            writeln!(
                f,
                "  token tenant (tid): {}",
                c.tenant_id.clone().unwrap_or_else(none)
            )?;
            writeln!(f, "  audience (aud):     {}", c.audiences.join(", "))?;
            writeln!(f, "  roles:              {}", c.roles.join(", "))?;
            if let Some(app) = &c.app_id {
                writeln!(f, "  app id:             {app}")?;
            }
        }
        if self.problems.is_empty() {
            return writeln!(f, "  OK: the app can read alerts in this tenant");
        }
        for p in &self.problems {
            writeln!(f, "  PROBLEM: {}", p.what)?;
            writeln!(f, "    fix: {}", p.fix)?;
        }
        Ok(())
    }
}

/// `https://x/` and `https://X` compare equal.
fn same_audience(a: &str, b: &str) -> bool {
    a.trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim_end_matches('/'))
}

fn is_guid(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

impl AccessCheck {
    /// The Defender for Endpoint alerts API of the endpoints' cloud:
    /// `Alert.Read.All` or `Alert.ReadWrite.All`, any documented audience.
    pub fn defender(endpoints: &Endpoints) -> Self {
        let mut audiences: Vec<String> = endpoints
            .cloud()
            .mde_audiences()
            .iter()
            .map(|a| (*a).to_owned())
            .collect();
        audiences.push(endpoints.mde_resource().to_owned());
        AccessCheck {
            api: "Defender for Endpoint",
            scope: endpoints.mde_scope(),
            audiences,
            roles: DEFENDER_ROLES,
            grant_fix: "in your MSSP tenant, add the application permission WindowsDefenderATP > \
                        Alert.Read.All to the app (type `WindowsDefenderATP` under 'APIs my \
                        organization uses'), then have the customer's admin open the consent \
                        URL again: consent must be repeated after every permission change",
        }
    }

    /// Graph `alerts_v2` of the endpoints' cloud: `SecurityAlert.Read.All`
    /// or `SecurityAlert.ReadWrite.All`.
    pub fn graph(endpoints: &Endpoints) -> Self {
        AccessCheck {
            api: "Microsoft Graph",
            scope: endpoints.graph_scope(),
            audiences: endpoints
                .cloud()
                .graph_audiences()
                .iter()
                .map(|a| (*a).to_owned())
                .collect(),
            roles: GRAPH_ROLES,
            grant_fix: "in your MSSP tenant, add the application permission Microsoft Graph > \
                        SecurityAlert.Read.All to the app, then have the customer's admin open \
                        the consent URL again",
        }
    }

    /// The scope the token is requested for.
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// Gets a token for `tenant` from `provider` and checks it. Entra's
    /// refusal is a problem in the report; other failures are errors.
    pub async fn verify(
        &self,
        provider: &dyn TokenProvider,
        tenant: &TenantId,
    ) -> Result<AccessReport> {
        let mut report = AccessReport {
            tenant: tenant.clone(),
            api: self.api,
            claims: None,
            problems: Vec::new(),
        };
        let token = match provider.token(tenant, &self.scope).await {
            Ok(t) => t,
            Err(Error::Entra(e)) => {
                let fix = e.explanation().map_or_else(
                    || "see TROUBLESHOOTING.md for this AADSTS code".to_owned(),
                    |x| x.fix.to_owned(),
                );
                report.problems.push(AccessProblem {
                    kind: ProblemKind::TokenRefused,
                    what: e.to_string(),
                    fix,
                });
                return Ok(report);
            }
            Err(other) => return Err(other),
        };
        match TokenClaims::decode(token.secret().expose()) {
            Ok(claims) => Ok(self.check_claims(tenant, claims)),
            Err(e) => {
                report.problems.push(AccessProblem {
                    kind: ProblemKind::UnreadableToken,
                    what: e.to_string(),
                    fix: "check that the authority URL points at Entra ID".into(),
                });
                Ok(report)
            }
        }
    }

    /// Checks already decoded claims against `tenant`. When `tenant` is a
    /// domain name rather than a GUID, `tid` cannot be compared and is only
    /// shown.
    pub fn check_claims(&self, tenant: &TenantId, claims: TokenClaims) -> AccessReport {
        let mut problems = Vec::new();
        let tid = claims.tenant_id.as_deref().unwrap_or("");
        if is_guid(tenant.as_str()) && !tid.eq_ignore_ascii_case(tenant.as_str()) {
            problems.push(AccessProblem {
                kind: ProblemKind::WrongTenant,
                what: format!(
                    "the token was issued by tenant `{tid}`, not the customer's `{tenant}`"
                ),
                fix: "request the token from the customer's tenant (its tenant ID in the token \
                      URL), not from your MSSP tenant or `common`"
                    .into(),
            });
        }
        let aud_ok = claims
            .audiences
            .iter()
            .any(|a| self.audiences.iter().any(|ok| same_audience(a, ok)));
        if !aud_ok {
            problems.push(AccessProblem {
                kind: ProblemKind::WrongAudience,
                what: format!(
                    "the token is for `{}`, not the {} API",
                    claims.audiences.join(", "),
                    self.api
                ),
                fix: format!("request the scope `{}` (and the right cloud)", self.scope),
            });
        }
        if !claims
            .roles
            .iter()
            .any(|r| self.roles.contains(&r.as_str()))
        {
            let found = if claims.roles.is_empty() {
                "none".to_owned()
            } else {
                claims.roles.join(", ")
            };
            let delegated = claims
                .scopes
                .as_ref()
                .map(|_| " (this is a delegated user token; an application token is needed)")
                .unwrap_or("");
            problems.push(AccessProblem {
                kind: ProblemKind::MissingRole,
                what: format!(
                    "the token's roles are [{found}]: {} is missing{delegated}",
                    self.roles.join(" or ")
                ),
                fix: self.grant_fix.to_owned(),
            });
        }
        AccessReport {
            tenant: tenant.clone(),
            api: self.api,
            claims: Some(claims),
            problems,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audiences_compare_without_trailing_slash() {
        assert!(same_audience(
            "https://api.securitycenter.microsoft.com/",
            "https://api.securitycenter.microsoft.com"
        ));
        assert!(!same_audience(
            "https://graph.microsoft.com",
            "https://api.security.microsoft.com"
        ));
        assert!(is_guid("00000000-0000-0000-0000-000000000000"));
        assert!(!is_guid("contoso.com"));
    }
}
