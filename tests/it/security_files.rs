//! Files the crate creates are private to their owner: checkpoints (0600,
//! in a 0700 directory) written by a real forwarder run, and the alert
//! files of the file sink, rotated ones included.

#![cfg(unix)]

use crate::sim_support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;

use defender_siem::checkpoint::FileCheckpointStore;
use defender_siem::forward::Forwarder;
use defender_siem::simulator::Simulator;
use defender_siem::sink::FileSink;
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
