//! Token requests on the wire: exact bodies for each grant, lenient token
//! responses, rotated refresh tokens, and Entra errors explained.

use crate::net;

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use defender_siem::auth::{
    CertificateCredential, ClientSecretCredential, MemoryRefreshTokenStore, RefreshTokenCredential,
    TokenSource, aadsts,
};
use defender_siem::retry::RetryPolicy;
use defender_siem::{Error, Secret};
use net::{CLIENT_ID, TENANT_A, auth_fixture, endpoints, real_fixture, tenant, token_body};
use serde_json::{Value, json};
use wiremock::matchers::{body_string, body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const MDE_SCOPE: &str = "https://api.securitycenter.microsoft.com/.default";

fn secret_credential(server: &MockServer) -> ClientSecretCredential {
    ClientSecretCredential::new(CLIENT_ID, Secret::new("s3cr3t+value/="))
        .unwrap()
        .with_endpoints(&endpoints(server))
        .with_retry(RetryPolicy::never())
}

#[tokio::test]
async fn client_secret_sends_the_exact_v2_form() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/{TENANT_A}/oauth2/v2.0/token")))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string(format!(
            "grant_type=client_credentials&client_id={CLIENT_ID}\
             &client_secret=s3cr3t%2Bvalue%2F%3D\
             &scope=https%3A%2F%2Fapi.securitycenter.microsoft.com%2F.default"
        )))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("tok-1", 3599)))
        .expect(1)
        .mount(&server)
        .await;
    let before = Utc::now();
    let token = secret_credential(&server)
        .fetch(&tenant(TENANT_A), MDE_SCOPE)
        .await
        .unwrap();
    assert_eq!(token.secret().expose(), "tok-1");
    let lifetime = (token.expires_at() - before).num_seconds();
    assert!((3590..=3600).contains(&lifetime), "{lifetime}");
}

#[tokio::test]
async fn any_scope_works_for_the_sentinel_sink() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_string_contains(
            "scope=https%3A%2F%2Fmonitor.azure.com%2F%2F.default",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("mon", 3599)))
        .expect(1)
        .mount(&server)
        .await;
    let token = secret_credential(&server)
        .fetch(&tenant(TENANT_A), "https://monitor.azure.com//.default")
        .await
        .unwrap();
    assert_eq!(token.secret().expose(), "mon");
}

#[tokio::test]
async fn real_token_responses_parse_leniently() {
    for (name, expect_secs) in [
        ("aad_v2_token_response_client_credentials_docs.json", 3599),
        ("aad_v2_token_response_compact_mde_scope_docs.json", 3599),
        (
            "aad_v1_token_response_string_expiry_client_credentials_docs.json",
            3599,
        ),
        ("aad_v1_token_response_numeric_expiry_siem_docs.json", 3599),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(200).set_body_raw(real_fixture(name), "application/json"),
            )
            .mount(&server)
            .await;
        let before = Utc::now();
        let token = secret_credential(&server)
            .fetch(&tenant(TENANT_A), MDE_SCOPE)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let lifetime = (token.expires_at() - before).num_seconds();
        assert!(
            (expect_secs - 10..=expect_secs).contains(&lifetime),
            "{name}: {lifetime}"
        );
    }
}

fn decode_part(part: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

#[tokio::test]
async fn certificate_sends_a_signed_rs256_assertion_with_x5t() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/{TENANT_A}/oauth2/v2.0/token")))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("cert-tok", 3599)))
        .expect(1)
        .mount(&server)
        .await;
    let key = auth_fixture("test_app.key.pem");
    let credential =
        CertificateCredential::new(CLIENT_ID, &key, &auth_fixture("test_app.cert.pem"))
            .unwrap()
            .with_endpoints(&endpoints(&server));
    assert_eq!(credential.thumbprint(), "kB0yC58XfFhFQewJotNn0qdaVfA");
    let token = credential
        .fetch(&tenant(TENANT_A), MDE_SCOPE)
        .await
        .unwrap();
    assert_eq!(token.secret().expose(), "cert-tok");

    let requests = server.received_requests().await.unwrap();
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&requests[0].body)
        .into_owned()
        .collect();
    let keys: Vec<&str> = form.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "grant_type",
            "client_id",
            "client_assertion_type",
            "client_assertion",
            "scope"
        ]
    );
    assert_eq!(form[0].1, "client_credentials");
    assert_eq!(
        form[2].1,
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    );
    assert_eq!(form[4].1, MDE_SCOPE);
    assert!(!form.iter().any(|(k, _)| k == "client_secret"));

    let jwt = &form[3].1;
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3);
    let head = decode_part(parts[0]);
    assert_eq!(
        head,
        json!({"alg": "RS256", "typ": "JWT", "x5t": "kB0yC58XfFhFQewJotNn0qdaVfA"})
    );
    let claims = decode_part(parts[1]);
    assert_eq!(
        claims["aud"],
        format!("{}/{TENANT_A}/oauth2/v2.0/token", server.uri())
    );
    assert_eq!(claims["iss"], CLIENT_ID);
    assert_eq!(claims["sub"], CLIENT_ID);
    assert_eq!(claims["jti"].as_str().unwrap().len(), 32);
    let exp = claims["exp"].as_i64().unwrap();
    assert_eq!(exp - claims["nbf"].as_i64().unwrap(), 600);

    // The signature verifies with the key pair's public key.
    use rustls_pki_types::PrivateKeyDer;
    use rustls_pki_types::pem::PemObject;
    let der = PrivateKeyDer::from_pem_slice(&key).unwrap();
    let pair = ring::signature::RsaKeyPair::from_pkcs8(der.secret_der()).unwrap();
    let public = ring::signature::UnparsedPublicKey::new(
        &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        pair.public().as_ref().to_vec(),
    );
    let signed = format!("{}.{}", parts[0], parts[1]);
    public
        .verify(
            signed.as_bytes(),
            &URL_SAFE_NO_PAD.decode(parts[2]).unwrap(),
        )
        .expect("the assertion signature verifies");
}

#[test]
fn certificate_accepts_pkcs1_and_rejects_junk() {
    let cert = auth_fixture("test_app.cert.pem");
    let pkcs1 =
        CertificateCredential::new(CLIENT_ID, &auth_fixture("test_app.pkcs1.key.pem"), &cert)
            .unwrap();
    assert_eq!(pkcs1.thumbprint(), "kB0yC58XfFhFQewJotNn0qdaVfA");
    let err = CertificateCredential::new(CLIENT_ID, b"nope", &cert).unwrap_err();
    assert!(err.to_string().contains("private key"), "{err}");
    let err = CertificateCredential::new(CLIENT_ID, &auth_fixture("test_app.key.pem"), b"nope")
        .unwrap_err();
    assert!(err.to_string().contains("certificate"), "{err}");
}

#[tokio::test]
async fn refresh_token_sends_the_v1_form_and_saves_the_rotated_token() {
    let server = MockServer::start().await;
    let rotated_fixture = real_fixture("aad_v1_token_response_refresh_grant_docs.json");
    let rotated: Value = serde_json::from_slice(&rotated_fixture).unwrap();
    let rotated_rt = rotated["refresh_token"].as_str().unwrap().to_owned();
    Mock::given(method("POST"))
        .and(path(format!("/{TENANT_A}/oauth2/token")))
        .and(body_string(format!(
            "grant_type=refresh_token&client_id={CLIENT_ID}&refresh_token=old-rt-value\
             &resource=https%3A%2F%2Fapi.securitycenter.microsoft.com&client_secret=app-secret"
        )))
        .respond_with(ResponseTemplate::new(200).set_body_raw(rotated_fixture, "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    // The next refresh must use the rotated token.
    let encoded_rt: String = url::form_urlencoded::byte_serialize(rotated_rt.as_bytes()).collect();
    Mock::given(method("POST"))
        .and(body_string_contains(format!("refresh_token={encoded_rt}&")))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("second", 3600)))
        .expect(1)
        .mount(&server)
        .await;

    let store = Arc::new(
        MemoryRefreshTokenStore::new().with(tenant(TENANT_A), Secret::new("old-rt-value")),
    );
    let credential =
        RefreshTokenCredential::new(CLIENT_ID, Some(Secret::new("app-secret")), store.clone())
            .unwrap()
            .with_endpoints(&endpoints(&server))
            .with_retry(RetryPolicy::never());
    let first = credential
        .fetch(&tenant(TENANT_A), MDE_SCOPE)
        .await
        .unwrap();
    assert!(first.secret().expose().starts_with("eyJ0eXAi"));
    assert_eq!(store.get(&tenant(TENANT_A)).unwrap().expose(), rotated_rt);
    let second = credential
        .fetch(&tenant(TENANT_A), MDE_SCOPE)
        .await
        .unwrap();
    assert_eq!(second.secret().expose(), "second");
}

#[tokio::test]
async fn refresh_token_missing_is_a_clear_error() {
    let server = MockServer::start().await;
    let credential =
        RefreshTokenCredential::new(CLIENT_ID, None, Arc::new(MemoryRefreshTokenStore::new()))
            .unwrap()
            .with_endpoints(&endpoints(&server));
    let err = credential
        .fetch(&tenant(TENANT_A), MDE_SCOPE)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("no refresh token is stored"),
        "{err}"
    );
}

/// Every code the issue lists (plus 50001) comes back with its AADSTS code,
/// trace ids and the crate's explanation.
#[tokio::test]
async fn each_aadsts_code_is_explained() {
    let codes = [
        7000215, 7000222, 7000218, 700016, 90002, 500011, 70011, 700022, 1002012, 700082, 50001,
    ];
    let server = MockServer::start().await;
    for code in codes {
        let tenant_id = format!("cccccccc-0000-0000-0000-{code:012}");
        Mock::given(method("POST"))
            .and(path(format!("/{tenant_id}/oauth2/v2.0/token")))
            .respond_with(ResponseTemplate::new(400).set_body_json(json!({
                "error": "invalid_request",
                "error_description": format!("AADSTS{code}: Something.\r\nTrace ID: t-{code}\r\nCorrelation ID: c\r\nTimestamp: 2024-01-01 00:00:00Z"),
                "error_codes": [code],
                "timestamp": "2024-01-01 00:00:00Z",
                "trace_id": format!("t-{code}"),
                "correlation_id": "c",
            })))
            .mount(&server)
            .await;
        let err = secret_credential(&server)
            .fetch(&tenant(&tenant_id), MDE_SCOPE)
            .await
            .unwrap_err();
        assert_eq!(err.aadsts(), Some(code));
        assert_eq!(err.status(), Some(400));
        assert_eq!(err.tenant().map(|t| t.as_str()), Some(tenant_id.as_str()));
        assert!(!err.is_retryable());
        let Error::Entra(entra) = &err else {
            panic!("{code}: {err:?}")
        };
        let explanation = entra
            .explanation()
            .unwrap_or_else(|| panic!("{code} unexplained"));
        assert_eq!(explanation, aadsts::explain(code).unwrap());
        assert_eq!(entra.trace_id(), Some(format!("t-{code}").as_str()));
        assert!(entra.timestamp().is_some());
        let text = err.to_string();
        assert!(text.contains(&format!("AADSTS{code}")), "{text}");
        assert!(text.contains(explanation.fix), "{text}");
        assert!(!text.contains("s3cr3t"), "{text}");
    }
    let consent = aadsts::explain(700016).unwrap();
    assert!(consent.cause.contains("has not consented to your app yet"));
    assert!(consent.fix.contains("consent URL"));
}

#[tokio::test]
async fn real_entra_error_samples() {
    for (name, status, code, error) in [
        (
            "aad_v2_error_invalid_scope_docs.json",
            400,
            70011,
            "invalid_scope",
        ),
        (
            "aad_v1_error_invalid_resource_docs.json",
            400,
            50001,
            "invalid_resource",
        ),
        (
            "aad_v1_error_invalid_grant_expired_refresh_token_docs.json",
            400,
            70002,
            "invalid_grant",
        ),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(status).set_body_raw(real_fixture(name), "application/json"),
            )
            .mount(&server)
            .await;
        let err = secret_credential(&server)
            .fetch(&tenant(TENANT_A), MDE_SCOPE)
            .await
            .unwrap_err();
        let Error::Entra(entra) = &err else {
            panic!("{name}: {err:?}")
        };
        assert_eq!(entra.aadsts(), Some(code), "{name}");
        assert_eq!(entra.error(), error);
        assert!(entra.correlation_id().is_some());
        assert!(entra.explanation().is_some(), "{name}");
        if name.contains("v2_error") {
            // The sample's timestamp is a placeholder.
            assert_eq!(entra.timestamp(), None);
        }
    }
}

#[tokio::test]
async fn temporarily_unavailable_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_json(json!({
            "error": "temporarily_unavailable", "error_codes": [90033]
        })))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("ok", 3599)))
        .expect(1)
        .mount(&server)
        .await;
    let token = secret_credential(&server)
        .with_retry(net::fast_retry())
        .fetch(&tenant(TENANT_A), MDE_SCOPE)
        .await
        .unwrap();
    assert_eq!(token.secret().expose(), "ok");
}
