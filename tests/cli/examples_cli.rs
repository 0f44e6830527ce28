//! The `convert` and `quickstart` examples, run as programs: output and exit
//! codes (0 all converted, 3 problems reported, 2 input unreadable).

use crate::support;

use support::example;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn run(name: &str, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(example(name))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn real(name: &str) -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/real")
            .join(name),
    )
    .unwrap()
}

#[test]
fn convert_writes_one_exact_alert_per_line() {
    let page = real("mde_alerts_page_3_alerts_legacy_fields_demisto.json");
    let out = run("convert", &["--format", "json"], &page);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    let original: serde_json::Value = serde_json::from_slice(&page).unwrap();
    for (line, expected) in lines.iter().zip(original["value"].as_array().unwrap()) {
        let got: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(&got, expected);
        assert!(!line.contains('\r'));
    }
}

#[test]
fn convert_reports_problems_with_exit_3_and_keeps_malformed_alerts() {
    let out = run(
        "convert",
        &[
            "--format",
            "json",
            "--input",
            "tests/fixtures/page_with_malformed_alerts.json",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(3));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout.lines().count(),
        7,
        "every alert is written, malformed ones raw"
    );
    assert!(stdout.contains(r#""lastUpdateTime": "2024-05-02 at noon""#));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 5, "{stderr}");
    assert!(stderr.contains("alert #1 (id da100_2) is malformed at `$.lastUpdateTime`"));
}

#[test]
fn convert_exits_2_when_nothing_is_readable() {
    let out = run("convert", &["--format", "json"], b"<html>502</html>");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("at byte 0"), "{stderr}");
    assert!(out.stdout.is_empty());

    let missing = run("convert", &["--input", "no/such/file.json"], b"");
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no/such/file.json"));
}

#[test]
fn convert_reads_legacy_arrays_and_json_lines() {
    let array = real("mde_siem_api_legacy_alerts_array_docs.json");
    let out = run("convert", &["--format", "json"], &array);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .starts_with(r#"{"AlertTime":"#)
    );

    let lines = b"{\"id\":\"a\"}\n{\"id\":\"b\"}\n";
    let out = run("convert", &["--format", "json"], lines);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(out.stdout, lines);
}

#[test]
fn quickstart_runs_the_whole_job_with_no_flags() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(example("quickstart"))
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("900 alerts forwarded from 3 tenants"),
        "{stdout}"
    );
    assert!(
        stdout.contains("CEF:0|Microsoft|Microsoft Defender ATP|"),
        "{stdout}"
    );
    let written = std::fs::read_to_string(dir.path().join("quickstart-out/alerts.jsonl")).unwrap();
    assert_eq!(written.lines().count(), 900);
    for line in written.lines() {
        let alert: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(alert["id"].is_string() && alert["evidence"].is_array());
    }
}
