//! Checkpoint stores: round trips, atomic private files, and corrupt files
//! that stop the pair instead of starting it over.

use defender_siem::checkpoint::{
    Checkpoint, CheckpointKey, CheckpointStore, FileCheckpointStore, MemoryCheckpointStore,
};
use defender_siem::models::Timestamp;
use defender_siem::{Error, TenantId};

fn key(sink: &str) -> CheckpointKey {
    CheckpointKey::new(
        TenantId::new("a839b112-1253-6432-9bf6-94542403f21c").unwrap(),
        sink,
    )
    .unwrap()
}

fn sample() -> Checkpoint {
    let mut cp = Checkpoint::default();
    for (id, ts) in [
        ("da1_1", "2026-11-01T10:00:00.1234567Z"),
        ("da1_2", "2026-11-01T10:00:00.1234567Z"),
        ("da1_1", "2026-11-01T10:04:00Z"),
    ] {
        cp.record(id, ts.parse::<Timestamp>().unwrap());
    }
    cp
}

#[tokio::test]
async fn file_store_round_trips_and_keeps_pairs_apart() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileCheckpointStore::new(dir.path().join("cp")).unwrap();
    assert!(store.load(&key("splunk")).await.unwrap().is_none());

    let cp = sample();
    store.save(&key("splunk"), &cp).await.unwrap();
    assert_eq!(store.load(&key("splunk")).await.unwrap(), Some(cp.clone()));
    assert!(store.load(&key("sentinel")).await.unwrap().is_none());

    // A newer save replaces the older one, and no temporary file is left.
    let mut newer = cp.clone();
    newer.record("da1_9", "2026-11-01T11:00:00Z".parse().unwrap());
    store.save(&key("splunk"), &newer).await.unwrap();
    assert_eq!(store.load(&key("splunk")).await.unwrap(), Some(newer));
    let names: Vec<String> = std::fs::read_dir(dir.path().join("cp"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["a839b112-1253-6432-9bf6-94542403f21c__splunk.json"]);
}

#[cfg(unix)]
#[tokio::test]
async fn file_store_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("cp");
    let store = FileCheckpointStore::new(&root).unwrap();
    store.save(&key("archive"), &sample()).await.unwrap();
    let file_mode = std::fs::metadata(store.path_of(&key("archive")))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(file_mode & 0o777, 0o600);
    let dir_mode = std::fs::metadata(&root).unwrap().permissions().mode();
    assert_eq!(dir_mode & 0o777, 0o700);
}

#[tokio::test]
async fn a_corrupt_file_is_an_error_naming_it_never_a_fresh_start() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileCheckpointStore::new(dir.path()).unwrap();
    store.save(&key("syslog"), &sample()).await.unwrap();
    let path = store.path_of(&key("syslog"));
    let good = std::fs::read(&path).unwrap();

    for (what, bytes) in [
        ("truncated", good[..good.len() / 2].to_vec()),
        ("garbage", b"\x00\x01not json".to_vec()),
        ("empty", Vec::new()),
    ] {
        std::fs::write(&path, &bytes).unwrap();
        let err = store.load(&key("syslog")).await.unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, Error::Checkpoint { .. }), "{what}: {text}");
        assert!(text.contains("is corrupt"), "{what}: {text}");
        assert!(text.contains(&path.display().to_string()), "{what}: {text}");
        assert!(text.contains("sink syslog"), "{what}: {text}");
    }
}

#[tokio::test]
async fn wrong_version_or_owner_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileCheckpointStore::new(dir.path()).unwrap();
    store.save(&key("a"), &sample()).await.unwrap();
    let path = store.path_of(&key("a"));
    let text = std::fs::read_to_string(&path).unwrap();

    std::fs::write(&path, text.replace("\"version\": 1", "\"version\": 99")).unwrap();
    let err = store.load(&key("a")).await.unwrap_err().to_string();
    assert!(err.contains("version 99"), "{err}");

    std::fs::write(&path, text.replace("\"sink\": \"a\"", "\"sink\": \"b\"")).unwrap();
    let err = store.load(&key("a")).await.unwrap_err().to_string();
    assert!(err.contains("belongs to"), "{err}");
}

#[tokio::test]
async fn memory_store_round_trips() {
    let store = MemoryCheckpointStore::new();
    assert!(store.load(&key("m")).await.unwrap().is_none());
    store.save(&key("m"), &sample()).await.unwrap();
    assert_eq!(store.load(&key("m")).await.unwrap(), Some(sample()));
    assert_eq!(store.len(), 1);
}

#[tokio::test]
async fn concurrent_saves_leave_one_whole_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(FileCheckpointStore::new(dir.path()).unwrap());
    let mut tasks = Vec::new();
    for i in 0..16 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut cp = Checkpoint::default();
            cp.record(&format!("id{i}"), "2026-11-01T10:00:00Z".parse().unwrap());
            store.save(&key("race"), &cp).await.unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let cp = store.load(&key("race")).await.unwrap().unwrap();
    assert_eq!(cp.seen.len(), 1);
}
