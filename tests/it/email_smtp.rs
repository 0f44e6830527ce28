//! The e-mail sink against a real SMTP server process (Python's aiosmtpd,
//! which `.ci/run` installs), storing what it receives in a Maildir.

#![cfg(feature = "email")]

use crate::sink_support;

use std::sync::Arc;
use std::time::Duration;

use defender_siem::models::Severity;
use defender_siem::sink::email::{DeviceGroups, EmailSink, NotificationRule};
use defender_siem::sink::{AlertRecord, AlertSink};
use defender_siem::{TenantId, TenantInfo};
use sink_support::smtp::{aiosmtpd_available, free_port, header, received, start};

fn record(tenant: &Arc<TenantInfo>, json: &str) -> AlertRecord {
    AlertRecord::from_json(tenant.clone(), json).unwrap()
}

fn tenants() -> (Arc<TenantInfo>, Arc<TenantInfo>) {
    (
        Arc::new(TenantInfo::new(
            TenantId::new("b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c").unwrap(),
            "Contoso",
        )),
        Arc::new(TenantInfo::new(
            TenantId::new("4f3c2a10-7d6e-4b5a-9c8d-1e2f3a4b5c6d").unwrap(),
            "Fabrikam",
        )),
    )
}

fn rules() -> Vec<NotificationRule> {
    vec![
        NotificationRule::builder("High to on-call")
            .severities([Severity::High])
            .recipient("oncall@mssp.example")
            .include_device_info(true)
            .build()
            .unwrap(),
        NotificationRule::builder("Fabrikam servers")
            .severities([Severity::Medium, Severity::High])
            .tenants([tenants().1.id.clone()])
            .device_groups(DeviceGroups::Only(vec!["Servers".into()]))
            .recipients(["fabrikam-team@mssp.example", "lead@mssp.example"])
            .include_org_name(false)
            .build()
            .unwrap(),
    ]
}

#[tokio::test]
async fn rules_become_emails_on_a_real_smtp_server() {
    if !aiosmtpd_available() {
        return;
    }
    let server = start(None);
    let url = format!("smtp+plain://127.0.0.1:{}", server.port)
        .parse()
        .unwrap();
    let sink = EmailSink::builder("notify", url)
        .from("soc@mssp.example")
        .rules(rules())
        .build()
        .unwrap();
    let (contoso, fabrikam) = tenants();
    let batch = vec![
        record(
            &contoso,
            r#"{"id":"da1_1","severity":"High","title":"Mimikatz","computerDnsName":"ws-1.contoso.local","lastUpdateTime":"2026-11-10T09:00:05Z"}"#,
        ),
        record(
            &contoso,
            r#"{"id":"da1_2","severity":"Low","title":"Nothing to mail","lastUpdateTime":"2026-11-10T09:00:05Z"}"#,
        ),
        record(
            &fabrikam,
            r#"{"id":"da2_1","severity":"Medium","title":"Suspicious PowerShell","rbacGroupName":"Servers","lastUpdateTime":"2026-11-10T09:01:00Z"}"#,
        ),
        record(
            &fabrikam,
            r#"{"id":"da2_2","severity":"High","title":"Ransomware\r\nBcc: x@evil.example","rbacGroupName":"Servers","lastUpdateTime":"2026-11-10T09:02:00Z"}"#,
        ),
    ];
    sink.send(&batch).await.unwrap();
    // A retried batch (after a partial failure) mails nothing twice.
    sink.send(&batch).await.unwrap();
    sink.health().await.unwrap();
    drop(sink);

    let mails = received(&server);
    let subjects: Vec<String> = mails
        .iter()
        .map(|m| header(m, "Subject").join(""))
        .collect();
    assert_eq!(mails.len(), 4, "{subjects:?}");
    let mut sorted = subjects.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "High alert: Ransomware  Bcc: x@evil.example",
            "Medium alert: Suspicious PowerShell",
            "[Contoso] High alert: Mimikatz",
            "[Fabrikam] High alert: Ransomware  Bcc: x@evil.example",
        ]
    );
    for mail in &mails {
        assert!(header(mail, "Bcc").is_empty(), "header injection: {mail}");
        assert_eq!(header(mail, "From"), ["soc@mssp.example"]);
    }
    let mimikatz = mails.iter().find(|m| m.contains("Mimikatz")).unwrap();
    assert_eq!(header(mimikatz, "To"), ["oncall@mssp.example"]);
    assert!(mimikatz.contains("Device:           ws-1.contoso.local"));
    assert!(mimikatz.contains(
        "https://security.microsoft.com/alerts/da1_1?tid=b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c"
    ));
    let team = mails
        .iter()
        .find(|m| m.contains("Suspicious PowerShell"))
        .unwrap();
    assert_eq!(
        header(team, "To"),
        ["fabrikam-team@mssp.example, lead@mssp.example"]
    );
    assert!(
        !team.contains("Organization:") && !team.contains("[Fabrikam]"),
        "this rule leaves the organization name out:\n{team}"
    );
}

#[tokio::test]
async fn starttls_is_used_and_verified() {
    if !aiosmtpd_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cert =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    let server = start(Some((&cert_path, &key_path)));
    let url: url::Url = format!("smtp://127.0.0.1:{}", server.port).parse().unwrap();
    let (contoso, _) = tenants();
    let batch = [record(
        &contoso,
        r#"{"id":"da9","severity":"High","title":"Over TLS","lastUpdateTime":"2026-11-10T09:00:05Z"}"#,
    )];

    // Without trusting the server's certificate, nothing is sent.
    let untrusting = EmailSink::builder("notify", url.clone())
        .from("soc@mssp.example")
        .rules(rules())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let err = untrusting.send(&batch).await.unwrap_err();
    assert!(!err.is_retryable(), "{err}");
    assert!(received(&server).is_empty());

    let trusting = EmailSink::builder("notify", url)
        .from("soc@mssp.example")
        .rules(rules())
        .ca_pem(cert.cert.pem())
        .build()
        .unwrap();
    trusting.send(&batch).await.unwrap();
    let mails = received(&server);
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("Over TLS"));
}

#[tokio::test]
async fn a_refused_connection_is_retryable_and_debug_hides_the_password() {
    let port = free_port();
    let sink = EmailSink::builder(
        "notify",
        format!("smtp+plain://127.0.0.1:{port}").parse().unwrap(),
    )
    .from("soc@mssp.example")
    .credentials("soc", "very-secret-smtp-password")
    .rules(rules())
    .build()
    .unwrap();
    assert!(!format!("{sink:?}").contains("very-secret-smtp-password"));
    let (contoso, _) = tenants();
    // The first alert calls for no e-mail, so it counts as accepted; the
    // second one's e-mail fails.
    let err = sink
        .send(&[
            record(&contoso, r#"{"id":"w","severity":"Low"}"#),
            record(&contoso, r#"{"id":"x","severity":"High"}"#),
        ])
        .await
        .unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert_eq!(err.accepted(), 1);
    let at = format!("127.0.0.1:{port}");
    assert_eq!(err.endpoint(), Some(at.as_str()));
    assert_eq!(
        sink.health().await.unwrap_err().endpoint(),
        Some(at.as_str())
    );
    assert!(!err.to_string().contains("very-secret-smtp-password"));
}
