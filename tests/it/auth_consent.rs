//! Onboarding: consent URLs and the access check on a fresh token.

use crate::net;

use std::sync::Arc;

use defender_siem::Secret;
use defender_siem::auth::consent::{admin_consent_url, mssp_consent_url, verify_access};
use defender_siem::auth::{
    AccessCheck, ClientSecretCredential, ProblemKind, StaticTokenProvider, TokenClaims, TokenSource,
};
use defender_siem::cloud::{Cloud, Endpoints};
use defender_siem::retry::RetryPolicy;
use net::{CLIENT_ID, TENANT_A, client, endpoints, fake_jwt, real_fixture, tenant};
use serde_json::json;
use url::Url;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[test]
fn consent_urls_for_each_cloud_and_override() {
    let url = mssp_consent_url(&Endpoints::new(Cloud::Public), CLIENT_ID).unwrap();
    assert_eq!(
        url.as_str(),
        format!(
            "https://login.microsoftonline.com/common/oauth2/authorize?prompt=consent\
             &client_id={CLIENT_ID}&response_type=code&sso_reload=true"
        )
    );
    let gov = mssp_consent_url(&Endpoints::new(Cloud::GccHigh), CLIENT_ID).unwrap();
    assert!(
        gov.as_str()
            .starts_with("https://login.microsoftonline.us/common/oauth2/authorize?")
    );

    let local =
        Endpoints::new(Cloud::Public).with_authority("http://127.0.0.1:9/entra".parse().unwrap());
    let url = admin_consent_url(
        &local,
        &tenant(TENANT_A),
        CLIENT_ID,
        &Url::parse("https://portal.azure.com").unwrap(),
        "customer 42&x",
    )
    .unwrap();
    assert_eq!(
        url.as_str(),
        format!(
            "http://127.0.0.1:9/entra/{TENANT_A}/adminconsent?client_id={CLIENT_ID}\
             &redirect_uri=https%3A%2F%2Fportal.azure.com%2F&state=customer+42%26x"
        )
    );
    assert!(mssp_consent_url(&local, "bad id?").is_err());
}

/// The real decoded claims of an MDE app token carry only
/// `Machine.Read.All`: the report must say Alert.Read.All is missing.
#[test]
fn real_claims_fixture_reports_the_missing_alert_role() {
    let claims = TokenClaims::from_json(&real_fixture(
        "aad_decoded_access_token_claims_mde_app_jcoliz.json",
    ))
    .unwrap();
    let tid = "00000000-0000-0000-0000-000000000000";
    let report = AccessCheck::defender(&Endpoints::default()).check_claims(&tenant(tid), claims);
    assert!(!report.is_ok());
    assert_eq!(report.problems.len(), 1, "{report}");
    assert!(report.has(ProblemKind::MissingRole));
    let text = report.to_string();
    assert!(text.contains("Machine.Read.All"), "{text}");
    assert!(
        text.contains("Alert.Read.All or Alert.ReadWrite.All is missing"),
        "{text}"
    );
    assert!(text.contains("consent"), "{text}");
}

fn token_for(claims: serde_json::Value) -> Arc<StaticTokenProvider> {
    Arc::new(StaticTokenProvider::new(fake_jwt(&claims)))
}

#[tokio::test]
async fn good_token_passes_and_audience_forms_are_accepted() {
    for aud in [
        "https://api.securitycenter.microsoft.com",
        "https://api.securitycenter.microsoft.com/",
        "https://api.security.microsoft.com",
        "https://securitycenter.onmicrosoft.com/windowsatpservice/",
        "fc780465-2017-40d4-a0c5-307022471b92",
    ] {
        let provider =
            token_for(json!({"tid": TENANT_A, "aud": aud, "roles": ["Alert.ReadWrite.All"]}));
        let report = verify_access(provider.as_ref(), &tenant(TENANT_A), &Endpoints::default())
            .await
            .unwrap();
        assert!(report.is_ok(), "{aud}: {report}");
    }
}

#[tokio::test]
async fn wrong_tenant_and_wrong_audience_are_reported() {
    let provider = token_for(json!({
        "tid": "99999999-0000-0000-0000-000000000009",
        "aud": "https://graph.microsoft.com",
        "roles": ["Alert.Read.All"],
    }));
    let report = verify_access(provider.as_ref(), &tenant(TENANT_A), &Endpoints::default())
        .await
        .unwrap();
    assert!(report.has(ProblemKind::WrongTenant), "{report}");
    assert!(report.has(ProblemKind::WrongAudience), "{report}");
    assert!(!report.has(ProblemKind::MissingRole));
    assert!(report.to_string().contains("not the customer's"));

    // A gov token checked against the public cloud is the wrong audience too.
    let gov = token_for(
        json!({"tid": TENANT_A, "aud": "https://api-gov.securitycenter.microsoft.us", "roles": ["Alert.Read.All"]}),
    );
    let public = verify_access(gov.as_ref(), &tenant(TENANT_A), &Endpoints::default())
        .await
        .unwrap();
    assert!(public.has(ProblemKind::WrongAudience));
    let gov_ok = verify_access(
        gov.as_ref(),
        &tenant(TENANT_A),
        &Endpoints::new(Cloud::GccHigh),
    )
    .await
    .unwrap();
    assert!(gov_ok.is_ok(), "{gov_ok}");
}

#[tokio::test]
async fn graph_check_wants_security_alert_read_all() {
    let server = MockServer::start().await;
    let provider = token_for(json!({
        "tid": TENANT_A, "aud": "https://graph.microsoft.com", "roles": ["Alert.Read.All"],
    }));
    let client = client(&server, provider);
    let report = client.verify_graph_access(&tenant(TENANT_A)).await.unwrap();
    assert!(report.has(ProblemKind::MissingRole));
    assert!(report.to_string().contains("SecurityAlert.Read.All"));
}

/// Before consent Entra answers AADSTS700016: a report, not an error.
#[tokio::test]
async fn refused_token_becomes_a_report_with_the_fix() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/{TENANT_A}/oauth2/v2.0/token")))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "unauthorized_client",
            "error_description": "AADSTS700016: Application with identifier 'x' was not found in the directory 'y'.",
            "error_codes": [700016],
            "trace_id": "trace-1",
            "correlation_id": "corr-1",
        })))
        .expect(1)
        .mount(&server)
        .await;
    let provider = ClientSecretCredential::new(CLIENT_ID, Secret::new("client-secret-value"))
        .unwrap()
        .with_endpoints(&endpoints(&server))
        .with_retry(RetryPolicy::never())
        .cached();
    let report = verify_access(&provider, &tenant(TENANT_A), &endpoints(&server))
        .await
        .unwrap();
    assert!(report.has(ProblemKind::TokenRefused));
    let text = report.to_string();
    assert!(text.contains("AADSTS700016"), "{text}");
    assert!(text.contains("has not consented to your app yet"), "{text}");
    assert!(text.contains("consent URL"), "{text}");
    assert!(text.contains("trace-1"), "{text}");
    assert!(!text.contains("client-secret-value"));
}

#[tokio::test]
async fn opaque_token_is_reported_as_unreadable() {
    let provider = StaticTokenProvider::new("not-a-jwt");
    let report = verify_access(&provider, &tenant(TENANT_A), &Endpoints::default())
        .await
        .unwrap();
    assert!(report.has(ProblemKind::UnreadableToken));
}
