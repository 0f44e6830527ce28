//! `Debug` of every config, credential, provider and client never shows a
//! secret value.

use crate::net;

use std::sync::Arc;

use chrono::Utc;
use defender_siem::Secret;
use defender_siem::auth::{
    AccessToken, CertificateCredential, ClientSecretCredential, MemoryRefreshTokenStore,
    RefreshTokenCredential, StaticTokenProvider, TokenSource,
};
use defender_siem::client::DefenderClient;
use defender_siem::transport::HttpSettings;
use net::{CLIENT_ID, TENANT_A, auth_fixture, tenant};

const SECRET: &str = "Zq8~distinctive-client-secret-9xW";
const REFRESH: &str = "AwABAAAA-distinctive-refresh-token";
const BEARER: &str = "eyJ-distinctive-bearer-token";
const PROXY_PASSWORD: &str = "proxy-pa55word-distinctive";

fn assert_clean(what: &str, text: &str, key_fragment: &str) {
    for needle in [SECRET, REFRESH, BEARER, PROXY_PASSWORD, key_fragment] {
        assert!(!text.contains(needle), "{what} leaks `{needle}`: {text}");
    }
}

#[test]
fn no_debug_output_contains_a_secret() {
    let key = auth_fixture("test_app.key.pem");
    let key_text = String::from_utf8(key.clone()).unwrap();
    // A distinctive line from the middle of the private key.
    let key_fragment = key_text.lines().nth(5).unwrap().to_owned();

    let secret = ClientSecretCredential::new(CLIENT_ID, Secret::new(SECRET)).unwrap();
    let cert =
        CertificateCredential::new(CLIENT_ID, &key, &auth_fixture("test_app.cert.pem")).unwrap();
    let store =
        Arc::new(MemoryRefreshTokenStore::new().with(tenant(TENANT_A), Secret::new(REFRESH)));
    let refresh =
        RefreshTokenCredential::new(CLIENT_ID, Some(Secret::new(SECRET)), store.clone()).unwrap();
    let cached = secret.clone().cached();
    let settings = HttpSettings::new().proxy(
        format!("http://bob:{PROXY_PASSWORD}@proxy.example:3128")
            .parse()
            .unwrap(),
    );
    let builder = DefenderClient::builder()
        .token_provider(Arc::new(StaticTokenProvider::new(BEARER)))
        .proxy(
            format!("http://bob:{PROXY_PASSWORD}@proxy.example:3128")
                .parse()
                .unwrap(),
        );
    let builder_text = format!("{builder:?}");
    let client = builder.build().unwrap();
    let token = AccessToken::new(BEARER, Utc::now());

    for (what, text) in [
        ("ClientSecretCredential", format!("{secret:?}")),
        ("CertificateCredential", format!("{cert:?}")),
        ("RefreshTokenCredential", format!("{refresh:?}")),
        ("MemoryRefreshTokenStore", format!("{store:?}")),
        ("CachedTokenProvider", format!("{cached:?}")),
        ("HttpSettings", format!("{settings:?}")),
        ("DefenderClientBuilder", builder_text),
        ("DefenderClient", format!("{client:?}")),
        ("AccessToken", format!("{token:?}")),
        (
            "alternate Debug",
            format!("{secret:#?} {cert:#?} {refresh:#?} {client:#?}"),
        ),
    ] {
        assert_clean(what, &text, &key_fragment);
    }
    assert!(format!("{secret:?}").contains(CLIENT_ID));
}
