//! No secret ever shows in `Debug`, `Display` or error text: client
//! secrets, certificate keys, refresh tokens, bearer tokens, the HEC token,
//! the Sentinel app secret and the SMTP password, each set to a distinctive
//! canary value. Errors never carry a URL query string either.

#![cfg(all(
    feature = "splunk",
    feature = "sentinel",
    feature = "syslog",
    feature = "email"
))]

use crate::net;
use crate::sink_support;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use defender_siem::auth::{
    AccessToken, CertificateCredential, ClientSecretCredential, MemoryRefreshTokenStore,
    PerTenantTokenProvider, RefreshTokenCredential, StaticTokenProvider, TokenProvider,
    TokenSource,
};
use defender_siem::checkpoint::MemoryCheckpointStore;
use defender_siem::client::{DefenderClient, RateLimits};
use defender_siem::cloud::{Cloud, Endpoints};
use defender_siem::config::ForwarderConfig;
use defender_siem::forward::Forwarder;
use defender_siem::models::Severity;
use defender_siem::retry::RetryPolicy;
use defender_siem::simulator::Simulator;
use defender_siem::sink::AlertSink;
use defender_siem::sink::email::{EmailSink, NotificationRule};
use defender_siem::sink::sentinel::SentinelSink;
use defender_siem::sink::splunk_hec::SplunkHecSink;
use defender_siem::sink::syslog::SyslogSink;
use defender_siem::{Secret, TenantId, TenantInfo};
use url::Url;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

const CLIENT_SECRET: &str = "SECRET-CANARY-7f3a-client-secret";
const HEC_TOKEN: &str = "SECRET-CANARY-7f3a-hec-token";
const BEARER: &str = "SECRET-CANARY-7f3a-bearer";
const REFRESH: &str = "SECRET-CANARY-7f3a-refresh";
const SENTINEL_SECRET: &str = "SECRET-CANARY-7f3a-sentinel";
const SMTP_PASSWORD: &str = "SECRET-CANARY-7f3a-smtp";
const ENV_SECRET: &str = "SECRET-CANARY-7f3a-from-env";
const SYSLOG_KEY: &str = "SECRET-CANARY-7f3a-syslog-key";

/// Every canary, and the part they share (so a cut-off secret is caught).
fn assert_clean(what: &str, text: &str) {
    assert!(
        !text.contains("SECRET-CANARY"),
        "{what} leaks a secret: {text}"
    );
}

/// No URL query string: nothing after a `?`, no OData parameter.
fn assert_no_query(what: &str, text: &str) {
    for needle in ["?", "$filter", "$top", "token=", "lastUpdateTime ge"] {
        assert!(!text.contains(needle), "{what} shows `{needle}`: {text}");
    }
}

fn error_text(err: &(dyn std::error::Error + 'static)) -> String {
    format!("{} | {err:?} | {err:#?}", crate::support::error_chain(err))
}

fn rule() -> NotificationRule {
    NotificationRule::builder("High to on-call")
        .severities([Severity::High])
        .recipient("oncall@mssp.example")
        .build()
        .unwrap()
}

#[test]
fn credentials_providers_and_client_hide_their_secrets() {
    let key = net::auth_fixture("test_app.key.pem");
    let key_text = String::from_utf8(key.clone()).unwrap();
    let key_line = key_text.lines().nth(5).unwrap().to_owned();

    let secret = ClientSecretCredential::new(net::CLIENT_ID, Secret::new(CLIENT_SECRET)).unwrap();
    let cert = CertificateCredential::new(
        net::CLIENT_ID,
        &key,
        &net::auth_fixture("test_app.cert.pem"),
    )
    .unwrap();
    let store = Arc::new(
        MemoryRefreshTokenStore::new().with(net::tenant(net::TENANT_A), Secret::new(REFRESH)),
    );
    let refresh =
        RefreshTokenCredential::new(net::CLIENT_ID, Some(Secret::new(CLIENT_SECRET)), store)
            .unwrap();
    let fixed = Arc::new(StaticTokenProvider::new(BEARER));
    let cached = Arc::new(secret.clone().cached());
    let per_tenant = PerTenantTokenProvider::new()
        .with_tenant(net::tenant(net::TENANT_A), cached.clone())
        .with_tenant(
            net::tenant(net::TENANT_B),
            Arc::new(refresh.clone().cached()),
        )
        .with_fallback(fixed.clone());
    let builder = DefenderClient::builder().token_provider(Arc::new(per_tenant.clone()));
    let builder_text = format!("{builder:?}");
    let client = builder.build().unwrap();
    let token = AccessToken::new(BEARER, Utc::now());

    for (what, text) in [
        ("ClientSecretCredential", format!("{secret:?} {secret:#?}")),
        ("CertificateCredential", format!("{cert:?} {cert:#?}")),
        (
            "RefreshTokenCredential",
            format!("{refresh:?} {refresh:#?}"),
        ),
        ("StaticTokenProvider", format!("{fixed:?}")),
        ("CachedTokenProvider", format!("{cached:?}")),
        ("PerTenantTokenProvider", format!("{per_tenant:#?}")),
        ("DefenderClientBuilder", builder_text),
        ("DefenderClient", format!("{client:?} {client:#?}")),
        ("AccessToken", format!("{token:?}")),
    ] {
        assert_clean(what, &text);
        assert!(!text.contains(&key_line), "{what} leaks the private key");
    }
}

#[test]
fn sinks_and_their_builders_hide_their_secrets() {
    let hec = SplunkHecSink::builder("https://splunk.example:8088", HEC_TOKEN);
    let hec_builder = format!("{hec:?} {hec:#?}");
    let hec = hec.build().unwrap();

    let sentinel_tokens = Arc::new(
        ClientSecretCredential::new(net::CLIENT_ID, Secret::new(SENTINEL_SECRET))
            .unwrap()
            .cached(),
    );
    let sentinel = SentinelSink::builder(
        "https://dce-1.eastus-1.ingest.monitor.azure.com",
        "dcr-000a00a000a00000a000000aa000a0aa",
        "Custom-DefenderAlerts_CL",
        sentinel_tokens,
        TenantId::new("mssp.onmicrosoft.com").unwrap(),
    );
    let sentinel_builder = format!("{sentinel:?} {sentinel:#?}");
    let sentinel = sentinel.build().unwrap();

    let pki = sink_support::certs::test_pki();
    let syslog = SyslogSink::tls("siem.example:6514", "siem.example")
        .client_cert_pem(pki.server_cert_pem.clone(), SYSLOG_KEY);
    let syslog_builder = format!("{syslog:?}");
    let key_line = pki.server_key_pem.lines().nth(1).unwrap().to_owned();
    let syslog_sink = SyslogSink::tls("siem.example:6514", "siem.example")
        .client_cert_pem(pki.server_cert_pem.clone(), pki.server_key_pem.clone())
        .build()
        .unwrap();
    let syslog_sink_text = format!("{syslog_sink:?} {syslog_sink:#?}");
    assert!(
        !syslog_sink_text.contains(&key_line),
        "SyslogSink leaks its key"
    );

    let email = EmailSink::builder("notify", "smtps://mail.example:465".parse::<Url>().unwrap())
        .from("soc@mssp.example")
        .credentials("soc", SMTP_PASSWORD)
        .rule(rule());
    let email_builder = format!("{email:?}");
    let email = email.build().unwrap();

    for (what, text) in [
        ("SplunkHecBuilder", hec_builder),
        ("SplunkHecSink", format!("{hec:?} {hec:#?}")),
        ("SentinelBuilder", sentinel_builder),
        ("SentinelSink", format!("{sentinel:?} {sentinel:#?}")),
        ("SyslogBuilder", syslog_builder),
        ("SyslogSink", syslog_sink_text),
        ("EmailSinkBuilder", email_builder),
        ("EmailSink", format!("{email:?} {email:#?}")),
    ] {
        assert_clean(what, &text);
    }
}

fn config_text(checkpoints: &std::path::Path) -> String {
    format!(
        r#"
[defaults]
authority_host = "http://127.0.0.1:9"
api_base = "http://127.0.0.1:9"
checkpoint_dir = "{dir}"

[[tenants]]
id = "a839b112-1253-6432-9bf6-94542403f21c"
name = "Contoso"
client_id = "11111111-2222-3333-4444-555555555555"
client_secret = "{CLIENT_SECRET}"

[[tenants]]
id = "fabrikam.onmicrosoft.com"
client_id = "11111111-2222-3333-4444-555555555555"
client_secret = "${{SECURITY_TEST_SECRET}}"

[[sinks]]
name = "splunk"
type = "splunk_hec"
url = "https://splunk.example:8088"
token = "{HEC_TOKEN}"

[[sinks]]
name = "sentinel"
type = "sentinel"
endpoint = "https://dce-1.eastus-1.ingest.monitor.azure.com"
dcr_immutable_id = "dcr-000a00a000a00000a000000aa000a0aa"
stream = "Custom-DefenderAlerts_CL"
tenant_id = "b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c"
client_id = "22222222-2222-3333-4444-555555555555"
client_secret = "{SENTINEL_SECRET}"

[[sinks]]
name = "notify"
type = "email"
smtp = "smtps://mail.example:465"
from = "soc@mssp.example"
username = "soc"
password = "{SMTP_PASSWORD}"
[[sinks.rules]]
name = "High"
severities = ["High"]
recipients = ["oncall@mssp.example"]
"#,
        dir = checkpoints.display()
    )
}

fn lookup(name: &str) -> Option<String> {
    (name == "SECURITY_TEST_SECRET").then(|| ENV_SECRET.to_owned())
}

#[tokio::test]
async fn a_forwarder_config_and_its_forwarder_hide_every_secret() {
    let dir = tempfile::tempdir().unwrap();
    let config =
        ForwarderConfig::parse_with_lookup(&config_text(dir.path()), "f.toml", lookup).unwrap();
    assert_eq!(config.tenants[1].client_secret.expose(), ENV_SECRET);
    assert_clean("ForwarderConfig", &format!("{config:?} {config:#?}"));
    let forwarder = config.build().unwrap();
    assert_clean("Forwarder", &format!("{forwarder:?} {forwarder:#?}"));
    // A cycle against nothing (port 9 refuses): every error and the status
    // board stay clean.
    let report = forwarder.run_once().await;
    assert!(!report.is_success());
    let text = format!("{report:?} {:?}", forwarder.status());
    assert_clean("CycleReport and status", &text);
    assert_no_query("CycleReport and status", &text);
}

#[test]
fn config_errors_never_quote_a_secret() {
    let tenant = "[[tenants]]\nid = \"t1.example\"\nclient_id = \"c\"\n";
    let cases = [
        // A syntax error on the line that holds the secret, in every
        // spelling of the key.
        format!("{tenant}client_secret = \"{CLIENT_SECRET}\" junk\n"),
        format!("{tenant}\"client_secret\" = \"{CLIENT_SECRET}\" junk\n"),
        format!("{tenant}'client_secret' = '{CLIENT_SECRET}' junk\n"),
        format!("{tenant}CLIENT_SECRET = \"{CLIENT_SECRET}\" junk\n"),
        format!(
            "{tenant}client_secret = \"s\"\n[[sinks]]\nname = \"a\"\ntype = \"splunk_hec\"\nurl = \"https://h\"\ntoken=\"{HEC_TOKEN}\"x\n"
        ),
        format!(
            "tenants = [{{ id = \"t1.example\", client_id = \"c\", client_secret = \"{CLIENT_SECRET}\" }}] junk\n"
        ),
        format!(
            "{tenant}client_secret = \"s\"\nsinks = [{{ name = \"a\", type = \"splunk_hec\", url = \"https://h\", token = \"{HEC_TOKEN}\", bad = 1 }}]\n"
        ),
        // A secret where another type is expected, or in a wrong place.
        format!("{tenant}client_secret = \"s\"\nunknown_key = \"{CLIENT_SECRET}\"\n"),
        format!(
            "{tenant}client_secret = \"s\"\n[[sinks]]\nname = \"a\"\ntype = \"file\"\npath = \"x\"\ntoken = \"{HEC_TOKEN}\"\n"
        ),
    ];
    for text in cases {
        let err = ForwarderConfig::parse_with_lookup(&text, "f.toml", lookup).unwrap_err();
        assert_clean(&format!("error for {text:?}"), &error_text(&err));
    }
}

#[test]
fn sink_endpoints_with_a_query_are_refused_without_echoing_it() {
    let url = format!("https://splunk.example:8088/services/collector?token={HEC_TOKEN}");
    let err = SplunkHecSink::builder(&url, "t").build().unwrap_err();
    assert_clean("HEC endpoint error", &error_text(&err));
    let err = SentinelSink::builder(
        &format!("https://dce.example/?sig={SENTINEL_SECRET}"),
        "dcr-000a00a000a00000a000000aa000a0aa",
        "Custom-DefenderAlerts_CL",
        Arc::new(StaticTokenProvider::new("t")),
        TenantId::new("mssp.onmicrosoft.com").unwrap(),
    )
    .build()
    .unwrap_err();
    assert_clean("Sentinel endpoint error", &error_text(&err));
}

async fn simulator() -> Simulator {
    Simulator::builder()
        .tenants(2)
        .alerts_per_tenant(5)
        .manual_clock()
        .no_throttling()
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn entra_errors_from_a_wrong_secret_do_not_repeat_it() {
    let sim = simulator().await;
    let tenant = TenantId::new(&sim.tenants()[0].id).unwrap();
    let wrong = ClientSecretCredential::new(sim.client_id(), Secret::new(CLIENT_SECRET))
        .unwrap()
        .with_endpoints(&sim.endpoints())
        .with_retry(RetryPolicy::never())
        .cached();
    let err = wrong
        .token(&tenant, "https://api.securitycenter.microsoft.com/.default")
        .await
        .unwrap_err();
    let text = error_text(&err);
    assert!(text.contains("AADSTS7000215"), "{text}");
    assert_clean("Entra error", &text);

    // The same through the client, and through a forwarder's report.
    let client = DefenderClient::builder()
        .token_provider(Arc::new(wrong))
        .endpoints(sim.endpoints())
        .retry_policy(RetryPolicy::never())
        .rate_limits(RateLimits::unlimited())
        .build()
        .unwrap();
    let err = client.alerts(&tenant).top(3).send().await.unwrap_err();
    assert_clean("client error", &error_text(&err));
    assert_no_query("client error", &err.to_string());
    let forwarder = Forwarder::builder()
        .source(Arc::new(client))
        .tenant(TenantInfo::new(tenant, "Contoso"))
        .checkpoint_store(Arc::new(MemoryCheckpointStore::new()))
        .sink(Arc::new(defender_siem::sink::MemorySink::named("m")))
        .build()
        .unwrap();
    let report = forwarder.run_once().await;
    assert!(!report.is_success());
    let text = format!("{report:?} {:?}", forwarder.status());
    assert_clean("forwarder report", &text);
    assert_no_query("forwarder report", &text);
}

#[tokio::test]
async fn api_errors_do_not_repeat_the_bearer_token_or_the_query() {
    let sim = simulator().await;
    let tenant = TenantId::new(&sim.tenants()[0].id).unwrap();
    // A token the simulator did not issue: 401.
    let client = DefenderClient::builder()
        .token_provider(Arc::new(StaticTokenProvider::new(BEARER)))
        .endpoints(sim.endpoints())
        .retry_policy(RetryPolicy::never())
        .build()
        .unwrap();
    let err = client
        .alerts(&tenant)
        .updated_since("2026-01-01T00:00:00Z".parse().unwrap())
        .top(3)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401), "{err}");
    let text = error_text(&err);
    assert_clean("401 error", &text);
    assert_no_query("401 error", &err.to_string());

    // A 500 and a refused connection, for a query with a `$filter`.
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500).set_body_string("boom"))
        .mount(&server)
        .await;
    let tokens: Arc<dyn TokenProvider> = Arc::new(StaticTokenProvider::new(BEARER));
    for api in [server.uri(), "http://127.0.0.1:9".to_owned()] {
        let client = DefenderClient::builder()
            .token_provider(tokens.clone())
            .endpoints(Endpoints::new(Cloud::Public).with_mde_api(Url::parse(&api).unwrap()))
            .retry_policy(
                RetryPolicy::default()
                    .max_attempts(2)
                    .base_delay(Duration::from_millis(1))
                    .max_delay(Duration::from_millis(2)),
            )
            .build()
            .unwrap();
        let err = client
            .alerts(&tenant)
            .updated_since("2026-01-01T00:00:00Z".parse().unwrap())
            .severity(Severity::High)
            .top(3)
            .send()
            .await
            .unwrap_err();
        let text = error_text(&err);
        assert_clean("API error", &text);
        assert_no_query("API error", &text);
    }
}

#[tokio::test]
async fn sink_errors_do_not_repeat_their_secrets() {
    // HEC refuses the token.
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_json(serde_json::json!({"text":"Invalid token","code":4})),
        )
        .mount(&server)
        .await;
    let hec = SplunkHecSink::builder(&server.uri(), HEC_TOKEN)
        .build()
        .unwrap();
    let err = hec.send(&[sink_support::full()]).await.unwrap_err();
    assert_eq!(err.status(), Some(403));
    assert_eq!(err.code(), Some(4));
    assert_clean("HEC 403", &error_text(&err));
    let err = hec.health().await.unwrap_err();
    assert_clean("HEC health", &error_text(&err));

    // Sentinel's app secret is wrong (the simulator plays Entra).
    let sim = simulator().await;
    let tokens = Arc::new(
        ClientSecretCredential::new(sim.client_id(), Secret::new(SENTINEL_SECRET))
            .unwrap()
            .with_endpoints(&sim.endpoints())
            .with_retry(RetryPolicy::never())
            .cached(),
    );
    let sentinel = SentinelSink::builder(
        &server.uri(),
        "dcr-000a00a000a00000a000000aa000a0aa",
        "Custom-DefenderAlerts_CL",
        tokens,
        TenantId::new(&sim.tenants()[0].id).unwrap(),
    )
    .build()
    .unwrap();
    let err = sentinel.send(&[sink_support::full()]).await.unwrap_err();
    assert_clean("Sentinel token error", &error_text(&err));

    // The SMTP server cannot be reached.
    let email = EmailSink::builder("notify", "smtp+plain://127.0.0.1:9".parse::<Url>().unwrap())
        .from("soc@mssp.example")
        .credentials("soc", SMTP_PASSWORD)
        .rule(rule())
        .build()
        .unwrap();
    let err = email.send(&[sink_support::full()]).await.unwrap_err();
    assert_clean("email error", &error_text(&err));
}

#[tokio::test]
async fn a_hec_reply_that_echoes_the_token_does_not_put_it_into_the_error() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(403).set_body_json(
            serde_json::json!({"text": format!("Invalid token: Splunk {HEC_TOKEN}"), "code": 4}),
        ))
        .mount(&server)
        .await;
    let hec = SplunkHecSink::builder(&server.uri(), HEC_TOKEN)
        .build()
        .unwrap();
    let err = hec.send(&[sink_support::full()]).await.unwrap_err();
    let text = error_text(&err);
    assert_clean("HEC echo", &text);
    assert!(text.contains("Invalid token: Splunk ***"), "{text}");
}

#[tokio::test]
async fn a_sentinel_reply_that_echoes_the_bearer_token_does_not_put_it_into_the_error() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(400).set_body_string(format!(
            "bad request; you sent Authorization: Bearer {BEARER}"
        )))
        .mount(&server)
        .await;
    let sentinel = SentinelSink::builder(
        &server.uri(),
        "dcr-000a00a000a00000a000000aa000a0aa",
        "Custom-DefenderAlerts_CL",
        Arc::new(StaticTokenProvider::new(BEARER)),
        TenantId::new("mssp.onmicrosoft.com").unwrap(),
    )
    .build()
    .unwrap();
    let err = sentinel.send(&[sink_support::full()]).await.unwrap_err();
    let text = error_text(&err);
    assert_clean("Sentinel echo", &text);
    assert!(text.contains("Bearer ***"), "{text}");
}
