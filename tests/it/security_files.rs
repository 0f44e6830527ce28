//! Files the crate creates are private to their owner: checkpoints (0600,
//! in a 0700 directory) written by a real forwarder run, and the alert
//! files of the file sink, rotated ones included. Files that exist cannot
//! be turned against the process: a symlinked or foreign alert file is
//! refused untouched, a checkpoint directory open to others is closed or
//! refused, a planted future watermark is refused, and a configuration file
//! others may read is warned about.

#![cfg(unix)]

use crate::sim_support;

use crate::sink_support::record;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::sync::Arc;

use defender_siem::checkpoint::{Checkpoint, CheckpointKey, CheckpointStore, FileCheckpointStore};
use defender_siem::config::ForwarderConfig;
use defender_siem::forward::Forwarder;
use defender_siem::simulator::Simulator;
use defender_siem::sink::{AlertRecord, AlertSink, FileSink, SinkErrorKind};
use defender_siem::{TenantId, TenantInfo};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn checkpoints_and_alert_files_are_created_private() {
    let sim = Simulator::builder()
        .tenants(2)
        .alerts_per_tenant(40)
        .manual_clock()
        .no_throttling()
        .start()
        .await
        .unwrap();
    let client = sim_support::sim_client(&sim);
    let dir = tempfile::tempdir().unwrap();
    let checkpoints = dir.path().join("checkpoints");
    let alerts = dir.path().join("alerts.jsonl");
    let sink = FileSink::builder(&alerts)
        .rotate_at_bytes(4096)
        .keep_rotated(2)
        .build()
        .unwrap();
    let forwarder = Forwarder::builder()
        .source(Arc::new(client))
        .tenants(
            sim.tenants()
                .iter()
                .map(|t| TenantInfo::new(TenantId::new(&t.id).unwrap(), t.name.clone())),
        )
        .checkpoint_store(Arc::new(FileCheckpointStore::new(&checkpoints).unwrap()))
        .sink(Arc::new(sink))
        .batch_size(10)
        .start_from("2000-01-01T00:00:00Z".parse().unwrap())
        .build()
        .unwrap();
    let report = forwarder.run_once().await;
    assert!(report.is_success(), "{report:?}");
    assert_eq!(report.forwarded(), 80);

    assert_eq!(mode(&checkpoints), 0o700);
    let files: Vec<_> = std::fs::read_dir(&checkpoints)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 2, "{files:?}");
    for file in &files {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }

    let written: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    assert!(written.len() >= 2, "rotation expected: {written:?}");
    for file in &written {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
}

/// The uid files created by this process get (its effective uid).
fn my_uid(dir: &Path) -> u32 {
    let probe = dir.join(".uid-probe");
    std::fs::write(&probe, b"").unwrap();
    let uid = std::fs::metadata(&probe).unwrap().uid();
    std::fs::remove_file(&probe).unwrap();
    uid
}

/// `nobody`: the owner a file gets in the tests of files owned by someone
/// else (only root can give a file away).
const NOBODY: u32 = 65534;

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn batch() -> Vec<AlertRecord> {
    vec![record(
        r#"{"id":"da1","lastUpdateTime":"2026-11-01T10:00:00Z"}"#,
    )]
}

use crate::support::logs::Logs;

#[tokio::test]
async fn a_symlinked_alert_file_is_refused_and_its_target_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    // A file the process may write (its own), reached through a link: a
    // torn-tail repair or an append would spoil it.
    let target = dir.path().join("precious.conf");
    let content = b"keep: this\nno newline at the end";
    std::fs::write(&target, content).unwrap();
    let link = dir.path().join("alerts.jsonl");
    std::os::unix::fs::symlink(&target, &link).unwrap();

    let sink = FileSink::builder(&link).build().unwrap();
    let err = sink.send(&batch()).await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("is a symbolic link") && text.contains(&link.display().to_string()),
        "{text}"
    );
    assert_eq!(err.kind(), SinkErrorKind::Config);
    assert!(!err.is_retryable(), "{err:?}");
    assert_eq!(std::fs::read(&target).unwrap(), content);

    // A dangling link is not followed to create its target either.
    let missing = dir.path().join("created-through-a-link");
    let dangling = dir.path().join("dangling.jsonl");
    std::os::unix::fs::symlink(&missing, &dangling).unwrap();
    let sink = FileSink::builder(&dangling).build().unwrap();
    let err = sink.send(&batch()).await.unwrap_err();
    assert!(err.to_string().contains("is a symbolic link"), "{err}");
    assert!(!missing.exists());
}

#[tokio::test]
async fn an_alert_path_that_is_not_a_regular_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("alerts.jsonl");
    std::fs::create_dir(&sub).unwrap();
    let sink = FileSink::builder(&sub).build().unwrap();
    let err = sink.send(&batch()).await.unwrap_err();
    assert!(err.to_string().contains("is not a regular file"), "{err}");
}

#[tokio::test]
async fn an_alert_file_of_another_user_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    if my_uid(dir.path()) != 0 {
        // Only root can give a file away; as anyone else this cannot be
        // set up (and any file not ours that we could open is refused the
        // same way).
        eprintln!("skipped: needs root to chown a file to nobody");
        return;
    }
    let path = dir.path().join("alerts.jsonl");
    let content = b"{\"a\":1}\n{\"torn\":";
    std::fs::write(&path, content).unwrap();
    set_mode(&path, 0o600);
    std::os::unix::fs::chown(&path, Some(NOBODY), Some(NOBODY)).unwrap();
    let sink = FileSink::builder(&path).build().unwrap();
    let err = sink.send(&batch()).await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(&format!(
            "is owned by uid {NOBODY}, not by this process (uid 0)"
        )) && text.contains(&path.display().to_string()),
        "{text}"
    );
    // Not repaired, not appended to.
    assert_eq!(std::fs::read(&path).unwrap(), content);
}

#[tokio::test]
async fn an_alert_file_others_may_read_is_used_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alerts.jsonl");
    std::fs::write(&path, b"{\"old\":1}\n{\"torn\":").unwrap();
    set_mode(&path, 0o644);
    let (logs, _guard) = Logs::capture(tracing::Level::WARN);
    let sink = FileSink::builder(&path).build().unwrap();
    sink.send(&batch()).await.unwrap();
    let text = logs.text();
    assert!(
        text.contains("WARN")
            && text.contains("readable or writable by group or others")
            && text.contains(&path.display().to_string())
            && text.contains("0644"),
        "{text}"
    );
    // Accepted: repaired after the checks, then appended; the mode is kept.
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(
        written.starts_with("{\"old\":1}\n{\"id\":\"da1\""),
        "{written}"
    );
    assert_eq!(mode(&path), 0o644);

    // A private file gives no warning.
    let private = dir.path().join("private.jsonl");
    let (logs, _guard) = Logs::capture(tracing::Level::WARN);
    FileSink::builder(&private)
        .build()
        .unwrap()
        .send(&batch())
        .await
        .unwrap();
    assert!(!logs.text().contains("group or others"), "{}", logs.text());
}

#[tokio::test]
async fn a_planted_watermark_in_9999_is_refused_naming_the_file_and_tenant() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileCheckpointStore::new(dir.path().join("cp")).unwrap();
    let tenant = TenantId::new("contoso.onmicrosoft.com").unwrap();
    let key = CheckpointKey::new(tenant, "archive").unwrap();
    let mut planted = Checkpoint::default();
    planted.record("x", "9999-12-31T23:59:59Z".parse().unwrap());
    store.save(&key, &planted).await.unwrap();

    let err = store.load(&key).await.unwrap_err();
    let text = err.to_string();
    let file = store.path_of(&key).display().to_string();
    assert!(
        text.contains(&file)
            && text.contains("9999-12-31T23:59:59")
            && text.contains("tenant contoso.onmicrosoft.com"),
        "{text}"
    );

    // A watermark a little ahead (clock skew within the overlap) loads.
    let mut skewed = Checkpoint::default();
    let soon = chrono::Utc::now() + chrono::Duration::minutes(5);
    skewed.record("y", defender_siem::models::Timestamp::from_datetime(soon));
    store.save(&key, &skewed).await.unwrap();
    assert!(store.load(&key).await.unwrap().is_some());
    // … unless the allowance is smaller.
    let strict = store
        .clone()
        .max_watermark_ahead(std::time::Duration::from_secs(60));
    assert!(strict.load(&key).await.is_err());
}

#[test]
fn a_checkpoint_directory_open_to_others_is_set_to_0700() {
    let dir = tempfile::tempdir().unwrap();
    let checkpoints = dir.path().join("checkpoints");
    std::fs::create_dir(&checkpoints).unwrap();
    set_mode(&checkpoints, 0o755);
    let (logs, _guard) = Logs::capture(tracing::Level::WARN);
    FileCheckpointStore::new(&checkpoints).unwrap();
    assert_eq!(mode(&checkpoints), 0o700);
    let text = logs.text();
    assert!(
        text.contains("WARN")
            && text.contains(&checkpoints.display().to_string())
            && text.contains("0755"),
        "{text}"
    );
}

#[test]
fn a_checkpoint_directory_of_another_user_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    if my_uid(dir.path()) != 0 {
        eprintln!("skipped: needs root to chown a directory to nobody");
        return;
    }
    let checkpoints = dir.path().join("checkpoints");
    std::fs::create_dir(&checkpoints).unwrap();
    set_mode(&checkpoints, 0o755);
    std::os::unix::fs::chown(&checkpoints, Some(NOBODY), Some(NOBODY)).unwrap();
    let err = FileCheckpointStore::new(&checkpoints).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(&checkpoints.display().to_string())
            && text.contains(&format!("owned by uid {NOBODY}")),
        "{text}"
    );
    // Refused before anything changed.
    assert_eq!(mode(&checkpoints), 0o755);
}

#[test]
fn a_config_file_others_may_read_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("forwarder.toml");
    std::fs::write(
        &path,
        "[[tenants]]\nid = \"contoso.onmicrosoft.com\"\nclient_id = \"app\"\n\
         client_secret = \"${NO_SUCH_VARIABLE_SET_ANYWHERE_X}\"\n\
         [[sinks]]\nname = \"archive\"\ntype = \"file\"\npath = \"alerts.jsonl\"\n",
    )
    .unwrap();
    set_mode(&path, 0o644);
    let (logs, guard) = Logs::capture(tracing::Level::WARN);
    // Warned whether or not the rest of the file checks out.
    let _ = ForwarderConfig::from_file(&path);
    let text = logs.text();
    assert!(
        text.contains("WARN")
            && text.contains("configuration file")
            && text.contains(&path.display().to_string())
            && text.contains("0644"),
        "{text}"
    );
    drop(guard);

    set_mode(&path, 0o600);
    let (logs, _guard) = Logs::capture(tracing::Level::WARN);
    let _ = ForwarderConfig::from_file(&path);
    assert!(
        !logs.text().contains("configuration file"),
        "{}",
        logs.text()
    );
}
