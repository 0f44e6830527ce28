//! Shutdown during a throttled poll: `examples/forwarder` (a child
//! process) waits out a 60 s `Retry-After` from the simulator; SIGINT must
//! end it at once, say the poll was interrupted (exit 130), and a restart
//! must deliver everything, with at most one batch repeated.

#![cfg(unix)]

use crate::support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use defender_siem::simulator::Simulator;
use serde_json::Value;
use support::example;
use tokio::process::Command;

const BATCH_SIZE: usize = 5;

fn write_config(sim: &Simulator, dir: &Path) -> PathBuf {
    let mut text = support::forwarder_config(
        sim,
        &dir.join("checkpoints"),
        "${SHUTDOWN_TEST_SECRET}",
        &format!("page_size = 10\nbatch_size = {BATCH_SIZE}\n"),
    );
    text.push_str(&format!(
        "\n[[sinks]]\nname = \"archive\"\ntype = \"file\"\npath = \"{}\"\n",
        dir.join("alerts.jsonl").display(),
    ));
    let path = dir.join("forwarder.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn forwarder(config: &Path, secret: &str) -> Command {
    let mut cmd = Command::new(example("forwarder"));
    cmd.arg("--config")
        .arg(config)
        .arg("--once")
        .env("SHUTDOWN_TEST_SECRET", secret)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// Alert id → how many times the file holds it.
fn delivered(path: &Path) -> BTreeMap<String, usize> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut counts = BTreeMap::new();
    for line in text.lines() {
        let alert: Value = serde_json::from_str(line).unwrap();
        *counts
            .entry(alert["id"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_during_a_retry_after_wait_exits_at_once_and_loses_nothing() {
    // One call a minute: the first page is served, the second gets a 429
    // with `Retry-After: 60` (the manual clock does not move on its own).
    let builder = || {
        Simulator::builder()
            .tenants(1)
            .alerts_per_tenant(30)
            .seed(7)
            .manual_clock()
            .late_rate(0.0)
            .new_alerts_per_hour(0.0)
    };
    let sim = builder().rate_per_minute(1).start().await.unwrap();
    let secret = sim.client_secret().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(&sim, dir.path());
    let alerts = dir.path().join("alerts.jsonl");

    let mut child = forwarder(&config, &secret).spawn().unwrap();
    // Wait until the throttled call has been answered.
    let mut waited = Duration::ZERO;
    while sim.stats().throttled == 0 {
        assert!(
            waited < Duration::from_secs(30),
            "the simulator never throttled"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += Duration::from_millis(50);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        child.try_wait().unwrap().is_none(),
        "the forwarder waits out Retry-After"
    );
    let pid = child.id().unwrap();
    let signalled = std::time::Instant::now();
    std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    let out = tokio::time::timeout(Duration::from_secs(10), child.wait_with_output())
        .await
        .expect("the forwarder did not stop within 10 s of SIGINT")
        .unwrap();
    let took = signalled.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("stopped {took:?} after SIGINT; stderr:\n{stderr}");
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted by shutdown"), "{stderr}");
    // Only what the first page held can have been delivered.
    let before = delivered(&alerts);
    assert!(before.len() <= 10, "{before:?}");

    // The restart talks to the same tenant (same seed, same clock: the
    // same alerts) without the throttling.
    let sim = builder().no_throttling().start().await.unwrap();
    let config = write_config(&sim, dir.path());
    let out = forwarder(&config, &secret).output().await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let after = delivered(&alerts);
    let truth: Vec<String> = sim
        .ground_truth(&sim.tenants()[0].id)
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect();
    for id in &truth {
        assert!(after.contains_key(id), "alert {id} was lost");
    }
    let repeated: usize = after.values().map(|n| n - 1).sum();
    assert!(repeated <= BATCH_SIZE, "{repeated} repeated: {after:?}");
    sim.shutdown().await;
}
