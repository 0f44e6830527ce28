//! Onboarding a customer tenant: the admin-consent URLs to send the
//! customer, and [`verify_access`], which checks a freshly issued token.
//!
//! 1. Send the customer's admin [`mssp_consent_url`] (the form in the MSSP
//!    docs) or [`admin_consent_url`] (Entra's admin-consent endpoint, which
//!    redirects back to you with `admin_consent=True` and your `state`).
//! 2. Once they have consented, run [`verify_access`]: it gets a token for
//!    the customer's tenant and checks its `tid`, `aud` and `roles`, and
//!    says what is missing and how to fix it.
//!
//! ```
//! use defender_siem::auth::consent::{admin_consent_url, mssp_consent_url};
//! use defender_siem::cloud::{Cloud, Endpoints};
//! use defender_siem::TenantId;
//!
//! let endpoints = Endpoints::new(Cloud::Public);
//! let app = "11111111-2222-3333-4444-555555555555";
//! assert_eq!(
//!     mssp_consent_url(&endpoints, app)?.as_str(),
//!     "https://login.microsoftonline.com/common/oauth2/authorize?prompt=consent\
//!      &client_id=11111111-2222-3333-4444-555555555555&response_type=code&sso_reload=true"
//! );
//! let tenant = TenantId::new("contoso.onmicrosoft.com")?;
//! let url = admin_consent_url(&endpoints, &tenant, app, &"https://portal.azure.com".parse()?, "contoso")?;
//! assert!(url.as_str().starts_with("https://login.microsoftonline.com/contoso.onmicrosoft.com/adminconsent?"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use url::Url;

use super::TokenProvider;
use super::access::{AccessCheck, AccessReport};
use super::common::check_client_id;
use crate::cloud::Endpoints;
use crate::error::Result;
use crate::tenant::TenantId;
use crate::transport::join_path;

/// The consent URL of the MSSP docs:
/// `{authority}/common/oauth2/authorize?prompt=consent&client_id=…&response_type=code&sso_reload=true`.
/// Any admin of any tenant can open it; after consenting, the page they land
/// on can be ignored.
pub fn mssp_consent_url(endpoints: &Endpoints, client_id: &str) -> Result<Url> {
    let client_id = check_client_id(client_id)?;
    let mut url = join_path(endpoints.authority(), &["common", "oauth2", "authorize"])?;
    url.query_pairs_mut()
        .append_pair("prompt", "consent")
        .append_pair("client_id", &client_id)
        .append_pair("response_type", "code")
        .append_pair("sso_reload", "true");
    Ok(url)
}

/// Entra's admin-consent URL for one customer tenant:
/// `{authority}/{tenant}/adminconsent?client_id=…&redirect_uri=…&state=…`.
/// `redirect_uri` must be registered on the app (the partner docs register
/// `https://portal.azure.com`); Entra sends the admin back there with
/// `tenant`, `state` and `admin_consent=True`.
pub fn admin_consent_url(
    endpoints: &Endpoints,
    tenant: &TenantId,
    client_id: &str,
    redirect_uri: &Url,
    state: &str,
) -> Result<Url> {
    let client_id = check_client_id(client_id)?;
    let mut url = join_path(endpoints.authority(), &[tenant.as_str(), "adminconsent"])?;
    url.query_pairs_mut()
        .append_pair("client_id", &client_id)
        .append_pair("redirect_uri", redirect_uri.as_str())
        .append_pair("state", state);
    Ok(url)
}

/// Gets a Defender API token for `tenant` and checks that it is for that
/// tenant, for the Defender API of the endpoints' cloud, and carries
/// `Alert.Read.All` or `Alert.ReadWrite.All`. A token that Entra refuses is
/// reported (with its AADSTS explanation), not returned as an error; only
/// failures to reach Entra are errors.
///
/// ```no_run
/// # async fn run() -> defender_siem::Result<()> {
/// use defender_siem::auth::consent::verify_access;
/// use defender_siem::auth::{ClientSecretCredential, TokenSource};
/// use defender_siem::cloud::Endpoints;
/// use defender_siem::{Secret, TenantId};
///
/// let endpoints = Endpoints::default();
/// let provider = ClientSecretCredential::new("11111111-2222-3333-4444-555555555555", Secret::new("…"))?
///     .with_endpoints(&endpoints)
///     .cached();
/// let report = verify_access(&provider, &TenantId::new("contoso.onmicrosoft.com")?, &endpoints).await?;
/// if !report.is_ok() {
///     eprintln!("{report}");
/// }
/// # Ok(()) }
/// ```
pub async fn verify_access(
    provider: &dyn TokenProvider,
    tenant: &TenantId,
    endpoints: &Endpoints,
) -> Result<AccessReport> {
    AccessCheck::defender(endpoints)
        .verify(provider, tenant)
        .await
}
