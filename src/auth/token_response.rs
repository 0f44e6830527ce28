//! Reading a token endpoint's success answer, v1 or v2, leniently — but
//! never trusting its numbers: a lifetime is clamped to
//! [`MAX_LIFETIME_SECS`], and one that is not a positive number of seconds
//! is refused with an error naming the field.

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use super::AccessToken;
use crate::secret::Secret;

/// Entra's lifetime when a response names none (its documented minimum).
const DEFAULT_LIFETIME_SECS: i64 = 3600;

/// The longest lifetime believed: one day, Entra's own maximum for an
/// access token. A server answering more (`expires_in` of 10^13, 1e300)
/// gets this; the token is simply fetched again a day later.
pub(crate) const MAX_LIFETIME_SECS: i64 = 86_400;

/// What a successful token request gave.
#[derive(Debug)]
pub(crate) struct TokenGrant {
    pub(crate) token: AccessToken,
    pub(crate) refresh_token: Option<Secret>,
}

/// Why a success body gave no usable token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GrantProblem {
    /// The body is not a JSON object with an `access_token`.
    NoToken,
    /// `expires_in` or `expires_on` is not a usable lifetime; the text
    /// names the field and what is wrong (never the token).
    Lifetime(String),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrText {
    Int(i64),
    Float(f64),
    Text(String),
}

impl NumberOrText {
    /// The value as whole seconds (saturating), or why it is none.
    fn seconds(&self, field: &str) -> Result<i64, GrantProblem> {
        let float = match self {
            NumberOrText::Int(n) => return Ok(*n),
            NumberOrText::Float(f) => *f,
            NumberOrText::Text(t) => t.trim().parse::<f64>().map_err(|_| {
                GrantProblem::Lifetime(format!("`{field}` is a text that is not a number"))
            })?,
        };
        if !float.is_finite() {
            return Err(GrantProblem::Lifetime(format!(
                "`{field}` is not a finite number"
            )));
        }
        // `as` saturates at the ends of i64.
        Ok(float.ceil() as i64)
    }
}

#[derive(Deserialize)]
struct Wire {
    access_token: Option<Secret>,
    expires_in: Option<NumberOrText>,
    expires_on: Option<NumberOrText>,
    refresh_token: Option<Secret>,
}

/// A lifetime in seconds as a server sent it, clamped to
/// `1..=MAX_LIFETIME_SECS`; zero or negative is refused (the token would be
/// expired already, and a cache would ask again on every call).
fn clamp_lifetime(seconds: i64, field: &str) -> Result<i64, GrantProblem> {
    if seconds <= 0 {
        return Err(GrantProblem::Lifetime(format!(
            "`{field}` gives a lifetime of {seconds} s: the token is expired already"
        )));
    }
    Ok(seconds.min(MAX_LIFETIME_SECS))
}

/// Reads a success body. `expires_in` may be a number or a string; when it
/// is missing, the v1 `expires_on` (epoch seconds) is used; when both are
/// missing, one hour. Every lifetime is clamped to one day; a zero,
/// negative or unreadable one is a [`GrantProblem::Lifetime`].
pub(crate) fn parse_grant(body: &[u8], now: DateTime<Utc>) -> Result<TokenGrant, GrantProblem> {
    let wire: Wire = serde_json::from_slice(body).map_err(|_| GrantProblem::NoToken)?;
    let token = wire
        .access_token
        .filter(|t| !t.is_empty())
        .ok_or(GrantProblem::NoToken)?;
    let lifetime = match (&wire.expires_in, &wire.expires_on) {
        (Some(v), _) => clamp_lifetime(v.seconds("expires_in")?, "expires_in")?,
        (None, Some(v)) => clamp_lifetime(
            v.seconds("expires_on")?.saturating_sub(now.timestamp()),
            "expires_on",
        )?,
        (None, None) => DEFAULT_LIFETIME_SECS,
    };
    // Within a day of now: cannot leave chrono's range.
    let expires_at = now
        .checked_add_signed(Duration::seconds(lifetime))
        .unwrap_or(now);
    Ok(TokenGrant {
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

    fn lifetime(body: &str) -> Result<i64, GrantProblem> {
        parse_grant(body.as_bytes(), now()).map(|g| (g.token.expires_at() - now()).num_seconds())
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
        assert_eq!(
            parse_grant(br#"{"token_type":"Bearer"}"#, now()).unwrap_err(),
            GrantProblem::NoToken
        );
        assert!(parse_grant(b"not json", now()).is_err());
    }

    #[test]
    fn huge_lifetimes_are_clamped_to_a_day_without_overflow() {
        for huge in [
            "10000000000000",
            "9223372036854775807",
            "18446744073709551615",
            "1e300",
            "\"1e300\"",
            "\"10000000000000\"",
        ] {
            let body = format!(r#"{{"access_token":"a","expires_in":{huge}}}"#);
            assert_eq!(lifetime(&body), Ok(MAX_LIFETIME_SECS), "{huge}");
        }
        let far = r#"{"access_token":"a","expires_on":9223372036854775807}"#;
        assert_eq!(lifetime(far), Ok(MAX_LIFETIME_SECS));
        let fractional = r#"{"access_token":"a","expires_in":0.5}"#;
        assert_eq!(lifetime(fractional), Ok(1));
    }

    #[test]
    fn expired_or_unreadable_lifetimes_are_clear_errors() {
        for (value, expected) in [
            ("0", "`expires_in` gives a lifetime of 0 s"),
            ("-5", "`expires_in` gives a lifetime of -5 s"),
            ("-1e300", "`expires_in` gives a lifetime of"),
            ("-9223372036854775808", "`expires_in` gives a lifetime of"),
            ("\"abc\"", "`expires_in` is a text that is not a number"),
            ("\"NaN\"", "`expires_in` is not a finite number"),
            ("\"inf\"", "`expires_in` is not a finite number"),
        ] {
            let body = format!(r#"{{"access_token":"a","expires_in":{value}}}"#);
            match lifetime(&body) {
                Err(GrantProblem::Lifetime(text)) => {
                    assert!(text.contains(expected), "{value}: {text}")
                }
                other => panic!("{value}: {other:?}"),
            }
        }
        let past = r#"{"access_token":"a","expires_on":-9223372036854775808}"#;
        assert!(matches!(lifetime(past), Err(GrantProblem::Lifetime(_))));
    }
}
