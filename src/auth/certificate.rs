//! [`CertificateCredential`]: client credentials with a certificate, sent as
//! a signed JWT client assertion (RS256, `x5t` header).

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::json;

use super::common::{Common, credential_setters};
use super::token_endpoint::request_token;
use super::{AccessToken, TokenSource};
use crate::error::{Error, Result};
use crate::tenant::TenantId;

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// How long a client assertion is valid.
const ASSERTION_LIFETIME_SECS: i64 = 600;

/// The MSSP's app authenticating with a certificate: each token request
/// carries a fresh JWT signed with the private key (RS256), whose `x5t`
/// header is the base64url SHA-1 thumbprint of the certificate registered on
/// the app.
///
/// The key may be PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1
/// (`BEGIN RSA PRIVATE KEY`) PEM; the certificate is PEM.
///
/// ```no_run
/// use defender_siem::auth::CertificateCredential;
///
/// let key = std::fs::read("mssp-app.key.pem").unwrap_or_default();
/// let cert = std::fs::read("mssp-app.cert.pem").unwrap_or_default();
/// let credential = CertificateCredential::new("11111111-2222-3333-4444-555555555555", &key, &cert)?;
/// println!("registered thumbprint (x5t): {}", credential.thumbprint());
/// # Ok::<(), defender_siem::Error>(())
/// ```
#[derive(Clone)]
pub struct CertificateCredential {
    common: Common,
    key: Arc<RsaKeyPair>,
    x5t: String,
    rng: SystemRandom,
}

impl CertificateCredential {
    /// A credential for the app `client_id` from PEM key and certificate.
    pub fn new(client_id: &str, key_pem: &[u8], cert_pem: &[u8]) -> Result<Self> {
        let cert = CertificateDer::from_pem_slice(cert_pem)
            .map_err(|e| Error::Config(format!("the certificate is not a PEM certificate: {e}")))?;
        let key = PrivateKeyDer::from_pem_slice(key_pem)
            .map_err(|_| Error::Config("the private key is not a PEM private key".into()))?;
        let pair = match &key {
            PrivateKeyDer::Pkcs8(der) => RsaKeyPair::from_pkcs8(der.secret_pkcs8_der()),
            PrivateKeyDer::Pkcs1(der) => RsaKeyPair::from_der(der.secret_pkcs1_der()),
            _ => {
                return Err(Error::Config(
                    "the private key must be an RSA key (PKCS#8 or PKCS#1 PEM)".into(),
                ));
            }
        }
        .map_err(|e| Error::Config(format!("the private key is not a usable RSA key: {e}")))?;
        Ok(CertificateCredential {
            common: Common::new(client_id)?,
            key: Arc::new(pair),
            x5t: thumbprint(cert.as_ref()),
            rng: SystemRandom::new(),
        })
    }

    /// The `x5t` value: base64url (no padding) of the certificate's SHA-1.
    pub fn thumbprint(&self) -> &str {
        &self.x5t
    }

    /// A signed client assertion for the token endpoint `audience`.
    pub fn assertion(&self, audience: &str) -> Result<String> {
        let now = Utc::now().timestamp();
        let mut jti = [0u8; 16];
        self.rng
            .fill(&mut jti)
            .map_err(|_| Error::Config("no randomness for the assertion id".into()))?;
        let header = json!({"alg": "RS256", "typ": "JWT", "x5t": self.x5t});
        let claims = json!({
            "aud": audience,
            "iss": self.common.client_id,
            "sub": self.common.client_id,
            "jti": hex(&jti),
            "nbf": now,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME_SECS,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signature = vec![0u8; self.key.public().modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &self.rng,
                signing_input.as_bytes(),
                &mut signature,
            )
            .map_err(|_| Error::Config("the client assertion could not be signed".into()))?;
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }
}

credential_setters!(CertificateCredential);

#[async_trait]
impl TokenSource for CertificateCredential {
    async fn fetch(&self, tenant: &TenantId, scope: &str) -> Result<AccessToken> {
        let url = self.common.token_url(tenant, true)?;
        let assertion = self.assertion(url.as_str())?;
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.common.client_id.as_str()),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", assertion.as_str()),
            ("scope", scope),
        ];
        let grant =
            request_token(&self.common.http, &url, &form, tenant, &self.common.retry).await?;
        Ok(grant.token)
    }
}

impl fmt::Debug for CertificateCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("CertificateCredential");
        self.common.debug_fields(&mut d);
        d.field("x5t", &self.x5t)
            .field("key", &"RsaKeyPair(***)")
            .finish()
    }
}

/// base64url of the SHA-1 of a DER certificate.
fn thumbprint(der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, der);
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
