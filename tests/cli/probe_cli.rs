//! The measuring tools, run as programs on small inputs: the pipeline
//! probe's JSON line (file mode with the null sink, and through the real
//! HEC sink to the null receiver, plain and gzip) and the receiver's event
//! count. Speed is not asserted here; `benches/run_probe.sh` measures it.

use crate::support;

use support::example;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

/// Runs the probe and returns its single JSON line.
fn probe(args: &[&str]) -> Value {
    let out = Command::new(example("pipeline_probe"))
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "probe {args:?} failed: {stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "exactly one line on stdout: {stdout}");
    serde_json::from_str(lines[0]).unwrap()
}

fn generate(dir: &Path, count: usize) -> PathBuf {
    let path = dir.join("alerts.jsonl");
    let line = probe(&[
        "--generate",
        &count.to_string(),
        "--out",
        path.to_str().unwrap(),
    ]);
    assert_eq!(line["alerts"], count);
    path
}

fn assert_measured(line: &Value, mode: &str, alerts: u64) {
    assert_eq!(line["mode"], mode);
    assert_eq!(line["alerts"].as_u64(), Some(alerts), "{line}");
    for key in ["wall_s", "cpu_s", "alerts_per_s", "alerts_per_cpu_s"] {
        assert!(
            line[key].as_f64().is_some_and(|v| v >= 0.0),
            "{key}: {line}"
        );
    }
    assert!(line["peak_rss_kb"].as_u64().unwrap() > 0, "{line}");
}

#[test]
fn generated_input_is_deterministic_and_of_the_real_size() {
    let dir = tempfile::tempdir().unwrap();
    let first = std::fs::read(generate(dir.path(), 20)).unwrap();
    let second = std::fs::read(generate(dir.path(), 20)).unwrap();
    assert_eq!(first, second);
    let lines: Vec<&[u8]> = first
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(lines.len(), 20);
    let average = first.len() / 20;
    assert!(
        (3_000..4_500).contains(&average),
        "{average} bytes an alert"
    );
    let alert: Value = serde_json::from_slice(lines[7]).unwrap();
    assert_eq!(alert["evidence"].as_array().unwrap().len(), 3);
}

#[test]
fn file_mode_with_the_null_sink_reads_every_alert() {
    let dir = tempfile::tempdir().unwrap();
    let input = generate(dir.path(), 200);
    let size = std::fs::metadata(&input).unwrap().len();
    let line = probe(&[
        "--mode",
        "file",
        "--input",
        input.to_str().unwrap(),
        "--sink",
        "null",
        "--batch",
        "64",
    ]);
    assert_measured(&line, "file", 200);
    assert_eq!(line["bytes_in"].as_u64(), Some(size));
    assert_eq!(line["malformed"], 0);
    // 200 alerts in batches of 64: 4 sink batches, one body each.
    assert_eq!(line["sink_batches"], 4);
    assert_eq!(line["requests"], 4);
    assert!(line["bytes_out"].as_u64().unwrap() > size);
}

#[test]
fn file_mode_through_the_hec_sink_reaches_the_receiver_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let input = generate(dir.path(), 300);
    let mut receiver = Command::new(example("hec_null_receiver"))
        .args(["--listen", "127.0.0.1:0", "--expect", "600"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(receiver.stderr.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let addr = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    let url = format!("http://{addr}");
    let input = input.to_str().unwrap();
    let plain = probe(&[
        "--mode",
        "file",
        "--input",
        input,
        "--sink",
        "hec",
        "--hec-url",
        &url,
        "--batch",
        "100",
    ]);
    assert_measured(&plain, "file", 300);
    let gzipped = probe(&[
        "--mode",
        "file",
        "--input",
        input,
        "--sink",
        "hec",
        "--hec-url",
        &url,
        "--batch",
        "128",
        "--gzip",
    ]);
    assert_measured(&gzipped, "file", 300);
    assert_eq!(gzipped["gzip"], true);
    // The receiver stops on its own once it has counted 600 events.
    let out = receiver.wait_with_output().unwrap();
    assert!(out.status.success());
    let counted: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(counted["events"], 600, "{counted}");
    // 300 / 100 + 300 / 128 (rounded up) requests.
    assert_eq!(counted["requests"], 3 + 3, "{counted}");
    assert!(counted["bytes_decoded"].as_u64() > counted["bytes"].as_u64());
}

#[test]
fn concurrent_fetches_of_one_tenant_share_one_token_request() {
    let line = probe(&["--mode", "tokens", "--fetches", "20"]);
    assert_eq!(line["mode"], "tokens");
    assert_eq!(line["fetches_ok"], 20, "{line}");
    assert_eq!(line["api_requests"], 20, "{line}");
    assert_eq!(line["token_requests"], 1, "{line}");
}
