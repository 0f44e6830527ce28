//! TLS certificate verification is on by default in the Defender client,
//! the Entra token requests and every sink; the explicit
//! `danger_accept_invalid_certs(true)` turns it off and logs a warning.
//!
//! The peer is a local TLS server with a self-signed certificate for
//! 127.0.0.1 that counts completed handshakes.

#![cfg(all(
    feature = "splunk",
    feature = "sentinel",
    feature = "syslog",
    feature = "email"
))]

use crate::net;
use crate::sink_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use defender_siem::auth::{
    ClientSecretCredential, StaticTokenProvider, TokenProvider, TokenSource,
};
use defender_siem::client::DefenderClient;
use defender_siem::cloud::{Cloud, Endpoints};
use defender_siem::models::Severity;
use defender_siem::retry::RetryPolicy;
use defender_siem::sink::AlertSink;
use defender_siem::sink::email::{EmailSink, NotificationRule};
use defender_siem::sink::sentinel::SentinelSink;
use defender_siem::sink::splunk_hec::SplunkHecSink;
use defender_siem::sink::syslog::SyslogSink;
use defender_siem::{Secret, TenantId};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use url::Url;

/// A TLS server on 127.0.0.1 with a self-signed certificate. After a
/// handshake it reads what comes and answers an HTTP 404.
struct SelfSigned {
    port: u16,
    handshakes: Arc<AtomicUsize>,
}

impl SelfSigned {
    async fn start() -> Self {
        let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])
            .unwrap();
        let chain = vec![CertificateDer::from_pem_slice(cert.cert.pem().as_bytes()).unwrap()];
        let key =
            PrivateKeyDer::from_pem_slice(cert.signing_key.serialize_pem().as_bytes()).unwrap();
        let config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap();
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let handshakes = Arc::new(AtomicUsize::new(0));
        let counter = handshakes.clone();
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let acceptor = acceptor.clone();
                let counter = counter.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    counter.fetch_add(1, Ordering::SeqCst);
                    let mut buf = [0u8; 4096];
                    let _ =
                        tokio::time::timeout(Duration::from_millis(300), tls.read(&mut buf)).await;
                    let _ = tls
                        .write_all(
                            b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                        )
                        .await;
                    let _ = tls.shutdown().await;
                });
            }
        });
        SelfSigned { port, handshakes }
    }

    fn https(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn handshakes(&self) -> usize {
        self.handshakes.load(Ordering::SeqCst)
    }
}

/// The error and every source of it, in one line.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text.push_str(" / ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn assert_certificate_error(what: &str, text: &str) {
    let lower = text.to_ascii_lowercase();
    assert!(
        lower.contains("certificate") || lower.contains("unknownissuer"),
        "{what}: not a certificate error: {text}"
    );
}

use crate::support::logs::warnings_of as logs_of;

fn assert_warned(what: &str, logs: &str) {
    assert!(
        logs.contains("WARN") && logs.contains("verification is OFF"),
        "{what}: no warning logged: {logs:?}"
    );
}

const HEC_TOKEN: &str = "SECRET-CANARY-hec-tls-7f3a";

fn sentinel(server: &SelfSigned) -> defender_siem::sink::sentinel::SentinelBuilder {
    SentinelSink::builder(
        &server.https(),
        "dcr-000a00a000a00000a000000aa000a0aa",
        "Custom-DefenderAlerts_CL",
        Arc::new(StaticTokenProvider::new("SECRET-CANARY-bearer")),
        TenantId::new("mssp.onmicrosoft.com").unwrap(),
    )
}

#[tokio::test]
async fn the_defender_client_refuses_a_self_signed_certificate() {
    let server = SelfSigned::start().await;
    let url = Url::parse(&server.https()).unwrap();
    let tokens: Arc<dyn TokenProvider> = Arc::new(StaticTokenProvider::new("tok"));
    let client = DefenderClient::builder()
        .token_provider(tokens)
        .endpoints(Endpoints::new(Cloud::Public).with_mde_api(url))
        .retry_policy(RetryPolicy::never())
        .build()
        .unwrap();
    let err = client
        .alerts(&net::tenant(net::TENANT_A))
        .top(1)
        .send()
        .await
        .unwrap_err();
    assert_certificate_error("DefenderClient", &err.to_string());
    assert_eq!(server.handshakes(), 0);
}

#[tokio::test]
async fn entra_token_requests_refuse_a_self_signed_certificate() {
    let server = SelfSigned::start().await;
    let url = Url::parse(&server.https()).unwrap();
    let credential = ClientSecretCredential::new(net::CLIENT_ID, Secret::new("s"))
        .unwrap()
        .with_endpoints(&Endpoints::new(Cloud::Public).with_authority(url))
        .with_retry(RetryPolicy::never());
    let err = credential
        .fetch(
            &net::tenant(net::TENANT_A),
            "https://api.securitycenter.microsoft.com/.default",
        )
        .await
        .unwrap_err();
    assert_certificate_error("Entra", &err.to_string());
    assert_eq!(server.handshakes(), 0);
}

#[tokio::test]
async fn splunk_hec_verifies_by_default_and_warns_when_told_not_to() {
    let server = SelfSigned::start().await;
    let (sink, logs) = logs_of(|| {
        SplunkHecSink::builder(&server.https(), HEC_TOKEN)
            .build()
            .unwrap()
    });
    assert!(!logs.contains("verification is OFF"), "{logs}");
    let err = sink.send(&[sink_support::full()]).await.unwrap_err();
    // The message itself names the cause, not only its source chain.
    assert_certificate_error("splunk_hec", &err.to_string());
    assert_eq!(server.handshakes(), 0);

    let (insecure, logs) = logs_of(|| {
        SplunkHecSink::builder(&server.https(), HEC_TOKEN)
            .danger_accept_invalid_certs(true)
            .build()
            .unwrap()
    });
    assert_warned("splunk_hec", &logs);
    assert!(!logs.contains(HEC_TOKEN));
    // The handshake now succeeds; the 404 is the server's answer.
    let err = insecure.send(&[sink_support::full()]).await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err}");
    assert!(server.handshakes() >= 1);
}

#[tokio::test]
async fn sentinel_verifies_by_default_and_warns_when_told_not_to() {
    let server = SelfSigned::start().await;
    let sink = sentinel(&server).build().unwrap();
    let err = sink.send(&[sink_support::full()]).await.unwrap_err();
    assert_certificate_error("sentinel", &err.to_string());
    assert_eq!(server.handshakes(), 0);

    let (insecure, logs) = logs_of(|| {
        sentinel(&server)
            .danger_accept_invalid_certs(true)
            .build()
            .unwrap()
    });
    assert_warned("sentinel", &logs);
    let err = insecure.send(&[sink_support::full()]).await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err}");
    assert!(server.handshakes() >= 1);
}

#[tokio::test]
async fn syslog_tls_verifies_by_default_and_warns_when_told_not_to() {
    let server = SelfSigned::start().await;
    let sink = SyslogSink::tls(&server.address(), "localhost")
        .build()
        .unwrap();
    let err = sink.send(&[sink_support::full()]).await.unwrap_err();
    assert_certificate_error("syslog", &err.to_string());
    assert_eq!(server.handshakes(), 0);

    let (insecure, logs) = logs_of(|| {
        SyslogSink::tls(&server.address(), "localhost")
            .danger_accept_invalid_certs(true)
            .build()
            .unwrap()
    });
    assert_warned("syslog", &logs);
    insecure.send(&[sink_support::full()]).await.unwrap();
    // The client may finish before the server has seen the handshake end.
    for _ in 0..200 {
        if server.handshakes() > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(server.handshakes() >= 1);
}

#[tokio::test]
async fn smtps_email_refuses_a_self_signed_certificate() {
    let server = SelfSigned::start().await;
    let rule = NotificationRule::builder("High to on-call")
        .severities([Severity::High])
        .recipient("oncall@mssp.example")
        .build()
        .unwrap();
    let sink = EmailSink::builder(
        "notify",
        format!("smtps://127.0.0.1:{}", server.port)
            .parse()
            .unwrap(),
    )
    .from("soc@mssp.example")
    .credentials("soc", "SECRET-CANARY-smtp-password")
    .rule(rule)
    .timeout(Duration::from_secs(5))
    .build()
    .unwrap();
    let err = sink.send(&[sink_support::full()]).await.unwrap_err();
    let text = chain(&err);
    assert_certificate_error("email", &text);
    assert!(!text.contains("SECRET-CANARY-smtp-password"));
    assert_eq!(server.handshakes(), 0);
}
