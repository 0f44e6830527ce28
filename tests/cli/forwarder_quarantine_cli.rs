//! `forwarder --once` when a page holds an alert the crate cannot type: it
//! exits 1 naming the alert and the quarantine file, and a rerun, with the
//! alert already quarantined, exits 0 without sending it again. Entra is the
//! simulator; the Defender API is a loopback stand-in serving raw bytes.

use crate::support;

use defender_siem::simulator::Simulator;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn page() -> Vec<u8> {
    let mut body =
        br#"{"value":[{"id":"da-good","severity":"High","lastUpdateTime":"2024-05-02T09:00:00Z"},"#
            .to_vec();
    body.extend_from_slice(
        b"{\"id\":\"da-bad\",\"title\":\"\xff\xfe\",\"lastUpdateTime\":\"2024-05-02T09:00:00Z\"}]}",
    );
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_exits_1_naming_a_quarantined_alert_and_a_rerun_exits_0() {
    let sim = Simulator::builder()
        .tenants(1)
        .alerts_per_tenant(1)
        .manual_clock()
        .no_throttling()
        .start()
        .await
        .unwrap();
    let api = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/alerts"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(page(), "application/json"))
        .mount(&api)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let checkpoints = dir.path().join("checkpoints");
    let tenant = sim.tenants()[0].id.clone();
    let archive = dir.path().join("alerts.jsonl");
    let text = format!(
        "[defaults]\nauthority_host = \"{}\"\napi_base = \"{}\"\ncheckpoint_dir = \"{}\"\n\
         since = \"2000-01-01T00:00:00Z\"\nclient_id = \"{}\"\nclient_secret = \"${{FWD_TEST_SECRET}}\"\n\
         \n[[tenants]]\nid = \"{tenant}\"\nname = \"Contoso\"\n\
         \n[[sinks]]\nname = \"archive\"\ntype = \"file\"\npath = \"{}\"\n",
        sim.api_base(),
        api.uri(),
        checkpoints.display(),
        sim.client_id(),
        archive.display(),
    );
    let config = dir.path().join("forwarder.toml");
    std::fs::write(&config, text).unwrap();
    let config = config.display().to_string();

    let out = support::run_forwarder_once(&config, sim.client_secret()).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let quarantine = checkpoints.join("quarantine.jsonl");
    for needle in [
        "1 alert(s) quarantined".to_owned(),
        format!("tenant {tenant}"),
        "quarantined alert #1 (id da-bad) at `$.title`".to_owned(),
        "invalid UTF-8".to_owned(),
        quarantine.display().to_string(),
    ] {
        assert!(stderr.contains(&needle), "{needle} not in: {stderr}");
    }
    let archived = std::fs::read_to_string(&archive).unwrap();
    assert_eq!(archived.lines().count(), 2, "{archived}");
    assert!(archived.contains("da-good") && archived.contains("da-bad"));
    let kept = std::fs::read_to_string(&quarantine).unwrap();
    assert!(kept.contains("\"raw_base64\""), "{kept}");

    let again = support::run_forwarder_once(&config, sim.client_secret()).await;
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert_eq!(again.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("quarantined alert #"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&archive).unwrap(), archived);
    sim.shutdown().await;
}
