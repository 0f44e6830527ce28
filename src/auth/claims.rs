//! [`TokenClaims`]: the claims of an access token, read without checking
//! the signature (the token came straight from Entra over TLS).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Result};

/// What the access check reads from a token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenClaims {
    /// `tid`: the tenant that issued the token.
    pub tenant_id: Option<String>,
    /// `aud`: the API the token is for (one or more values).
    pub audiences: Vec<String>,
    /// `roles`: application permissions granted in the tenant.
    pub roles: Vec<String>,
    /// `scp`: delegated permissions (present on user tokens only).
    pub scopes: Option<String>,
    /// `appid` (v1) or `azp` (v2): the app the token was issued to.
    pub app_id: Option<String>,
    /// `app_displayname`, when present.
    pub app_name: Option<String>,
    /// `exp`, seconds since the epoch.
    pub expires: Option<i64>,
}

#[derive(Deserialize)]
struct Wire {
    tid: Option<String>,
    aud: Option<Value>,
    roles: Option<Vec<String>>,
    scp: Option<String>,
    appid: Option<String>,
    azp: Option<String>,
    app_displayname: Option<String>,
    // Any JSON: a hostile `exp` (1e300, a string) is dropped, not fatal.
    exp: Option<Value>,
}

/// `exp` as whole seconds: an integer, or a finite number saturated to
/// i64; anything else is `None`.
fn epoch_seconds(value: Option<&Value>) -> Option<i64> {
    let value = value?;
    value
        .as_i64()
        .or_else(|| value.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
}

impl TokenClaims {
    /// Decodes the payload (middle part) of a JWT.
    pub fn decode(jwt: &str) -> Result<Self> {
        let payload = jwt
            .split('.')
            .nth(1)
            .filter(|_| jwt.split('.').count() == 3)
            .ok_or_else(|| Error::Config("the access token is not a JWT".into()))?;
        let bytes = URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .map_err(|_| Error::Config("the access token's claims are not base64url".into()))?;
        Self::from_json(&bytes)
    }

    /// Reads already decoded claims (a JSON object).
    pub fn from_json(json: &[u8]) -> Result<Self> {
        let wire: Wire = serde_json::from_slice(json)
            .map_err(|e| Error::Config(format!("the access token's claims are unreadable: {e}")))?;
        let audiences = match wire.aud {
            Some(Value::String(s)) => vec![s],
            Some(Value::Array(items)) => items
                .into_iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        Ok(TokenClaims {
            tenant_id: wire.tid,
            audiences,
            roles: wire.roles.unwrap_or_default(),
            scopes: wire.scp,
            app_id: wire.appid.or(wire.azp),
            app_name: wire.app_displayname,
            expires: epoch_seconds(wire.exp.as_ref()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_a_jwt_payload() {
        let payload = URL_SAFE_NO_PAD
            .encode(br#"{"tid":"t","aud":["a","b"],"roles":["Alert.Read.All"],"azp":"app"}"#);
        let claims = TokenClaims::decode(&format!("e30.{payload}.sig")).unwrap();
        assert_eq!(claims.tenant_id.as_deref(), Some("t"));
        assert_eq!(claims.audiences, ["a", "b"]);
        assert_eq!(claims.app_id.as_deref(), Some("app"));
        assert!(TokenClaims::decode("opaque-token").is_err());
        assert!(TokenClaims::decode("a.!!!.c").is_err());
    }

    #[test]
    fn a_hostile_exp_is_saturated_or_dropped() {
        for (exp, expected) in [
            ("1700000000", Some(1_700_000_000)),
            ("1e300", Some(i64::MAX)),
            ("-1e300", Some(i64::MIN)),
            ("18446744073709551615", Some(i64::MAX)),
            ("\"soon\"", None),
            ("{}", None),
        ] {
            let json = format!(r#"{{"tid":"t","exp":{exp}}}"#);
            let claims = TokenClaims::from_json(json.as_bytes()).unwrap();
            assert_eq!(claims.expires, expected, "{exp}");
            assert_eq!(claims.tenant_id.as_deref(), Some("t"));
        }
    }
}
