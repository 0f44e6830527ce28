//! The `forwarder` example, run as a program with `--once` against the
//! simulator, from a configuration file written by the test.

use crate::support;

use std::path::Path;

use defender_siem::simulator::Simulator;

fn config(sim: &Simulator, dir: &Path) -> String {
    let mut text = support::forwarder_config(
        sim,
        &dir.join("checkpoints"),
        "${FWD_TEST_SECRET}",
        "page_size = 200\n",
    );
    text.push_str(&format!(
        "\n[[sinks]]\nname = \"archive\"\ntype = \"file\"\npath = \"{}\"\n\n[[sinks]]\nname = \"high-only\"\ntype = \"file\"\npath = \"{}\"\nfilter = {{ min_severity = \"High\" }}\n",
        dir.join("alerts.jsonl").display(),
        dir.join("high.jsonl").display(),
    ));
    let path = dir.join("forwarder.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_catches_up_every_tenant_and_a_rerun_sends_nothing_twice() {
    let sim = Simulator::builder()
        .tenants(2)
        .alerts_per_tenant(120)
        .seed(31)
        .manual_clock()
        .no_throttling()
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = config(&sim, dir.path());

    let out = support::run_forwarder_once(&config, sim.client_secret()).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let expected: usize = sim
        .tenants()
        .iter()
        .map(|t| sim.ground_truth(&t.id).unwrap().len())
        .sum();
    let all = lines(&dir.path().join("alerts.jsonl"));
    assert_eq!(all.len(), expected, "{stderr}");
    let high = lines(&dir.path().join("high.jsonl"));
    assert!(!high.is_empty() && high.len() < all.len());
    assert!(high.iter().all(|a| a["severity"] == "High"));
    assert!(stderr.contains("sink archive:"), "{stderr}");

    // Run again: checkpoints on disk, nothing new, nothing sent twice.
    let again = support::run_forwarder_once(&config, sim.client_secret()).await;
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(lines(&dir.path().join("alerts.jsonl")).len(), expected);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_exits_1_and_names_the_aadsts_code() {
    let sim = Simulator::builder()
        .tenants(1)
        .alerts_per_tenant(5)
        .manual_clock()
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = config(&sim, dir.path());
    let out = support::run_forwarder_once(&config, "not-the-secret").await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("AADSTS7000215"), "{stderr}");
    assert!(
        !stderr.contains("not-the-secret"),
        "the secret leaked: {stderr}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_bad_config_exits_2_naming_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "[defaults]\noverlap = \"ten minutes\"\n").unwrap();
    let out = support::run_forwarder_once(&path.display().to_string(), "x").await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("bad.toml:2:") && stderr.contains("overlap"),
        "{stderr}"
    );
}
