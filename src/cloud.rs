//! Microsoft clouds and the hosts each one uses.
//!
//! Every host name the crate talks to comes from here; nothing else in the
//! crate spells one out. [`Endpoints`] starts from a [`Cloud`] and lets any
//! host be replaced by a URL, which is how tests and the simulator are
//! reached.
//!
//! | cloud | sign-in | Defender for Endpoint API | Defender XDR API | Graph | portal |
//! |---|---|---|---|---|---|
//! | `Public` | `login.microsoftonline.com` | `api.security.microsoft.com` | `api.security.microsoft.com` | `graph.microsoft.com` | `security.microsoft.com` |
//! | `Gcc` | `login.microsoftonline.com` | `api-gcc.securitycenter.microsoft.us` | `api-gcc.security.microsoft.us` | `graph.microsoft.com` | `security.microsoft.com` |
//! | `GccHigh` | `login.microsoftonline.us` | `api-gov.securitycenter.microsoft.us` | `api-gov.security.microsoft.us` | `graph.microsoft.us` | `security.microsoft.us` |
//! | `Dod` | `login.microsoftonline.us` | `api-gov.securitycenter.microsoft.us` | `api-gov.security.microsoft.us` | `dod-graph.microsoft.us` | `security.apps.mil` |

use std::fmt;
use std::str::FromStr;

use url::Url;

/// A Microsoft cloud: the public one or a US Government one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Cloud {
    /// The public (commercial) cloud.
    #[default]
    Public,
    /// US Government Community Cloud.
    Gcc,
    /// US Government Community Cloud High.
    GccHigh,
    /// US Department of Defense.
    Dod,
}

/// An MDE regional API host, "for better performance" per Microsoft.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Region {
    /// `us.api.security.microsoft.com`
    Us,
    /// `eu.api.security.microsoft.com`
    Eu,
    /// `uk.api.security.microsoft.com`
    Uk,
    /// `au.api.security.microsoft.com`
    Au,
    /// `swa.api.security.microsoft.com`
    Swa,
}

/// The first-party app id of the WindowsDefenderATP API (community-sourced;
/// it is what v2 tokens carry in `aud`).
pub const WINDOWS_DEFENDER_ATP_APP_ID: &str = "fc780465-2017-40d4-a0c5-307022471b92";

/// The first-party app id of Microsoft Graph.
pub const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";

/// A cloud or region name that is not one of the known ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{value}`; expected one of: {expected}")]
pub struct UnknownName {
    what: &'static str,
    value: String,
    expected: &'static str,
}

// Only called with the constant host names of this module, which always
// form a valid URL, so the `expect` cannot fire.
#[allow(clippy::expect_used)]
fn https(host: &str) -> Url {
    Url::parse(&format!("https://{host}/")).expect("constant host names are valid URLs")
}

impl Cloud {
    /// Entra ID sign-in host.
    pub fn authority_host(self) -> &'static str {
        match self {
            Cloud::Public | Cloud::Gcc => "login.microsoftonline.com",
            Cloud::GccHigh | Cloud::Dod => "login.microsoftonline.us",
        }
    }

    /// Defender for Endpoint API host (`/api/alerts`).
    pub fn mde_api_host(self) -> &'static str {
        match self {
            Cloud::Public => "api.security.microsoft.com",
            Cloud::Gcc => "api-gcc.securitycenter.microsoft.us",
            Cloud::GccHigh | Cloud::Dod => "api-gov.securitycenter.microsoft.us",
        }
    }

    /// The resource (audience) a token for the MDE API is requested for.
    /// Microsoft documents `https://api.securitycenter.microsoft.com` for the
    /// public cloud; for government clouds it is the API host itself.
    pub fn mde_resource(self) -> &'static str {
        match self {
            Cloud::Public => "https://api.securitycenter.microsoft.com",
            Cloud::Gcc => "https://api-gcc.securitycenter.microsoft.us",
            Cloud::GccHigh | Cloud::Dod => "https://api-gov.securitycenter.microsoft.us",
        }
    }

    /// Every token audience (`aud`) the Defender for Endpoint API of this
    /// cloud is documented to accept, used by the access check. The
    /// WindowsDefenderATP app id URI and its first-party app id are accepted
    /// in every cloud.
    pub fn mde_audiences(self) -> &'static [&'static str] {
        match self {
            Cloud::Public => &[
                "https://api.securitycenter.microsoft.com",
                "https://api.security.microsoft.com",
                "https://securitycenter.onmicrosoft.com/windowsatpservice",
                WINDOWS_DEFENDER_ATP_APP_ID,
            ],
            Cloud::Gcc => &[
                "https://api-gcc.securitycenter.microsoft.us",
                "https://api-gcc.security.microsoft.us",
                "https://securitycenter.onmicrosoft.com/windowsatpservice",
                WINDOWS_DEFENDER_ATP_APP_ID,
            ],
            Cloud::GccHigh | Cloud::Dod => &[
                "https://api-gov.securitycenter.microsoft.us",
                "https://api-gov.security.microsoft.us",
                "https://securitycenter.onmicrosoft.com/windowsatpservice",
                WINDOWS_DEFENDER_ATP_APP_ID,
            ],
        }
    }

    /// The resource (audience) a Graph token is requested for:
    /// `https://` + [`Cloud::graph_host`].
    pub fn graph_resource(self) -> &'static str {
        match self {
            Cloud::Public | Cloud::Gcc => "https://graph.microsoft.com",
            Cloud::GccHigh => "https://graph.microsoft.us",
            Cloud::Dod => "https://dod-graph.microsoft.us",
        }
    }

    /// Every token audience Graph of this cloud accepts: its resource URI
    /// and Graph's first-party app id.
    pub fn graph_audiences(self) -> [&'static str; 2] {
        [self.graph_resource(), GRAPH_APP_ID]
    }

    /// Defender XDR API host (incidents, advanced hunting).
    pub fn xdr_api_host(self) -> &'static str {
        match self {
            Cloud::Public => "api.security.microsoft.com",
            Cloud::Gcc => "api-gcc.security.microsoft.us",
            Cloud::GccHigh | Cloud::Dod => "api-gov.security.microsoft.us",
        }
    }

    /// Microsoft Graph host (`/v1.0/security/alerts_v2`).
    pub fn graph_host(self) -> &'static str {
        match self {
            Cloud::Public | Cloud::Gcc => "graph.microsoft.com",
            Cloud::GccHigh => "graph.microsoft.us",
            Cloud::Dod => "dod-graph.microsoft.us",
        }
    }

    /// Defender portal host.
    pub fn portal_host(self) -> &'static str {
        match self {
            Cloud::Public | Cloud::Gcc => "security.microsoft.com",
            Cloud::GccHigh => "security.microsoft.us",
            Cloud::Dod => "security.apps.mil",
        }
    }

    /// `https://` + [`Cloud::portal_host`].
    pub fn portal_base(self) -> Url {
        https(self.portal_host())
    }

    /// The name used in configuration files: `public`, `gcc`, `gcc-high`, `dod`.
    pub fn as_str(self) -> &'static str {
        match self {
            Cloud::Public => "public",
            Cloud::Gcc => "gcc",
            Cloud::GccHigh => "gcc-high",
            Cloud::Dod => "dod",
        }
    }
}

impl fmt::Display for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Cloud {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "public" | "commercial" | "global" => Ok(Cloud::Public),
            "gcc" => Ok(Cloud::Gcc),
            "gcc-high" | "gcchigh" | "gcc_high" => Ok(Cloud::GccHigh),
            "dod" => Ok(Cloud::Dod),
            _ => Err(UnknownName {
                what: "cloud",
                value: s.to_owned(),
                expected: "public, gcc, gcc-high, dod",
            }),
        }
    }
}

impl Region {
    /// The regional MDE API host.
    pub fn mde_api_host(self) -> &'static str {
        match self {
            Region::Us => "us.api.security.microsoft.com",
            Region::Eu => "eu.api.security.microsoft.com",
            Region::Uk => "uk.api.security.microsoft.com",
            Region::Au => "au.api.security.microsoft.com",
            Region::Swa => "swa.api.security.microsoft.com",
        }
    }
}

impl FromStr for Region {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "us" => Ok(Region::Us),
            "eu" => Ok(Region::Eu),
            "uk" => Ok(Region::Uk),
            "au" => Ok(Region::Au),
            "swa" => Ok(Region::Swa),
            _ => Err(UnknownName {
                what: "region",
                value: s.to_owned(),
                expected: "us, eu, uk, au, swa",
            }),
        }
    }
}

/// The base URLs the crate talks to: a cloud's defaults, any of which can be
/// replaced.
///
/// ```
/// use defender_siem::cloud::{Cloud, Endpoints, Region};
///
/// let endpoints = Endpoints::new(Cloud::Public).region(Region::Eu);
/// assert_eq!(endpoints.mde_api().as_str(), "https://eu.api.security.microsoft.com/");
///
/// let local = Endpoints::new(Cloud::Public)
///     .with_authority("http://127.0.0.1:8080".parse()?)
///     .with_mde_api("http://127.0.0.1:8080".parse()?);
/// assert_eq!(local.authority().port(), Some(8080));
/// # Ok::<(), url::ParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    cloud: Cloud,
    authority: Url,
    mde_api: Url,
    xdr_api: Url,
    graph: Url,
    portal: Url,
    mde_resource: String,
}

impl Endpoints {
    /// The defaults of `cloud`.
    pub fn new(cloud: Cloud) -> Self {
        Endpoints {
            cloud,
            authority: https(cloud.authority_host()),
            mde_api: https(cloud.mde_api_host()),
            xdr_api: https(cloud.xdr_api_host()),
            graph: https(cloud.graph_host()),
            portal: https(cloud.portal_host()),
            mde_resource: cloud.mde_resource().to_owned(),
        }
    }

    /// Uses a regional MDE API host (public cloud only; the US Government
    /// clouds have no regional hosts).
    #[must_use]
    pub fn region(mut self, region: Region) -> Self {
        self.mde_api = https(region.mde_api_host());
        self
    }

    /// Replaces the Entra ID authority (for example a simulator's URL).
    #[must_use]
    pub fn with_authority(mut self, url: Url) -> Self {
        self.authority = url;
        self
    }

    /// Replaces the MDE API base URL.
    #[must_use]
    pub fn with_mde_api(mut self, url: Url) -> Self {
        self.mde_api = url;
        self
    }

    /// Replaces the Defender XDR API base URL.
    #[must_use]
    pub fn with_xdr_api(mut self, url: Url) -> Self {
        self.xdr_api = url;
        self
    }

    /// Replaces the Graph base URL.
    #[must_use]
    pub fn with_graph(mut self, url: Url) -> Self {
        self.graph = url;
        self
    }

    /// Replaces the portal base URL.
    #[must_use]
    pub fn with_portal(mut self, url: Url) -> Self {
        self.portal = url;
        self
    }

    /// Requests Defender API tokens for this resource instead of the
    /// cloud's default, for example
    /// `https://securitycenter.onmicrosoft.com/windowsatpservice` where the
    /// default scope is refused. A trailing `/` or `/.default` is ignored.
    #[must_use]
    pub fn with_mde_resource(mut self, resource: impl Into<String>) -> Self {
        let resource = resource.into();
        let trimmed = resource
            .trim()
            .trim_end_matches("/.default")
            .trim_end_matches('/');
        self.mde_resource = trimmed.to_owned();
        self
    }

    /// The resource Defender API tokens are requested for.
    pub fn mde_resource(&self) -> &str {
        &self.mde_resource
    }

    /// The scope Defender API tokens are requested for: the resource plus
    /// `/.default`.
    pub fn mde_scope(&self) -> String {
        format!("{}/.default", self.mde_resource)
    }

    /// The scope Graph tokens are requested for, for example
    /// `https://graph.microsoft.com/.default`.
    pub fn graph_scope(&self) -> String {
        format!("{}/.default", self.cloud.graph_resource())
    }

    /// The cloud these endpoints started from.
    pub fn cloud(&self) -> Cloud {
        self.cloud
    }

    /// Entra ID authority base URL.
    pub fn authority(&self) -> &Url {
        &self.authority
    }

    /// MDE API base URL.
    pub fn mde_api(&self) -> &Url {
        &self.mde_api
    }

    /// Defender XDR API base URL.
    pub fn xdr_api(&self) -> &Url {
        &self.xdr_api
    }

    /// Graph base URL.
    pub fn graph(&self) -> &Url {
        &self.graph
    }

    /// Portal base URL.
    pub fn portal(&self) -> &Url {
        &self.portal
    }
}

impl Default for Endpoints {
    fn default() -> Self {
        Endpoints::new(Cloud::Public)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cloud_has_https_hosts() {
        for cloud in [Cloud::Public, Cloud::Gcc, Cloud::GccHigh, Cloud::Dod] {
            let e = Endpoints::new(cloud);
            for url in [
                e.authority(),
                e.mde_api(),
                e.xdr_api(),
                e.graph(),
                e.portal(),
            ] {
                assert_eq!(url.scheme(), "https", "{cloud}: {url}");
                assert!(url.host_str().is_some());
            }
            assert_eq!(cloud.as_str().parse::<Cloud>().unwrap(), cloud);
        }
    }

    #[test]
    fn government_hosts() {
        assert_eq!(Cloud::GccHigh.authority_host(), "login.microsoftonline.us");
        assert_eq!(Cloud::Dod.portal_host(), "security.apps.mil");
        assert_eq!(
            Cloud::Gcc.mde_api_host(),
            "api-gcc.securitycenter.microsoft.us"
        );
        assert_eq!(Cloud::Dod.graph_host(), "dod-graph.microsoft.us");
    }

    #[test]
    fn unknown_cloud_names_the_choices() {
        let err = "azure-china".parse::<Cloud>().unwrap_err();
        assert!(err.to_string().contains("azure-china"));
        assert!(err.to_string().contains("gcc-high"));
    }

    #[test]
    fn scopes_and_audiences() {
        let e = Endpoints::new(Cloud::Public);
        assert_eq!(
            e.mde_scope(),
            "https://api.securitycenter.microsoft.com/.default"
        );
        assert_eq!(e.graph_scope(), "https://graph.microsoft.com/.default");
        let e = e
            .with_mde_resource("https://securitycenter.onmicrosoft.com/windowsatpservice/.default");
        assert_eq!(
            e.mde_scope(),
            "https://securitycenter.onmicrosoft.com/windowsatpservice/.default"
        );
        assert_eq!(
            Endpoints::new(Cloud::Dod).graph_scope(),
            "https://dod-graph.microsoft.us/.default"
        );
        assert!(
            Cloud::GccHigh
                .mde_audiences()
                .contains(&"https://api-gov.securitycenter.microsoft.us")
        );
    }

    #[test]
    fn regions() {
        for (name, host) in [
            ("us", "us.api.security.microsoft.com"),
            ("eu", "eu.api.security.microsoft.com"),
            ("uk", "uk.api.security.microsoft.com"),
            ("au", "au.api.security.microsoft.com"),
            ("swa", "swa.api.security.microsoft.com"),
        ] {
            let region: Region = name.parse().unwrap();
            assert_eq!(region.mde_api_host(), host);
        }
    }
}
