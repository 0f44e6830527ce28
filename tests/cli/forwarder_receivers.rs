//! The `forwarder` example against real local receivers: rsyslog over TCP
//! for a syslog sink and aiosmtpd for an e-mail rule, fed from the
//! simulator. `.ci/run` installs both.

#![cfg(all(feature = "syslog", feature = "email"))]

use crate::support;

use support::example;

use crate::sink_support;

use defender_siem::simulator::Simulator;
use sink_support::{rsyslog, smtp};
use tokio::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarder_example_delivers_to_rsyslog_and_smtp() {
    let Some(rsyslogd) = rsyslog::require_rsyslog() else {
        return;
    };
    if !smtp::aiosmtpd_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let syslog = rsyslog::start(&rsyslogd, dir.path(), None);
    let mail = smtp::start(None);
    let sim = Simulator::builder()
        .tenants(2)
        .alerts_per_tenant(40)
        .seed(41)
        .manual_clock()
        .no_throttling()
        .start()
        .await
        .unwrap();
    let mut config =
        support::forwarder_config(&sim, &dir.path().join("cp"), sim.client_secret(), "");
    config.push_str(&format!(
        "\n[[sinks]]\nname = \"rsyslog\"\ntype = \"syslog\"\naddress = \"127.0.0.1:{}\"\ntransport = \"tcp\"\nformat = \"json\"\n\
         \n[[sinks]]\nname = \"notify\"\ntype = \"email\"\nsmtp = \"smtp+plain://127.0.0.1:{}\"\nfrom = \"soc@mssp.example\"\n\
         [[sinks.rules]]\nname = \"High to on-call\"\nseverities = [\"High\"]\nrecipients = [\"oncall@mssp.example\"]\n",
        syslog.port, mail.port
    ));
    let path = dir.path().join("forwarder.toml");
    std::fs::write(&path, config).unwrap();

    let out = Command::new(example("forwarder"))
        .args(["--config", &path.display().to_string(), "--once"])
        .env("RUST_LOG", "warn")
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");

    let truth: Vec<serde_json::Value> = sim
        .tenants()
        .iter()
        .flat_map(|t| sim.ground_truth(&t.id).unwrap())
        .collect();
    let lines = rsyslog::wait_for_lines(&syslog.out, truth.len());
    assert_eq!(lines.len(), truth.len(), "{stderr}");
    let high = truth.iter().filter(|a| a["severity"] == "High").count();
    assert!(high > 0);
    let mut mails = smtp::received(&mail);
    for _ in 0..100 {
        if mails.len() >= high {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        mails = smtp::received(&mail);
    }
    assert_eq!(mails.len(), high);
    assert!(
        mails
            .iter()
            .all(|m| smtp::header(m, "Subject").join("").contains("High alert: "))
    );
    sim.shutdown().await;
}
