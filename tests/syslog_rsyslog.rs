//! The syslog sink against a real rsyslog (TCP and TLS), started by the
//! test with its own configuration; checks what rsyslog wrote to its file.
//!
//! Without rsyslogd the test prints a skip note, unless `CI` is set, in
//! which case it fails (`.ci/run` installs rsyslog and rsyslog-gnutls).
#![cfg(feature = "syslog")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

mod sink_support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use defender_siem::format::{CefOptions, Payload, Rfc5424Options};
use defender_siem::sink::syslog::{Framing, SyslogSink};
use defender_siem::sink::{AlertRecord, AlertSink};
use sink_support::{full, hostile, record};

struct Rsyslog {
    child: Child,
    port: u16,
    out: PathBuf,
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn rsyslogd() -> Option<PathBuf> {
    for dir in ["/usr/sbin", "/sbin", "/usr/local/sbin", "/usr/bin"] {
        let p = Path::new(dir).join("rsyslogd");
        if p.exists() {
            return Some(p);
        }
    }
    None
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(bin: &Path, dir: &Path, tls: Option<&sink_support::certs::TestPki>) -> Rsyslog {
    let port = free_port();
    let out = dir.join("out.log");
    let mut global = format!(r#"workDirectory="{}" maxMessageSize="2m""#, dir.display());
    let mut module = r#"module(load="imtcp")"#.to_owned();
    if let Some(pki) = tls {
        for (name, pem) in [
            ("ca.pem", &pki.ca_pem),
            ("cert.pem", &pki.server_cert_pem),
            ("key.pem", &pki.server_key_pem),
        ] {
            std::fs::write(dir.join(name), pem).unwrap();
        }
        global.push_str(&format!(
            r#" defaultNetstreamDriver="gtls" defaultNetstreamDriverCAFile="{0}/ca.pem" defaultNetstreamDriverCertFile="{0}/cert.pem" defaultNetstreamDriverKeyFile="{0}/key.pem""#,
            dir.display()
        ));
        module = r#"module(load="imtcp" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")"#.to_owned();
    }
    let conf = format!(
        "global({global})\n{module}\ninput(type=\"imtcp\" port=\"{port}\" address=\"127.0.0.1\" maxFrameSize=\"2000000\")\n\
         template(name=\"fields\" type=\"string\" string=\"%pri%\\t%hostname%\\t%app-name%\\t%msgid%\\t%structured-data%\\t%msg%\\n\")\n\
         action(type=\"omfile\" file=\"{}\" template=\"fields\")\n",
        out.display()
    );
    let conf_path = dir.join("rsyslog.conf");
    std::fs::write(&conf_path, conf).unwrap();
    let child = Command::new(bin)
        .arg("-n")
        .arg("-f")
        .arg(&conf_path)
        .arg("-i")
        .arg(dir.join("rsyslog.pid"))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let server = Rsyslog { child, port, out };
    let deadline = Instant::now() + Duration::from_secs(15);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "rsyslog did not start listening");
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

fn wait_for_lines(out: &Path, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = std::fs::read_to_string(out).unwrap_or_default();
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        if lines.len() >= n || Instant::now() > deadline {
            return lines;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

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

fn require_rsyslog() -> Option<PathBuf> {
    let found = rsyslogd();
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "rsyslogd is missing but CI is set: install rsyslog and rsyslog-gnutls"
        );
        println!("SKIPPED: rsyslogd not found (apt-get install rsyslog rsyslog-gnutls)");
    }
    found
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
    let strict = SyslogSink::tls(&address, "localhost")
        .retry(defender_siem::retry::RetryPolicy::never())
        .build()
        .unwrap();
    let e = strict.send(&records[..1]).await.unwrap_err();
    assert!(e.to_string().contains("certificate"), "{e}");
}
