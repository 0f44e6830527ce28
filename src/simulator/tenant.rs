//! The simulated customer tenants.

use serde::Serialize;

use super::catalog::ORGANIZATIONS;
use super::rng::Rng;

/// How a simulated tenant answers an MSSP's app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TenantSetup {
    /// The customer admin consented and the app has `Alert.Read.All`.
    #[default]
    Ready,
    /// No admin consent yet: token requests fail with AADSTS700016 until the
    /// admin-consent endpoint is visited for this tenant.
    NotConsented,
    /// Consented, but the app was not granted its API roles: tokens are
    /// issued without `roles`, and the APIs answer 403.
    MissingRole,
}

/// One simulated customer tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SimTenant {
    /// Entra tenant id (a GUID), also every alert's `aadTenantId`.
    pub id: String,
    /// Display name, for example `Contoso` or `Fabrikam 2`.
    pub name: String,
    /// The tenant's `onmicrosoft.com` domain; token endpoints accept it in
    /// place of the id.
    pub domain: String,
    /// How the tenant answers (consent, roles).
    pub setup: TenantSetup,
}

impl SimTenant {
    /// The `index`-th tenant of a simulator started with `seed`.
    pub(crate) fn generate(seed: u64, index: usize, setup: TenantSetup) -> Self {
        let org = ORGANIZATIONS[index % ORGANIZATIONS.len()];
        let round = index / ORGANIZATIONS.len();
        let name = if round == 0 {
            org.to_owned()
        } else {
            format!("{org} {}", round + 1)
        };
        let slug: String = name
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        SimTenant {
            id: Rng::new(&[seed, 0x7e4a, index as u64]).guid(),
            domain: format!("{slug}.onmicrosoft.com"),
            name,
            setup,
        }
    }

    /// The lowercase name without spaces (`northwindtraders`), used for host
    /// and user domains inside alerts.
    pub(crate) fn slug(&self) -> &str {
        self.domain
            .split_once('.')
            .map_or(self.domain.as_str(), |(slug, _)| slug)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_stable() {
        let a: Vec<_> = (0..45)
            .map(|i| SimTenant::generate(7, i, TenantSetup::Ready))
            .collect();
        let mut names: Vec<_> = a.iter().map(|t| t.name.clone()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 45);
        assert_eq!(a[0].name, "Contoso");
        assert_eq!(a[20].name, "Contoso 2");
        assert_eq!(a[20].slug(), "contoso2");
        assert_eq!(a[3], SimTenant::generate(7, 3, TenantSetup::Ready));
        assert_ne!(a[3].id, SimTenant::generate(8, 3, TenantSetup::Ready).id);
    }
}
