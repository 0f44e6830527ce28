//! Alerts the crate cannot type (a number out of range, 100,000 levels of
//! nesting, bytes that are not UTF-8) among good ones, served by a loopback
//! stand-in: the good ones are delivered, the bad ones go to the quarantine
//! file and, as raw JSON, to the JSON sinks; the report counts and names
//! them; a rerun neither quarantines nor delivers them again.

use crate::net;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use defender_siem::auth::StaticTokenProvider;
use defender_siem::checkpoint::FileCheckpointStore;
use defender_siem::format::Format;
use defender_siem::forward::{CycleReport, Forwarder};
use defender_siem::models::Timestamp;
use defender_siem::retry::RetryPolicy;
use defender_siem::sink::{FileSink, InjectedFailure, MemorySink, Named};
use defender_siem::{TenantId, TenantInfo};
use net::{TENANT_A, client, fake_jwt};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const DEPTH: usize = 100_000;

fn good(id: &str) -> Vec<u8> {
    format!(r#"{{"id":"{id}","severity":"High","title":"alert {id}","lastUpdateTime":"2024-05-02T09:00:00Z"}}"#)
        .into_bytes()
}

fn huge_number() -> Vec<u8> {
    br#"{"id":"bad-number","severity":"High","riskScore":1e999,"lastUpdateTime":"2024-05-02T09:00:00Z"}"#
        .to_vec()
}

fn deep() -> Vec<u8> {
    let mut alert =
        br#"{"id":"bad-deep","lastUpdateTime":"2024-05-02T09:00:00Z","vendorExtra":"#.to_vec();
    alert.extend(std::iter::repeat_n(b'[', DEPTH));
    alert.extend(std::iter::repeat_n(b']', DEPTH));
    alert.push(b'}');
    alert
}

fn not_utf8() -> Vec<u8> {
    b"{\"id\":\"bad-bytes\",\"title\":\"invoice \xc3\x28 \xff\",\"lastUpdateTime\":\"2024-05-02T09:00:00Z\"}"
        .to_vec()
}

/// The page: good, bad, good, bad, bad, good.
fn body() -> Vec<u8> {
    let alerts = [
        good("good-1"),
        huge_number(),
        good("good-2"),
        deep(),
        not_utf8(),
        good("good-3"),
    ];
    let mut body =
        br#"{"@odata.context":"https://api.security.microsoft.com/api/$metadata#Alerts","value":["#
            .to_vec();
    body.extend_from_slice(&alerts.join(&b","[..]));
    body.extend_from_slice(b"]}");
    body
}

async fn stand_in() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/alerts"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body(), "application/json"))
        .mount(&server)
        .await;
    server
}

fn tenant() -> TenantInfo {
    TenantInfo::new(TenantId::new(TENANT_A).unwrap(), "Contoso")
}

fn forwarder(
    server: &MockServer,
    dir: &Path,
    memory: &MemorySink,
    quarantine: Option<&Path>,
) -> Forwarder {
    let token = fake_jwt(&json!({"tid": TENANT_A, "roles": ["Alert.Read.All"]}));
    let archive = FileSink::builder(dir.join("alerts.jsonl")).build().unwrap();
    let cef = FileSink::builder(dir.join("alerts.cef"))
        .format("cef".parse::<Format>().unwrap())
        .build()
        .unwrap();
    let mut builder = Forwarder::builder()
        .source(Arc::new(client(
            server,
            Arc::new(StaticTokenProvider::new(token)),
        )))
        .tenant(tenant())
        .sink(Arc::new(memory.clone()))
        .sink(Arc::new(archive))
        .sink(Arc::new(Named::new("cef", cef)))
        .checkpoint_store(Arc::new(
            FileCheckpointStore::new(dir.join("checkpoints")).unwrap(),
        ))
        .start_from(Timestamp::parse("2024-05-01T00:00:00Z").unwrap())
        .sink_retry(
            RetryPolicy::default()
                .max_attempts(2)
                .base_delay(Duration::from_millis(1))
                .max_delay(Duration::from_millis(2)),
        );
    if let Some(file) = quarantine {
        builder = builder.quarantine_file(file);
    }
    builder.build().unwrap()
}

fn lines(path: &Path) -> Vec<Vec<u8>> {
    std::fs::read(path)
        .unwrap_or_default()
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

fn entries(path: &Path) -> Vec<Value> {
    lines(path)
        .iter()
        .map(|l| serde_json::from_slice::<Value>(l).unwrap())
        .filter(|v| v.get("sha256").is_some())
        .collect()
}

fn sink<'a>(report: &'a CycleReport, name: &str) -> &'a defender_siem::forward::SinkReport {
    report.tenants[0]
        .sinks
        .iter()
        .find(|s| s.sink == name)
        .unwrap()
}

#[tokio::test]
async fn unreadable_alerts_are_quarantined_and_sent_raw_once() {
    let server = stand_in().await;
    let dir = tempfile::tempdir().unwrap();
    let quarantine = dir.path().join("checkpoints").join("quarantine.jsonl");
    let memory = MemorySink::new();

    let first = forwarder(&server, dir.path(), &memory, Some(&quarantine));
    let report = first.run_once().await;
    let tenant_report = &report.tenants[0];
    // The tenant is not blocked: its watermark moved past the bad alerts.
    let status = &first.status()[0];
    assert_eq!(status.quarantined, 3);
    assert_eq!(
        status.sinks["memory"].watermark,
        Some(Timestamp::parse("2024-05-02T09:00:00Z").unwrap())
    );
    assert_eq!(tenant_report.error, None, "{report}");
    assert_eq!((tenant_report.malformed, tenant_report.quarantined), (3, 3));
    assert!(!report.is_success(), "a quarantined alert fails the cycle");
    let named: Vec<_> = tenant_report
        .quarantined_alerts
        .iter()
        .map(|q| {
            (
                q.index,
                q.id.as_deref(),
                q.path.get(..15).unwrap_or(&q.path),
            )
        })
        .collect();
    assert_eq!(
        named,
        [
            (1, Some("bad-number"), "$.riskScore"),
            // As deep as the reader went: `$.vendorExtra[0][0]…`.
            (3, Some("bad-deep"), "$.vendorExtra[0"),
            (4, Some("bad-bytes"), "$.title"),
        ]
    );
    assert!(
        tenant_report.quarantined_alerts[0]
            .reason
            .contains("out of range")
    );
    assert!(
        tenant_report.quarantined_alerts[1]
            .reason
            .contains("recursion")
    );
    assert!(tenant_report.quarantined_alerts[2].reason.contains("UTF-8"));
    let text = report.to_string();
    assert!(text.contains("3 alert(s) quarantined"), "{text}");
    assert!(
        text.contains("quarantined alert #3 (id bad-deep) at `$.vendorExtra[0][0]"),
        "{text}"
    );
    assert!(text.contains(&quarantine.display().to_string()), "{text}");

    // The good ones are delivered typed; the bad ones as raw JSON.
    let records = memory.records();
    let typed: Vec<_> = records
        .iter()
        .filter(|r| !r.is_malformed())
        .map(|r| r.alert_id())
        .collect();
    assert_eq!(typed, ["good-1", "good-2", "good-3"]);
    let raw: Vec<_> = records
        .iter()
        .filter(|r| r.is_malformed())
        .map(|r| r.raw.len())
        .collect();
    let repaired = String::from_utf8_lossy(&not_utf8())
        .into_owned()
        .into_bytes();
    assert_eq!(raw, [huge_number().len(), deep().len(), repaired.len()]);

    // The JSON file sink holds the bad ones as their raw bytes (the
    // non-UTF-8 one with each bad sequence as U+FFFD).
    let archived = lines(&dir.path().join("alerts.jsonl"));
    assert_eq!(archived.len(), 6);
    assert!(archived.contains(&huge_number()));
    assert!(archived.contains(&deep()));
    assert!(archived.contains(&repaired));
    assert_eq!(sink(&report, "file").forwarded, 6);
    // The CEF file cannot show an empty typed view: it declines them.
    assert_eq!(lines(&dir.path().join("alerts.cef")).len(), 3);
    assert_eq!(
        (
            sink(&report, "cef").forwarded,
            sink(&report, "cef").filtered_out
        ),
        (3, 3)
    );

    // The quarantine file holds each exactly, with its tenant and reason.
    let kept = entries(&quarantine);
    assert_eq!(kept.len(), 3);
    assert_eq!(kept[0]["tenant"], TENANT_A);
    assert_eq!(kept[0]["id"], "bad-number");
    assert_eq!(kept[0]["index"], 1);
    assert_eq!(kept[0]["path"], "$.riskScore");
    assert_eq!(kept[0]["raw"].as_str().unwrap().as_bytes(), huge_number());
    assert_eq!(kept[1]["raw"].as_str().unwrap().as_bytes(), deep());
    assert_eq!(kept[2]["raw_base64"], STANDARD.encode(not_utf8()));
    assert!(kept[2].get("raw").is_none());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&quarantine).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // A rerun (a new process) neither quarantines nor delivers them again.
    let memory = MemorySink::new();
    let again = forwarder(&server, dir.path(), &memory, Some(&quarantine))
        .run_once()
        .await;
    assert!(again.is_success(), "{again}");
    assert_eq!(again.tenants[0].quarantined, 0);
    assert_eq!(again.tenants[0].malformed, 3);
    assert!(memory.records().is_empty());
    assert_eq!(sink(&again, "memory").duplicates_dropped, 6);
    assert_eq!(lines(&dir.path().join("alerts.jsonl")).len(), 6);
    assert_eq!(entries(&quarantine).len(), 3);
}

#[tokio::test]
async fn a_sink_that_failed_gets_the_quarantined_alerts_on_the_next_poll() {
    let server = stand_in().await;
    let dir = tempfile::tempdir().unwrap();
    let quarantine = dir.path().join("checkpoints").join("quarantine.jsonl");
    let memory = MemorySink::new();
    memory.fail_always(InjectedFailure::retryable());

    let report = forwarder(&server, dir.path(), &memory, Some(&quarantine))
        .run_once()
        .await;
    assert!(sink(&report, "memory").error.is_some(), "{report}");
    assert_eq!(report.tenants[0].quarantined, 3);
    assert!(memory.records().is_empty());

    memory.recover();
    let again = forwarder(&server, dir.path(), &memory, Some(&quarantine))
        .run_once()
        .await;
    assert!(again.is_success(), "{again}");
    assert_eq!(again.tenants[0].quarantined, 0);
    let malformed = memory.records().iter().filter(|r| r.is_malformed()).count();
    assert_eq!((memory.records().len(), malformed), (6, 3));
    // The file sink had them from the first poll: not sent again.
    assert_eq!(lines(&dir.path().join("alerts.jsonl")).len(), 6);
    assert_eq!(entries(&quarantine).len(), 3);
}

#[tokio::test]
async fn without_a_quarantine_file_the_report_says_memory_only() {
    let server = stand_in().await;
    let dir = tempfile::tempdir().unwrap();
    let memory = MemorySink::new();
    let forwarder = forwarder(&server, dir.path(), &memory, None);
    let report = forwarder.run_once().await;
    assert_eq!(report.tenants[0].quarantined, 3);
    assert!(report.tenants[0].quarantined_alerts[0].file.is_none());
    assert!(report.to_string().contains("memory only"), "{report}");
    // Within the life of the forwarder it is still not repeated.
    let again = forwarder.run_once().await;
    assert_eq!(again.tenants[0].quarantined, 0);
    assert_eq!(memory.records().len(), 6);
}

#[test]
fn hec_and_sentinel_carry_an_unreadable_alert_as_its_exact_text() {
    let page = defender_siem::models::parse_page::<defender_siem::models::Alert>(
        &[&b"{\"value\":["[..], &deep(), b"]}"].concat(),
    )
    .unwrap();
    let bad = page.malformed().next().unwrap().clone();
    let record = defender_siem::sink::AlertRecord::from_malformed(Arc::new(tenant()), bad);
    let now = chrono::Utc::now();
    for (format, member) in [("hec", "event"), ("sentinel", "Alert")] {
        let mut out = Vec::new();
        format
            .parse::<Format>()
            .unwrap()
            .encode(&record, now, &mut out);
        // Shallow JSON any receiver parses, holding the exact text.
        let value: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            value[member].as_str().map(str::as_bytes),
            Some(&deep()[..]),
            "{format}"
        );
    }
    let mut out = Vec::new();
    Format::Json.encode(&record, now, &mut out);
    assert_eq!(out, deep());
    assert!(!"cef".parse::<Format>().unwrap().carries_raw_json());
    assert!("json".parse::<Format>().unwrap().carries_raw_json());
}
