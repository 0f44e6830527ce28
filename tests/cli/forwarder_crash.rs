//! Crash and restart: the `forwarder` example runs as a child process
//! against the simulator (served by this test, whose clock it moves) and a
//! JSON-lines file sink, and is killed with SIGKILL at random moments while
//! alerts keep arriving, being updated and arriving late. Each restart
//! resumes from the file checkpoints.
//!
//! At the end no alert version is lost, duplicates stay within one batch
//! per tenant per kill, every checkpoint file parsed after every kill, and
//! a torn last line left in the alert file is cut off before the next
//! append. Then one checkpoint is corrupted on purpose: the forwarder stops
//! that (tenant, sink) pair with an error naming it, and the other tenants
//! go on.
//!
//! `CRASH_LONG=1 cargo test --all-features --test cli forwarder_crash -- --nocapture`
//! kills it 200 times instead of 24.

use crate::support;

use support::example;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use defender_siem::models::Timestamp;
use defender_siem::simulator::{FaultKind, Simulator};
use serde_json::Value;
use tokio::process::{Child, Command};

/// (tenant, alert id, lastUpdateTime).
type Version = (String, String, String);

const BATCH_SIZE: usize = 10;
const SINK: &str = "archive";

fn kills() -> usize {
    if std::env::var_os("CRASH_LONG").is_some_and(|v| v != "0") {
        200
    } else {
        24
    }
}

/// A small deterministic generator (splitmix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn write_config(sim: &Simulator, dir: &Path) -> PathBuf {
    let extra = format!(
        "poll_interval = \"50ms\"\noverlap = \"20m\"\npage_size = 40\nbatch_size = {BATCH_SIZE}\n"
    );
    let mut text = support::forwarder_config(
        sim,
        &dir.join("checkpoints"),
        "${CRASH_TEST_SECRET}",
        &extra,
    );
    text.push_str(&format!(
        "\n[[sinks]]\nname = \"{SINK}\"\ntype = \"file\"\npath = \"{}\"\n",
        dir.join("alerts.jsonl").display(),
    ));
    let path = dir.join("forwarder.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn forwarder(config: &Path, secret: &str, once: bool, log: &Path) -> Command {
    let mut cmd = Command::new(example("forwarder"));
    cmd.arg("--config").arg(config);
    if once {
        cmd.arg("--once");
    }
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    cmd.env("CRASH_TEST_SECRET", secret)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log)
        .kill_on_drop(true);
    cmd
}

/// Every version the simulator shows now.
fn truth(sim: &Simulator) -> BTreeSet<Version> {
    let mut all = BTreeSet::new();
    for t in sim.tenants() {
        for a in sim.ground_truth(&t.id).unwrap() {
            all.insert(key(&t.id, &a));
        }
    }
    all
}

fn key(tenant: &str, alert: &Value) -> Version {
    let ts: Timestamp = alert["lastUpdateTime"].as_str().unwrap().parse().unwrap();
    (
        tenant.to_owned(),
        alert["id"].as_str().unwrap().to_owned(),
        ts.to_string(),
    )
}

/// The alert file read back: the versions of its whole lines, and whether
/// it ends in a torn line (no newline, not valid JSON), which is skipped.
/// A line that is not valid JSON anywhere else fails the test.
fn read_alerts(path: &Path) -> (Vec<Version>, bool) {
    let bytes = std::fs::read(path).unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    let mut lines: Vec<&str> = text.split('\n').collect();
    let tail = lines.pop().unwrap_or("");
    let mut torn = false;
    if !tail.is_empty() {
        if serde_json::from_str::<Value>(tail).is_ok() {
            lines.push(tail);
        } else {
            torn = true;
        }
    }
    let versions = lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let alert: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("line {} is not JSON ({e}): {line:.80}", i + 1));
            key(alert["aadTenantId"].as_str().unwrap(), &alert)
        })
        .collect();
    (versions, torn)
}

/// Every checkpoint file parses as a checkpoint; returns how many there
/// are and how many temporary files a kill left behind.
fn check_checkpoints(dir: &Path) -> (usize, usize) {
    let (mut files, mut temporary) = (0, 0);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (0, 0);
    };
    for entry in entries {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".tmp") {
            temporary += 1;
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let cp: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{name} is corrupt after a kill: {e}\n{text}"));
        assert_eq!(cp["format"], "defender-siem/checkpoint", "{name}");
        files += 1;
    }
    (files, temporary)
}

async fn kill(mut child: Child) {
    // `kill` sends SIGKILL on Unix: no destructor, no flush, no signal handler.
    child.kill().await.unwrap();
}

/// Runs `--once` until it reports success; returns how many runs it took.
async fn catch_up(config: &Path, secret: &str, log: &Path) -> usize {
    for run in 1..=10 {
        let status = forwarder(config, secret, true, log).status().await.unwrap();
        if status.success() {
            return run;
        }
    }
    panic!(
        "the forwarder did not catch up in 10 runs; see {}",
        log.display()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_random_it_loses_nothing_and_repeats_at_most_a_batch_per_kill() {
    let kills = kills();
    let sim = Simulator::builder()
        .tenants(3)
        .alerts_per_tenant(100)
        .seed(41)
        // Starting now, the simulated clock runs ahead of the forwarder's
        // while it works, as a real API's does during a poll.
        .manual_clock_at(chrono::Utc::now())
        .no_throttling()
        .late_rate(0.2)
        .new_alerts_per_hour(120.0)
        // Faults the client retries or the next poll gets past; malformed
        // alerts are the chaos test's business.
        .fault(FaultKind::InternalServerError, 0.02)
        .fault(FaultKind::ServiceUnavailable, 0.02)
        .fault(FaultKind::ConnectionReset, 0.02)
        .fault(FaultKind::TruncatedBody, 0.02)
        .fault(FaultKind::TokenEndpointFailure, 0.05)
        .start()
        .await
        .unwrap();
    let secret = sim.client_secret().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(&sim, dir.path());
    let alerts = dir.path().join("alerts.jsonl");
    let checkpoints = dir.path().join("checkpoints");
    let log = dir.path().join("forwarder.log");
    let mut rng = Rng(41);

    let mut owed = BTreeSet::new();
    let mut shown = truth(&sim);
    let (mut torn_after_kill, mut checkpoint_checks, mut catch_up_runs) = (0, 0, 0);
    let mut leftover_tmp = 0;
    for k in 0..kills {
        let child = forwarder(&config, &secret, false, &log).spawn().unwrap();
        tokio::time::sleep(Duration::from_millis(rng.below(300))).await;
        // The world moves on while the forwarder runs.
        sim.advance(Duration::from_secs(5 * 60 + rng.below(15 * 60)));
        shown.extend(truth(&sim));
        tokio::time::sleep(Duration::from_millis(rng.below(300))).await;
        kill(child).await;

        let (files, tmp) = check_checkpoints(&checkpoints);
        checkpoint_checks += files;
        leftover_tmp += tmp;
        let (_, torn) = read_alerts(&alerts);
        torn_after_kill += usize::from(torn);
        if k == 3 {
            // A kill in the middle of a write, made certain: half a line.
            use std::io::Write as _;
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(&alerts)
                .unwrap();
            f.write_all(br#"{"id":"da-torn","lastUpdateTime":"2025-06-"#)
                .unwrap();
        }
        if k % 6 == 5 {
            // A clean catch-up: whatever the simulator shows now must
            // reach the file, whatever the kills did to the checkpoints.
            catch_up_runs += catch_up(&config, &secret, &log).await;
            owed.extend(truth(&sim));
        }
    }
    catch_up_runs += catch_up(&config, &secret, &log).await;
    owed.extend(truth(&sim));
    let (files, tmp) = check_checkpoints(&checkpoints);
    assert_eq!(files, sim.tenants().len());
    assert_eq!(
        tmp, 0,
        "the last run cleared the temporary files of killed ones"
    );

    let (got, torn_at_end) = read_alerts(&alerts);
    let delivered: BTreeSet<&Version> = got.iter().collect();
    let lost: Vec<&Version> = owed.iter().filter(|v| !delivered.contains(v)).collect();
    let duplicates = got.len() - delivered.len();
    let bound = kills * sim.tenants().len() * BATCH_SIZE;
    println!(
        "crash: {kills} kills, {} versions shown, {} owed, {} delivered lines, lost {}, \
         duplicates {duplicates} (bound {bound}: one batch of {BATCH_SIZE} per tenant per kill), \
         {catch_up_runs} catch-up runs, {checkpoint_checks} checkpoint files checked after kills, \
         {torn_after_kill} kills left a torn line (+1 made on purpose), {leftover_tmp} temporary \
         checkpoint files seen after kills (each cleared by the next start)",
        shown.len(),
        owed.len(),
        got.len(),
        lost.len(),
    );
    assert!(lost.is_empty(), "lost {lost:?}");
    assert!(
        !torn_at_end,
        "the last run appended after a torn line or left one"
    );
    assert!(duplicates <= bound, "{duplicates} duplicates");
    for v in &got {
        assert!(shown.contains(v), "{v:?} was never shown for its tenant");
    }
    assert!(
        checkpoint_checks > 0,
        "no kill happened after a checkpoint was written"
    );
    assert!(owed.len() > 3 * 100, "the alerts kept coming");

    // Corrupt one checkpoint: that pair stops with an error naming it, the
    // others go on, and nothing is started over.
    let victim = sim.tenants()[0].id.clone();
    let cp_file = checkpoints.join(format!("{victim}__{SINK}.json"));
    std::fs::write(&cp_file, b"{ not json").unwrap();
    sim.advance(Duration::from_secs(3600));
    let before = got.len();
    let out = forwarder(&config, &secret, true, &log)
        .stderr(Stdio::piped())
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("tenant {victim} / sink {SINK}")) && stderr.contains("is corrupt"),
        "{stderr}"
    );
    assert!(stderr.contains(&cp_file.display().to_string()), "{stderr}");
    assert_eq!(std::fs::read(&cp_file).unwrap(), b"{ not json");
    let (after, _) = read_alerts(&alerts);
    let new: BTreeSet<&Version> = after[before..].iter().collect();
    assert!(
        new.iter().all(|v| v.0 != victim),
        "the corrupt pair restarted"
    );
    let now = truth(&sim);
    let all: BTreeSet<&Version> = after.iter().collect();
    let missing: Vec<&Version> = now
        .iter()
        .filter(|v| v.0 != victim && !all.contains(v))
        .collect();
    assert!(missing.is_empty(), "the other tenants stopped: {missing:?}");
    assert!(!new.is_empty());
    println!(
        "crash: corrupt checkpoint of {victim}: exit 1, {} new versions for the other tenants",
        new.len()
    );
    sim.shutdown().await;
}
