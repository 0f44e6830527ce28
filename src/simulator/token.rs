//! JWT-shaped tokens: `base64url(header).base64url(claims).signature`.
//!
//! Access tokens carry an HMAC-SHA256 signature under a key derived from the
//! seed, so the simulator recognizes its own tokens and rejects any other
//! ("foreign") token. Clients never need to verify it.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;
use serde_json::{Value, json};

/// Signs and checks the simulator's access tokens.
#[derive(Debug)]
pub(crate) struct Signer {
    key: hmac::Key,
}

impl Signer {
    /// The signer of a simulator started with `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        let mut secret = b"defender-siem simulator token key ".to_vec();
        secret.extend_from_slice(&seed.to_le_bytes());
        Signer {
            key: hmac::Key::new(hmac::HMAC_SHA256, &secret),
        }
    }

    /// A token carrying `claims`.
    pub(crate) fn sign(&self, claims: &Value) -> String {
        let header = json!({"typ": "JWT", "alg": "HS256", "kid": "defender-siem-simulator"});
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let tag = hmac::sign(&self.key, signing_input.as_bytes());
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
    }

    /// The claims of a token this signer issued; `None` for anything else.
    pub(crate) fn verify(&self, token: &str) -> Option<Value> {
        let (signing_input, signature) = token.rsplit_once('.')?;
        let tag = URL_SAFE_NO_PAD.decode(signature).ok()?;
        hmac::verify(&self.key, signing_input.as_bytes(), &tag).ok()?;
        decode_claims(token)
    }
}

/// The claims of any JWT-shaped string, without checking its signature.
pub(crate) fn decode_claims(token: &str) -> Option<Value> {
    let mut parts = token.split('.');
    let (_header, claims, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(claims.trim_end_matches('=')).ok()?;
    let value: Value = serde_json::from_slice(&bytes).ok()?;
    value.is_object().then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_tokens_verify_foreign_ones_do_not() {
        let signer = Signer::new(1);
        let token = signer.sign(&json!({"tid": "t1", "roles": ["Alert.Read.All"]}));
        assert_eq!(token.split('.').count(), 3);
        assert_eq!(signer.verify(&token).unwrap()["tid"], "t1");
        assert!(Signer::new(2).verify(&token).is_none());
        let mut forged = token.clone();
        forged.insert(5, 'x');
        assert!(signer.verify(&forged).is_none());
        assert!(signer.verify("not a token").is_none());
        assert_eq!(decode_claims(&token).unwrap()["tid"], "t1");
        assert!(decode_claims("a.b").is_none());
    }
}
