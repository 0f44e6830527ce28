//! The simulated Entra token endpoints: every AADSTS error in its real
//! shape, v1 and v2 grants, assertions, rotated refresh tokens, discovery
//! and admin consent.

use crate::sim_support;

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use defender_siem::simulator::Simulator;
use serde_json::{Value, json};
use sim_support::*;

fn claims(token: &str) -> Value {
    let part = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

#[tokio::test]
async fn v2_client_credentials_issue_jwt_shaped_tokens() {
    let sim = quiet()
        .tenants(2)
        .token_lifetime(Duration::from_secs(1234))
        .start()
        .await
        .unwrap();
    let tenant = sim.tenants()[1].clone();
    let reply = token_request(
        &sim,
        &tenant.id,
        "v2.0/token",
        &client_credentials(&sim, sim.client_secret(), MDE_SCOPE),
    )
    .await;
    let body = reply.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 1234);
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(token.split('.').count(), 3);
    let c = claims(token);
    assert_eq!(c["tid"], tenant.id.as_str());
    assert_eq!(c["aud"], "https://api.securitycenter.microsoft.com");
    assert_eq!(c["roles"], json!(["Alert.Read.All"]));
    assert_eq!(c["appid"], sim.client_id());
    assert_eq!(
        c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(),
        1234
    );
    assert_eq!(c["nbf"], c["iat"]);
    assert!(c["iss"].as_str().unwrap().contains(&tenant.id));
    let graph = claims(&token_for(&sim, &tenant.domain, GRAPH_SCOPE).await);
    assert_eq!(graph["aud"], "https://graph.microsoft.com");
    assert_eq!(graph["roles"], json!(["SecurityAlert.Read.All"]));
    assert_eq!(sim.stats().tenants[&tenant.id].tokens_issued, 2);
}

async fn token_for(sim: &Simulator, tenant: &str, scope: &str) -> String {
    token(sim, tenant, scope).await
}

#[tokio::test]
async fn every_aadsts_error_has_the_real_shape() {
    let sim = quiet().tenants(2).not_consented(1).start().await.unwrap();
    let t0 = sim.tenants()[0].id.clone();
    let t1 = sim.tenants()[1].id.clone();
    let secret = sim.client_secret().to_owned();

    let wrong_secret = token_request(
        &sim,
        &t0,
        "v2.0/token",
        &client_credentials(&sim, "the-secret-id-not-its-value", MDE_SCOPE),
    )
    .await;
    assert_entra_error(&wrong_secret, 401, "invalid_client", 7000215);

    let unknown = token_request(
        &sim,
        "00000000-1111-2222-3333-444444444444",
        "v2.0/token",
        &client_credentials(&sim, &secret, MDE_SCOPE),
    )
    .await;
    assert_entra_error(&unknown, 400, "invalid_request", 90002);

    let not_consented = token_request(
        &sim,
        &t1,
        "v2.0/token",
        &client_credentials(&sim, &secret, MDE_SCOPE),
    )
    .await;
    assert_entra_error(&not_consented, 400, "unauthorized_client", 700016);

    let wrong_app = token_request(
        &sim,
        &t0,
        "v2.0/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "11111111-2222-3333-4444-555555555555"),
            ("client_secret", &secret),
            ("scope", MDE_SCOPE),
        ],
    )
    .await;
    assert_entra_error(&wrong_app, 400, "unauthorized_client", 700016);

    for scope in [
        "https://api.securitycenter.microsoft.com",
        "https://foo.microsoft.com/.default",
        "https://graph.microsoft.com/.default https://api.securitycenter.microsoft.com/.default",
    ] {
        let bad_scope = token_request(
            &sim,
            &t0,
            "v2.0/token",
            &client_credentials(&sim, &secret, scope),
        )
        .await;
        assert_entra_error(&bad_scope, 400, "invalid_scope", 70011);
    }

    let no_credential = token_request(
        &sim,
        &t0,
        "v2.0/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", sim.client_id()),
            ("scope", MDE_SCOPE),
        ],
    )
    .await;
    assert_entra_error(&no_credential, 401, "invalid_client", 7000218);

    let v1_bad_resource = token_request(
        &sim,
        &t0,
        "token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", sim.client_id()),
            ("client_secret", &secret),
            ("resource", "https://foo.microsoft.com"),
        ],
    )
    .await;
    assert_entra_error(&v1_bad_resource, 400, "invalid_resource", 500011);

    let grant = token_request(
        &sim,
        &t0,
        "v2.0/token",
        &[("grant_type", "password"), ("client_id", sim.client_id())],
    )
    .await;
    assert_entra_error(&grant, 400, "unsupported_grant_type", 70003);

    let stats = sim.stats();
    assert_eq!(stats.tenants[&t0].tokens_issued, 0);
    assert!(stats.tenants[&t0].token_errors >= 8);
}

#[tokio::test]
async fn admin_consent_redirects_and_unlocks_the_tenant() {
    let sim = quiet().tenants(1).not_consented(0).start().await.unwrap();
    let tenant = sim.tenants()[0].id.clone();
    let before = token_request(
        &sim,
        &tenant,
        "v2.0/token",
        &client_credentials(&sim, sim.client_secret(), MDE_SCOPE),
    )
    .await;
    assert_entra_error(&before, 400, "unauthorized_client", 700016);

    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let url = sim
        .authority_url()
        .join(&format!("{tenant}/adminconsent?client_id={}&redirect_uri=https%3A%2F%2Fmssp.example%2Fconsented&state=abc", sim.client_id()))
        .unwrap();
    let reply = no_redirect.get(url).send().await.unwrap();
    assert_eq!(reply.status(), 302);
    let location = reply.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("https://mssp.example/consented?"),
        "{location}"
    );
    assert!(
        location.contains("admin_consent=True")
            && location.contains(&format!("tenant={tenant}"))
            && location.contains("state=abc"),
        "{location}"
    );

    token(&sim, &tenant, MDE_SCOPE).await;
}

#[tokio::test]
async fn client_assertions_are_accepted_when_they_name_the_client() {
    let sim = quiet().tenants(1).start().await.unwrap();
    let tenant = sim.tenants()[0].id.clone();
    let jwt = |claims: Value| {
        format!(
            "{}.{}.c2lnbmF0dXJl",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT","x5t":"abc"}"#),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        )
    };
    let exp = sim.now().timestamp() + 600;
    let good = jwt(json!({"iss": sim.client_id(), "sub": sim.client_id(), "aud": "x", "exp": exp}));
    let form = |assertion: &str| {
        vec![
            ("grant_type".to_owned(), "client_credentials".to_owned()),
            ("client_id".to_owned(), sim.client_id().to_owned()),
            (
                "client_assertion_type".to_owned(),
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_owned(),
            ),
            ("client_assertion".to_owned(), assertion.to_owned()),
            ("scope".to_owned(), MDE_SCOPE.to_owned()),
        ]
    };
    let post = |f: Vec<(String, String)>| {
        let url = sim
            .authority_url()
            .join(&format!("{tenant}/oauth2/v2.0/token"))
            .unwrap();
        async move { read(client().post(url).form(&f).send().await.unwrap()).await }
    };
    let ok = post(form(&good)).await;
    assert_eq!(ok.status, 200, "{}", String::from_utf8_lossy(&ok.body));
    let other = jwt(json!({"iss": "someone-else", "sub": "someone-else", "exp": exp}));
    assert_entra_error(&post(form(&other)).await, 401, "invalid_client", 700021);
    assert_entra_error(&post(form("garbage")).await, 400, "invalid_request", 50027);
}

#[tokio::test]
async fn v1_grants_and_rotated_refresh_tokens() {
    let sim = quiet()
        .tenants(1)
        .refresh_token_lifetime(Duration::from_secs(90 * 86_400))
        .start()
        .await
        .unwrap();
    let tenant = sim.tenants()[0].id.clone();
    let resource = "https://api.securitycenter.microsoft.com";
    let v1 = token_request(
        &sim,
        &tenant,
        "token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", sim.client_id()),
            ("client_secret", sim.client_secret()),
            ("resource", resource),
        ],
    )
    .await;
    let body = v1.json();
    assert_eq!(v1.status, 200, "{body}");
    assert!(
        body["expires_in"].is_string() && body["expires_on"].is_string(),
        "v1 sends numbers as strings: {body}"
    );
    assert_eq!(body["resource"], resource);
    assert!(
        body.get("refresh_token").is_none(),
        "client credentials give no refresh token"
    );

    let first = sim.issue_refresh_token(&tenant).unwrap();
    let refresh = |rt: String| {
        let sim = &sim;
        let tenant = tenant.clone();
        async move {
            token_request(
                sim,
                &tenant,
                "token",
                &[
                    ("grant_type", "refresh_token"),
                    ("client_id", sim.client_id()),
                    ("refresh_token", &rt),
                    ("resource", resource),
                ],
            )
            .await
        }
    };
    let r1 = refresh(first.clone()).await;
    assert_eq!(r1.status, 200, "{}", String::from_utf8_lossy(&r1.body));
    let second = r1.json()["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(second, first, "refresh tokens rotate");
    assert_eq!(
        claims(r1.json()["access_token"].as_str().unwrap())["roles"],
        json!(["Alert.Read.All"])
    );
    // The old one is spent.
    assert_entra_error(&refresh(first).await, 400, "invalid_grant", 700082);
    // Unknown ones are refused the same way.
    assert_entra_error(
        &refresh("0.SIMnope".into()).await,
        400,
        "invalid_grant",
        700082,
    );
    // The current one expires after 90 idle days.
    sim.advance(Duration::from_secs(91 * 86_400));
    assert_entra_error(&refresh(second).await, 400, "invalid_grant", 700082);

    // Also served over HTTP for out-of-process users.
    let url = sim
        .api_base()
        .join(&format!("_sim/refresh_token?tenant={tenant}"))
        .unwrap();
    let fresh = read(client().get(url).send().await.unwrap()).await.json()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(refresh(fresh).await.status, 200);
}

#[tokio::test]
async fn openid_discovery_points_at_the_simulator() {
    let sim = quiet().tenants(1).start().await.unwrap();
    let tenant = sim.tenants()[0].clone();
    for key in [&tenant.id, &tenant.domain] {
        let url = sim
            .authority_url()
            .join(&format!("{key}/v2.0/.well-known/openid-configuration"))
            .unwrap();
        let doc = read(client().get(url).send().await.unwrap()).await.json();
        let base = sim.authority_url().to_string();
        assert_eq!(
            doc["token_endpoint"],
            format!("{base}{}/oauth2/v2.0/token", tenant.id)
        );
        assert_eq!(doc["issuer"], format!("{base}{}/v2.0", tenant.id));
        let jwks = read(
            client()
                .get(doc["jwks_uri"].as_str().unwrap())
                .send()
                .await
                .unwrap(),
        )
        .await
        .json();
        assert_eq!(jwks, json!({"keys": []}));
        assert!(doc["authorization_endpoint"].is_string());
    }
    let url = sim
        .authority_url()
        .join("nosuchtenant.onmicrosoft.com/v2.0/.well-known/openid-configuration")
        .unwrap();
    let reply = read(client().get(url).send().await.unwrap()).await;
    assert_entra_error(&reply, 400, "invalid_tenant", 90002);
}
