//! Reading a token endpoint's success answer, v1 or v2, leniently.

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use super::AccessToken;
use crate::secret::Secret;

/// Entra's lifetime when a response names none (its documented minimum).
const DEFAULT_LIFETIME_SECS: i64 = 3600;

/// What a successful token request gave.
#[derive(Debug)]
pub(crate) struct TokenGrant {
    pub(crate) token: AccessToken,
    pub(crate) refresh_token: Option<Secret>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrText {
    Int(i64),
    Float(f64),
    Text(String),
}

impl NumberOrText {
    fn seconds(&self) -> Option<i64> {
        match self {
            NumberOrText::Int(n) => Some(*n),
            NumberOrText::Float(f) if f.is_finite() => Some(*f as i64),
            NumberOrText::Float(_) => None,
            NumberOrText::Text(t) => t.trim().parse::<f64>().ok().map(|f| f as i64),
        }
    }
}

#[derive(Deserialize)]
struct Wire {
    access_token: Option<Secret>,
    expires_in: Option<NumberOrText>,
    expires_on: Option<NumberOrText>,
    refresh_token: Option<Secret>,
}

/// Reads a success body. `expires_in` may be a number or a string; when it
/// is missing, the v1 `expires_on` (epoch seconds) is used; when both are
/// missing, one hour. `None` when there is no access token.
pub(crate) fn parse_grant(body: &[u8], now: DateTime<Utc>) -> Option<TokenGrant> {
    let wire: Wire = serde_json::from_slice(body).ok()?;
    let token = wire.access_token.filter(|t| !t.is_empty())?;
    let from_expires_in = wire
        .expires_in
        .as_ref()
        .and_then(NumberOrText::seconds)
        .filter(|s| *s > 0)
        .map(|s| now + Duration::seconds(s));
    let from_expires_on = wire
        .expires_on
        .as_ref()
        .and_then(NumberOrText::seconds)
        .and_then(|s| DateTime::from_timestamp(s, 0));
    let expires_at = from_expires_in
        .or(from_expires_on)
        .unwrap_or_else(|| now + Duration::seconds(DEFAULT_LIFETIME_SECS));
    Some(TokenGrant {
        token: AccessToken::new(token, expires_at),
        refresh_token: wire.refresh_token.filter(|t| !t.is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_388_440_000, 0).unwrap()
    }

    #[test]
    fn number_string_and_expires_on() {
        let g = parse_grant(br#"{"access_token":"a","expires_in":3599}"#, now()).unwrap();
        assert_eq!(g.token.expires_at(), now() + Duration::seconds(3599));
        let g = parse_grant(br#"{"access_token":"a","expires_in":"3600"}"#, now()).unwrap();
        assert_eq!(g.token.expires_at(), now() + Duration::seconds(3600));
        let g = parse_grant(br#"{"access_token":"a","expires_on":"1388444763"}"#, now()).unwrap();
        assert_eq!(g.token.expires_at().timestamp(), 1_388_444_763);
        let g = parse_grant(br#"{"access_token":"a"}"#, now()).unwrap();
        assert_eq!(g.token.expires_at(), now() + Duration::hours(1));
    }

    #[test]
    fn refresh_token_kept_and_missing_token_rejected() {
        let g = parse_grant(br#"{"access_token":"a","refresh_token":"r"}"#, now()).unwrap();
        assert_eq!(g.refresh_token.unwrap().expose(), "r");
        assert!(parse_grant(br#"{"token_type":"Bearer"}"#, now()).is_none());
        assert!(parse_grant(b"not json", now()).is_none());
    }
}
