//! `convert --format <every format>` with tenant options, run as a program.

use crate::support;

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(support::example("convert"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A program that refused its arguments may exit before reading.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}

const PAGE: &[u8] = br#"{"value":[{"id":"a1","severity":"High","title":"t\nx","aadTenantId":"4f3c2a10-7d6e-4b5a-9c8d-1e2f3a4b5c6d","lastUpdateTime":"2024-01-01T00:00:00Z"},{"id":"a2","severity":"Low"}]}"#;

#[test]
fn every_format_writes_one_line_per_alert() {
    for format in [
        "json",
        "json-envelope",
        "cef",
        "leef",
        "rfc5424",
        "rfc3164",
        "ocsf",
        "hec",
        "sentinel",
    ] {
        let out = run(
            &[
                "--format",
                format,
                "--tenant-id",
                "contoso.com",
                "--tenant-name",
                "Contoso",
            ],
            PAGE,
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        assert_eq!(text.lines().count(), 2, "{format}: {text}");
        assert!(!text.contains('\r'));
        if !matches!(format, "json" | "rfc3164") {
            assert!(text.contains("contoso.com"), "{format}: {text}");
        }
    }
}

#[test]
fn tenant_comes_from_the_alert_without_options_and_bad_formats_exit_2() {
    let out = run(&["--format", "hec"], PAGE);
    let text = String::from_utf8(out.stdout).unwrap();
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(
        first["fields"]["tenantId"],
        "4f3c2a10-7d6e-4b5a-9c8d-1e2f3a4b5c6d"
    );
    assert_eq!(first["event"]["title"], "t\nx");
    let second: serde_json::Value = serde_json::from_str(text.lines().nth(1).unwrap()).unwrap();
    assert_eq!(second["fields"]["tenantId"], "unknown");
    let bad = run(&["--format", "xml"], PAGE);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("supported: json"));
    let bad = run(&["--format", "cef", "--tenant-id", "not a/tenant"], PAGE);
    assert_eq!(bad.status.code(), Some(2));
}
