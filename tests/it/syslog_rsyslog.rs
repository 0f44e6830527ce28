//! The syslog sink against a real rsyslog (TCP and TLS), started by the
//! test with its own configuration; checks what rsyslog wrote to its file.
//!
//! Without rsyslogd the test prints a skip note, unless `CI` is set, in
//! which case it fails (`.ci/run` installs rsyslog and rsyslog-gnutls).
#![cfg(feature = "syslog")]
#![allow(clippy::print_stdout)]

use crate::sink_support;

use defender_siem::format::{CefOptions, Payload, Rfc5424Options};
use defender_siem::sink::syslog::{Framing, SyslogSink};
use defender_siem::sink::{AlertRecord, AlertSink};
use sink_support::rsyslog::{require_rsyslog, start, wait_for_lines};
use sink_support::{full, hostile, record};

fn batch() -> Vec<AlertRecord> {
    let mut records = vec![full(), hostile()];
    for i in 0..40 {
        records.push(record(&format!(
            r#"{{"id":"r{i}","severity":"Medium","title":"t{i} 日本語 😀 \u2028 a|b=c]d","computerDnsName":"pc{i}.contoso.com","lastUpdateTime":"2024-05-02T09:14:05Z"}}"#
        )));
    }
    records
}

/// Checks every line rsyslog wrote against the records (JSON payload).
fn check_json_lines(lines: &[String], records: &[AlertRecord]) {
    assert_eq!(
        lines.len(),
        records.len(),
        "rsyslog wrote {} lines",
        lines.len()
    );
    for (line, r) in lines.iter().zip(records) {
        let f: Vec<&str> = line.splitn(6, '\t').collect();
        assert_eq!(f.len(), 6, "{line:.300}");
        assert_eq!(f[2], "defender-siem");
        assert_eq!(f[3], "alert");
        assert!(
            f[4].starts_with("[defender@32473 tenantId=\"a839b112-1253-6432-9bf6-94542403f21c\""),
            "{:.300}",
            f[4]
        );
        let msg = f[5].trim_start();
        let got: serde_json::Value =
            serde_json::from_str(msg).unwrap_or_else(|e| panic!("{e}: {msg:.300}"));
        let sent: serde_json::Value = serde_json::from_str(r.raw.get()).unwrap();
        assert_eq!(got, sent);
    }
}

#[tokio::test]
async fn tcp_to_real_rsyslog_octet_counted_and_lf_framed() {
    let Some(bin) = require_rsyslog() else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = start(&bin, dir.path(), None);
    let records = batch();
    let address = format!("127.0.0.1:{}", server.port);
    let sink = SyslogSink::tcp(&address).build().unwrap();
    sink.send(&records[..10]).await.unwrap();
    sink.send(&records[10..]).await.unwrap();
    assert_eq!(sink.stats().sent, records.len() as u64);
    assert_eq!(sink.stats().truncated, 0);
    check_json_lines(&wait_for_lines(&server.out, records.len()), &records);

    // LF framing with a CEF payload: a newline in a value never splits a record.
    let cef = SyslogSink::tcp(&address)
        .framing(Framing::LineFeed)
        .rfc5424(Rfc5424Options::default().payload(Payload::Cef(CefOptions::default())))
        .build()
        .unwrap();
    cef.send(&records).await.unwrap();
    let lines = wait_for_lines(&server.out, 2 * records.len());
    assert_eq!(lines.len(), 2 * records.len());
    let lines = &lines[records.len()..];
    for (line, r) in lines.iter().zip(&records) {
        let msg = line.splitn(6, '\t').nth(5).unwrap().trim_start();
        assert!(
            msg.starts_with("CEF:0|Microsoft|Microsoft Defender ATP|2.0|"),
            "{msg:.200}"
        );
        assert!(
            msg.ends_with("cs3Label=TenantName"),
            "{:.200}",
            &msg[msg.len().saturating_sub(200)..]
        );
        let id = sink_support::text_safe(r.alert_id())
            .replace('\\', "\\\\")
            .replace('=', "\\=")
            .replace('\r', "\\r")
            .replace('\n', "\\n");
        assert!(msg.contains(&format!("externalId={id}")), "{msg:.300}");
    }
}

#[tokio::test]
async fn tls_to_real_rsyslog() {
    let Some(bin) = require_rsyslog() else { return };
    let dir = tempfile::tempdir().unwrap();
    let pki = sink_support::certs::test_pki();
    let server = start(&bin, dir.path(), Some(&pki));
    let records = batch();
    let address = format!("127.0.0.1:{}", server.port);
    let sink = SyslogSink::tls(&address, "localhost")
        .extra_ca_pem(pki.ca_pem.clone())
        .build()
        .unwrap();
    sink.send(&records).await.unwrap();
    sink.close().await;
    check_json_lines(&wait_for_lines(&server.out, records.len()), &records);

    // Without the CA the certificate is refused: verification is on.
    let strict = SyslogSink::tls(&address, "localhost").build().unwrap();
    let e = strict.send(&records[..1]).await.unwrap_err();
    assert!(e.to_string().contains("certificate"), "{e}");
}
