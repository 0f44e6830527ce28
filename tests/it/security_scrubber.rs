//! Stand-in servers that echo the secrets the crate sent (client secret,
//! refresh token, bearer token, HEC token, SMTP password) back in their
//! error replies, in every field and in several shapes (as sent,
//! URL-encoded, base64, after a CRLF with a forged `ERROR` log line, with
//! ESC sequences and bidi overrides). None of the secrets may appear in an
//! error's `Display` or `Debug`, in a forwarder's report or status, or in
//! its log; and no raw CR, LF or ESC may reach any of them.

#![cfg(all(feature = "splunk", feature = "sentinel", feature = "email"))]

use crate::net;
use crate::sink_support;

use std::io::Write as _;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use defender_siem::auth::{
    ClientSecretCredential, MemoryRefreshTokenStore, RefreshTokenCredential, StaticTokenProvider,
    TokenProvider, TokenSource,
};
use defender_siem::checkpoint::MemoryCheckpointStore;
use defender_siem::client::{DefenderClient, RateLimits};
use defender_siem::forward::Forwarder;
use defender_siem::models::Severity;
use defender_siem::retry::RetryPolicy;
use defender_siem::sink::email::{EmailSink, NotificationRule};
use defender_siem::sink::sentinel::SentinelSink;
use defender_siem::sink::splunk_hec::SplunkHecSink;
use defender_siem::sink::{AlertSink, MemorySink};
use defender_siem::{Secret, TenantInfo};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use url::Url;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Every secret holds `CANARY` (which every URL encoding keeps) and
/// characters that URL encoding changes (`~`, `/`, `+`).
const CLIENT_SECRET: &str = "CANARY~client/secret+Qx7.value";
const REFRESH: &str = "CANARY~refresh/token+0.AAAA-bbbb";
const HEC_TOKEN: &str = "CANARY-hec-0000-1111-2222-333344445555";
const SMTP_PASSWORD: &str = "CANARY~smtp/pass+word";
/// The bearer token: a JWT with the right tenant, whose signature part is
/// the canary.
fn bearer() -> String {
    let jwt = net::fake_jwt(&json!({
        "tid": net::TENANT_A,
        "aud": "https://api.securitycenter.microsoft.com",
        "roles": ["Alert.Read.All"],
        "exp": 4_102_444_800u64,
    }));
    let (head, _) = jwt.rsplit_once('.').unwrap();
    format!("{head}.CANARY-bearer-signature-0123456789")
}

fn form_encoded(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn percent_all(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// Every shape one secret is echoed in.
fn shapes(secret: &str) -> Vec<String> {
    vec![
        secret.to_owned(),
        form_encoded(secret),
        percent_all(secret).to_lowercase(),
        STANDARD.encode(secret),
        format!("x\r\nERROR forged line {secret}\r\n\u{1b}[2J\u{1b}]0;pwned\u{7}"),
    ]
}

/// The base64 forms must not leak either: a run of the secret's base64 is
/// a leak.
fn b64_probe(secret: &str) -> String {
    STANDARD.encode(secret)[2..14].to_owned()
}

fn assert_clean(what: &str, text: &str, secrets: &[&str]) {
    assert!(!text.contains("CANARY"), "{what} leaks a secret: {text}");
    for s in secrets {
        assert!(
            !text.contains(&b64_probe(s)),
            "{what} leaks a secret in base64: {text}"
        );
    }
    assert!(
        !text.contains(['\r', '\n', '\u{1b}', '\u{7}', '\u{202E}']),
        "{what} holds a raw control character: {text:?}"
    );
}

fn error_text(err: &(dyn std::error::Error + 'static)) -> String {
    format!("{} | {err:?}", crate::support::error_chain(err))
}

/// An Entra error body that echoes `secrets` in every field.
fn entra_echo(secrets: &[&str], shape: usize) -> Value {
    let echo = |s: &&str| shapes(s)[shape].clone();
    let all: Vec<String> = secrets.iter().map(echo).collect();
    let all = all.join(" ");
    json!({
        "error": format!("invalid_client {all}"),
        "error_description": format!("AADSTS7000215: Invalid client secret provided: {all}\r\nTrace ID: {all}"),
        "error_codes": [7000215],
        "timestamp": "2026-11-10 09:00:00Z",
        "trace_id": format!("{all}\u{202E}"),
        "correlation_id": all,
        "error_uri": format!("https://login.example/error?code=7000215&secret={all}"),
    })
}

#[tokio::test]
async fn entra_errors_that_echo_the_credentials_are_scrubbed() {
    for shape in 0..shapes("x").len() {
        // A token request with the client secret: the secret comes back.
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path_regex("/oauth2/"))
            .respond_with(
                ResponseTemplate::new(401).set_body_json(entra_echo(&[CLIENT_SECRET], shape)),
            )
            .mount(&server)
            .await;
        let endpoints = net::endpoints(&server);
        let scope = "https://api.securitycenter.microsoft.com/.default";
        let secret = ClientSecretCredential::new(net::CLIENT_ID, Secret::new(CLIENT_SECRET))
            .unwrap()
            .with_endpoints(&endpoints)
            .with_retry(RetryPolicy::never())
            .cached();
        let err = secret
            .token(&net::tenant(net::TENANT_A), scope)
            .await
            .unwrap_err();
        let text = error_text(&err);
        assert!(text.contains("AADSTS7000215"), "{text}");
        assert_clean(
            &format!("client secret, shape {shape}"),
            &text,
            &[CLIENT_SECRET],
        );

        // A refresh-token request (with the client secret too): both
        // come back.
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path_regex("/oauth2/"))
            .respond_with(
                ResponseTemplate::new(400)
                    .set_body_json(entra_echo(&[CLIENT_SECRET, REFRESH], shape)),
            )
            .mount(&server)
            .await;
        let endpoints = net::endpoints(&server);
        let store = Arc::new(
            MemoryRefreshTokenStore::new().with(net::tenant(net::TENANT_A), Secret::new(REFRESH)),
        );
        let refresh =
            RefreshTokenCredential::new(net::CLIENT_ID, Some(Secret::new(CLIENT_SECRET)), store)
                .unwrap()
                .with_endpoints(&endpoints)
                .with_retry(RetryPolicy::never())
                .cached();
        let err = refresh
            .token(&net::tenant(net::TENANT_A), scope)
            .await
            .unwrap_err();
        assert_clean(
            &format!("refresh token, shape {shape}"),
            &error_text(&err),
            &[CLIENT_SECRET, REFRESH],
        );
    }
}

/// A Defender error body that echoes `secret` in every field.
fn defender_echo(secret: &str, shape: usize) -> Value {
    let echo = shapes(secret)[shape].clone();
    json!({"error": {
        "code": format!("Forbidden{echo}"),
        "message": format!("The token Bearer {echo} is not allowed"),
        "target": echo,
        "innerError": {"request-id": format!("\u{202E}{echo}")},
    }})
}

use crate::support::logs::Logs;

#[tokio::test]
async fn defender_errors_that_echo_the_bearer_token_are_scrubbed_in_errors_reports_and_logs() {
    let bearer = bearer();
    for shape in 0..shapes("x").len() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path_regex("/oauth2/"))
            .respond_with(ResponseTemplate::new(200).set_body_json(net::token_body(&bearer, 3600)))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path_regex("/api/alerts"))
            .respond_with(ResponseTemplate::new(403).set_body_json(defender_echo(&bearer, shape)))
            .mount(&server)
            .await;
        let tokens: Arc<dyn TokenProvider> = Arc::new(
            ClientSecretCredential::new(net::CLIENT_ID, Secret::new(CLIENT_SECRET))
                .unwrap()
                .with_endpoints(&net::endpoints(&server))
                .with_retry(RetryPolicy::never())
                .cached(),
        );
        let client = DefenderClient::builder()
            .token_provider(tokens)
            .endpoints(net::endpoints(&server))
            .retry_policy(RetryPolicy::never())
            .rate_limits(RateLimits::unlimited())
            .build()
            .unwrap();
        let tenant = net::tenant(net::TENANT_A);
        let err = client.alerts(&tenant).top(3).send().await.unwrap_err();
        assert_eq!(err.status(), Some(403), "{err}");
        let text = error_text(&err);
        assert!(text.contains("Forbidden"), "{text}");
        assert_clean(&format!("API error, shape {shape}"), &text, &[&bearer]);

        // The same through a forwarder: its report, its status and its log.
        let (log, _guard) = Logs::capture(tracing::Level::TRACE);
        let forwarder = Forwarder::builder()
            .source(Arc::new(client))
            .tenant(TenantInfo::new(tenant, "Contoso"))
            .checkpoint_store(Arc::new(MemoryCheckpointStore::new()))
            .sink(Arc::new(MemorySink::named("m")))
            .build()
            .unwrap();
        let report = forwarder.run_once().await;
        assert!(!report.is_success());
        let text = format!("{report:?} {:?}", forwarder.status());
        assert!(text.contains("Forbidden"), "{text}");
        assert_clean(
            &format!("report and status, shape {shape}"),
            &text,
            &[&bearer],
        );
        let logged = log.text();
        assert!(logged.contains("Forbidden"), "nothing logged: {logged}");
        for line in logged.lines() {
            assert!(
                !line.trim_start().starts_with("ERROR forged"),
                "forged log line: {line}"
            );
            assert_clean("log line", line, &[&bearer]);
        }
    }
}

#[tokio::test]
async fn hec_and_sentinel_replies_that_echo_their_tokens_are_scrubbed() {
    let bearer = bearer();
    for shape in 0..shapes("x").len() {
        let hec_echo = shapes(HEC_TOKEN)[shape].clone();
        let server = MockServer::start().await;
        Mock::given(path_regex("/services/collector"))
            .respond_with(ResponseTemplate::new(403).set_body_json(
                json!({"text": format!("Invalid token: Splunk {hec_echo}\u{202E}"), "code": 4}),
            ))
            .mount(&server)
            .await;
        let sentinel_echo = shapes(&bearer)[shape].clone();
        Mock::given(path_regex("/dataCollectionRules/"))
            .respond_with(ResponseTemplate::new(400).set_body_string(format!(
                "bad request; you sent Authorization: Bearer {sentinel_echo}"
            )))
            .mount(&server)
            .await;

        let hec = SplunkHecSink::builder(&server.uri(), HEC_TOKEN)
            .build()
            .unwrap();
        let err = hec.send(&[sink_support::full()]).await.unwrap_err();
        let text = error_text(&err);
        assert!(text.contains("Invalid token"), "{text}");
        assert_clean(&format!("HEC, shape {shape}"), &text, &[HEC_TOKEN]);

        let sentinel = SentinelSink::builder(
            &server.uri(),
            "dcr-000a00a000a00000a000000aa000a0aa",
            "Custom-DefenderAlerts_CL",
            Arc::new(StaticTokenProvider::new(bearer.clone())),
            net::tenant(net::TENANT_A),
        )
        .build()
        .unwrap();
        let err = sentinel.send(&[sink_support::full()]).await.unwrap_err();
        let text = error_text(&err);
        assert!(text.contains("bad request"), "{text}");
        assert_clean(&format!("Sentinel, shape {shape}"), &text, &[&bearer]);
    }
}

/// A one-connection SMTP server that refuses the login and echoes what it
/// got (the base64 `AUTH PLAIN` blob and the decoded password), with a
/// forged line.
async fn echoing_smtp_server() -> (u16, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        let _ = write.write_all(b"220 mail.test ESMTP\r\n").await;
        while let Ok(Some(line)) = lines.next_line().await {
            let upper = line.to_ascii_uppercase();
            let reply = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                "250-mail.test\r\n250 AUTH PLAIN LOGIN\r\n".to_owned()
            } else if let Some(blob) = line.strip_prefix("AUTH PLAIN ") {
                let decoded = STANDARD
                    .decode(blob.trim())
                    .map(|d| String::from_utf8_lossy(&d).replace('\0', " "))
                    .unwrap_or_default();
                format!(
                    "535 5.7.8 rejected {blob} ({decoded}) \u{1b}[31m\u{202E} {}\r\n",
                    form_encoded(SMTP_PASSWORD)
                )
            } else if upper.starts_with("QUIT") {
                let _ = write.write_all(b"221 bye\r\n").await;
                return;
            } else {
                "502 5.5.2 what\r\n".to_owned()
            };
            if write.write_all(reply.as_bytes()).await.is_err() {
                return;
            }
        }
    });
    (port, task)
}

#[tokio::test]
async fn smtp_replies_that_echo_the_password_are_scrubbed() {
    let (port, server) = echoing_smtp_server().await;
    let rule = NotificationRule::builder("High")
        .severities([Severity::High])
        .recipient("oncall@mssp.example")
        .build()
        .unwrap();
    let email = EmailSink::builder(
        "notify",
        format!("smtp+plain://127.0.0.1:{port}")
            .parse::<Url>()
            .unwrap(),
    )
    .from("soc@mssp.example")
    .credentials("soc", SMTP_PASSWORD)
    .rule(rule)
    .build()
    .unwrap();
    let err = email.send(&[sink_support::full()]).await.unwrap_err();
    let text = error_text(&err);
    assert!(
        text.contains("535"),
        "the server's reply is not shown: {text}"
    );
    assert!(text.contains("rejected"), "{text}");
    assert_clean("SMTP error", &text, &[SMTP_PASSWORD]);
    let mut blob = Vec::new();
    let _ = write!(blob, "\0soc\0{SMTP_PASSWORD}");
    let blob = STANDARD.encode(&blob);
    assert!(!text.contains(&blob[8..20]), "{text}");
    server.abort();
}
