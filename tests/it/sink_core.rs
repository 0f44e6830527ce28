//! Filter, Fanout, MemorySink, FileSink.

use crate::sink_support;

use std::sync::Arc;
use std::time::Duration;

use defender_siem::models::{AlertStatus, DetectionSource, Severity};
use defender_siem::sink::{
    AlertRecord, AlertSink, Fanout, FileSink, Filter, InjectedFailure, MemorySink, SinkErrorKind,
};
use defender_siem::{Error, TenantId, TenantInfo};
use sink_support::{FULL, full, record};

fn alert(id: &str, severity: &str, extra: &str) -> AlertRecord {
    record(&format!(
        r#"{{"id":"{id}","severity":"{severity}"{extra}}}"#
    ))
}

#[tokio::test]
async fn filter_forwards_only_matching_alerts() {
    let memory = MemorySink::new();
    let sink = Filter::new()
        .min_severity(Severity::Medium)
        .wrap(memory.clone());
    let batch = [
        alert("a", "High", ""),
        alert("b", "Low", ""),
        alert("c", "Medium", ""),
        alert("d", "Critical", ""),
    ];
    sink.send(&batch).await.unwrap();
    assert_eq!(memory.alert_ids(), ["a", "c"]);
    // All filtered: Ok without calling the inner sink.
    sink.send(&[alert("e", "Low", "")]).await.unwrap();
    assert_eq!(memory.attempts(), 1);
    // A contiguous run is passed through as is.
    sink.send(&batch[..1]).await.unwrap();
    assert_eq!(memory.batches().len(), 2);
}

#[test]
fn filter_constraints() {
    let r = full();
    let other = Arc::new(TenantInfo::new(TenantId::new("fabrikam.com").unwrap(), "F"));
    let yes = |f: Filter| assert!(f.matches(&r));
    let no = |f: Filter| assert!(!f.matches(&r));
    yes(Filter::new());
    yes(Filter::new().severities([Severity::High]));
    no(Filter::new().severities([Severity::Low]));
    yes(Filter::new().statuses([AlertStatus::New]));
    no(Filter::new().statuses([AlertStatus::Resolved]));
    yes(Filter::new().tenants([r.tenant.id.clone()]));
    no(Filter::new().tenants([other.id.clone()]));
    yes(Filter::new().device_groups(["servers"]));
    no(Filter::new().device_groups(["Workstations"]));
    yes(Filter::new().categories(["EXECUTION"]));
    no(Filter::new().categories(["Malware"]));
    yes(Filter::new().detection_sources([DetectionSource::WindowsDefenderAtp]));
    no(Filter::new().detection_sources([DetectionSource::WindowsDefenderAv]));
    no(Filter::new()
        .min_severity(Severity::High)
        .device_groups(["x"]));
    // A missing field fails a constraint on it.
    assert!(
        !Filter::new()
            .device_groups(["Servers"])
            .matches(&record(r#"{"id":"x"}"#))
    );
}

#[tokio::test]
async fn memory_sink_fails_on_command() {
    let sink = MemorySink::new();
    sink.fail_next_with(1, InjectedFailure::permanent().status(400));
    let e = sink.send(&[full()]).await.unwrap_err();
    assert!(!e.is_retryable());
    assert_eq!((e.kind(), e.status()), (SinkErrorKind::Injected, Some(400)));
    sink.fail_always(InjectedFailure::retryable().retry_after(Duration::from_secs(3)));
    let e = sink.send(&[full()]).await.unwrap_err();
    assert_eq!(e.retry_after(), Some(Duration::from_secs(3)));
    sink.recover();
    sink.send(&[full()]).await.unwrap();
    assert_eq!(sink.records().len(), 1);
    assert_eq!(sink.records()[0].raw.get(), FULL);
    // Converts into the crate error.
    sink.fail_next(1);
    let crate_error: Error = sink.send(&[]).await.unwrap_err().into();
    assert!(crate_error.is_retryable());
}

#[tokio::test(start_paused = true)]
async fn memory_sink_fails_for_a_while() {
    let sink = MemorySink::new();
    sink.fail_for(Duration::from_secs(10));
    assert!(sink.send(&[]).await.is_err());
    tokio::time::advance(Duration::from_secs(11)).await;
    assert!(sink.send(&[]).await.is_ok());
}

#[tokio::test]
async fn fanout_does_not_duplicate_into_healthy_sinks() {
    let (a, b, c) = (
        MemorySink::named("a"),
        MemorySink::named("b"),
        MemorySink::named("c"),
    );
    let fanout = Fanout::new(vec![
        Arc::new(a.clone()),
        Arc::new(b.clone()),
        Arc::new(c.clone()),
    ]);
    b.fail_next_with(
        1,
        InjectedFailure::retryable().retry_after(Duration::from_secs(5)),
    );
    c.fail_next_with(
        1,
        InjectedFailure::retryable().retry_after(Duration::from_secs(9)),
    );
    let batch = [full()];
    let e = fanout.send(&batch).await.unwrap_err();
    assert_eq!(e.kind(), SinkErrorKind::Partial);
    assert!(e.is_retryable());
    assert_eq!(e.retry_after(), Some(Duration::from_secs(9)));
    assert!(e.message().starts_with("2 of 3 sinks failed"), "{e}");
    fanout.send(&batch).await.unwrap();
    assert_eq!((a.attempts(), b.attempts(), c.attempts()), (1, 2, 2));
    assert_eq!(
        (a.records().len(), b.records().len(), c.records().len()),
        (1, 1, 1)
    );
    // A delivered batch is forgotten: sending it again reaches everyone.
    fanout.send(&batch).await.unwrap();
    assert_eq!(a.records().len(), 2);
    // One permanent failure makes the whole error permanent.
    b.fail_next_with(1, InjectedFailure::permanent());
    c.fail_next(1);
    assert!(
        !fanout
            .send(&[record(r#"{"id":"z"}"#)])
            .await
            .unwrap_err()
            .is_retryable()
    );
}

#[tokio::test]
async fn file_sink_appends_json_lines_and_rotates() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alerts.jsonl");
    let pretty = record("{\n \"id\": \"p\"\n}");
    let sink = FileSink::builder(&path)
        .rotate_at_bytes(3000)
        .keep_rotated(2)
        .build()
        .unwrap();
    sink.send(&[full(), pretty.clone()]).await.unwrap();
    sink.flush().await.unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text, format!("{FULL}\n{{\"id\":\"p\"}}\n"));
    // Over the limit: the current file becomes `.1`.
    sink.send(&[full(), full()]).await.unwrap();
    assert_eq!(
        std::fs::read_to_string(path.with_extension("jsonl.1")).unwrap(),
        text
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 2);
    sink.send(&[full(), full()]).await.unwrap();
    sink.send(&[full(), full()]).await.unwrap();
    assert!(path.with_extension("jsonl.2").exists());
    assert!(!path.with_extension("jsonl.3").exists());
    // Reopening appends.
    drop(sink);
    let again = FileSink::builder(&path).build().unwrap();
    again.send(&[pretty]).await.unwrap();
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .ends_with("{\"id\":\"p\"}\n")
    );
    assert!(FileSink::builder("").build().is_err());
}

#[tokio::test]
async fn file_sink_reports_unwritable_paths() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing/dir/a.jsonl");
    let sink = FileSink::builder(&path).build().unwrap();
    let e = sink.send(&[full(), full()]).await.unwrap_err();
    assert_eq!(e.kind(), SinkErrorKind::Io);
    assert!(e.to_string().contains("cannot open"), "{e}");
    // Written in one piece or not at all; the error names the file.
    assert_eq!(e.accepted(), 0);
    assert_eq!(e.endpoint(), Some(path.display().to_string().as_str()));
}

/// A sink that declines records by id but, like the CEF file sink with an
/// unreadable alert, would write whatever it is sent.
#[derive(Debug)]
struct Declines {
    id: &'static str,
    inner: MemorySink,
}

#[defender_siem::async_trait]
impl AlertSink for Declines {
    fn name(&self) -> &str {
        "declines"
    }

    fn accepts(&self, record: &AlertRecord) -> bool {
        record.alert_id() != self.id
    }

    async fn send(&self, batch: &[AlertRecord]) -> Result<(), defender_siem::sink::SinkError> {
        self.inner.send(batch).await
    }
}

#[tokio::test]
async fn fanout_gives_each_member_only_what_it_accepts() {
    let picky = MemorySink::named("picky");
    let all = MemorySink::named("all");
    let fanout = Fanout::new(vec![
        Arc::new(Declines {
            id: "b",
            inner: picky.clone(),
        }),
        Arc::new(all.clone()),
    ]);
    let batch = [
        alert("a", "High", ""),
        alert("b", "Low", ""),
        alert("c", "High", ""),
    ];
    assert!(fanout.accepts(&batch[1]), "one member wants it");
    fanout.send(&batch).await.unwrap();
    assert_eq!(picky.alert_ids(), ["a", "c"]);
    assert_eq!(all.alert_ids(), ["a", "b", "c"]);
}
