//! [`FileCheckpointStore`]: one JSON file per (tenant, sink), written
//! atomically and readable only by the owner.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::stale::remove_stale_temporaries;
use super::{Checkpoint, CheckpointKey, CheckpointStore, SeenWindow};
use crate::error::{Error, Result};
use crate::models::Timestamp;

/// The only file format version this crate writes and reads.
const FORMAT_VERSION: u32 = 1;
const FORMAT_NAME: &str = "defender-siem/checkpoint";

/// Stores each checkpoint as `<dir>/<tenant>__<sink>.json`.
///
/// Writes go to a temporary file in the same directory, which is flushed to
/// disk (`fsync`) and then renamed over the old file, and the directory is
/// synced too: a crash leaves the old or the new checkpoint, never a torn
/// one. Temporary files left by a process that died half-way are removed
/// when a store is opened on the directory (on Linux). Files are created with mode 0600 and the directory with 0700 (on
/// Unix). A file that exists but cannot be read, is not valid JSON, has an
/// unknown version or belongs to another (tenant, sink) is an error naming
/// the file; it is never treated as "no checkpoint".
///
/// Files that could be turned against the process are refused. At open,
/// the directory must be owned by the process's effective user (else the
/// store refuses to open), and a directory group or others may enter is
/// set to 0700 with a warning (or refused when that fails). A loaded
/// watermark later than now plus [`max_watermark_ahead`](Self::max_watermark_ahead)
/// (a watermark planted in year 9999 would silently suppress every alert
/// of that tenant) is an error naming the file and the tenant.
///
/// ```no_run
/// # async fn run() -> defender_siem::Result<()> {
/// use defender_siem::checkpoint::{CheckpointKey, CheckpointStore, FileCheckpointStore};
/// use defender_siem::TenantId;
///
/// let store = FileCheckpointStore::new("./checkpoints")?;
/// let key = CheckpointKey::new(TenantId::new("contoso.onmicrosoft.com")?, "splunk")?;
/// let checkpoint = store.load(&key).await?; // None on the first run
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct FileCheckpointStore {
    dir: PathBuf,
    /// How far past now a loaded watermark may lie.
    max_ahead: chrono::Duration,
}

/// The default of [`FileCheckpointStore::max_watermark_ahead`]: the
/// forwarder's default overlap.
const DEFAULT_MAX_AHEAD: Duration = Duration::from_secs(600);

/// The file's layout.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CheckpointFile {
    format: String,
    version: u32,
    tenant: String,
    sink: String,
    watermark: Option<Timestamp>,
    seen: SeenWindow,
    /// Added in 0.2 (so optional): the tenant GUID a domain is pinned to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pinned_tenant: Option<String>,
}

impl FileCheckpointStore {
    /// A store under `dir`, created (mode 0700) when missing. An existing
    /// directory must be the process's own; one with group or other
    /// permissions is set to 0700 (with a warning).
    pub fn new(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        create_private_dir(&dir).map_err(|e| {
            Error::io(
                format!("cannot create checkpoint directory {}", dir.display()),
                e,
            )
        })?;
        check_private_dir(&dir)?;
        match remove_stale_temporaries(&dir) {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(dir = %dir.display(), files = n, "removed temporary checkpoint files left by a crash")
            }
            Err(e) => {
                tracing::warn!(dir = %dir.display(), error = %e, "cannot clear temporary checkpoint files left by a crash")
            }
        }
        Ok(FileCheckpointStore {
            dir,
            max_ahead: to_chrono(DEFAULT_MAX_AHEAD),
        })
    }

    /// How far past the current time a loaded watermark may lie before
    /// [`load`](CheckpointStore::load) refuses it (watermarks come from the
    /// API's `lastUpdateTime`, so the clocks may differ a little). Set it
    /// to the forwarder's overlap. Default 10 minutes.
    ///
    /// ```no_run
    /// # fn run() -> defender_siem::Result<()> {
    /// use std::time::Duration;
    /// use defender_siem::checkpoint::FileCheckpointStore;
    ///
    /// let store = FileCheckpointStore::new("./checkpoints")?
    ///     .max_watermark_ahead(Duration::from_secs(30 * 60));
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn max_watermark_ahead(mut self, ahead: Duration) -> Self {
        self.max_ahead = to_chrono(ahead);
        self
    }

    /// The file that holds the checkpoint of `key`.
    pub fn path_of(&self, key: &CheckpointKey) -> PathBuf {
        // Tenant ids hold no `_` and sink names no `/`, so the name is
        // unambiguous and stays inside `dir`.
        self.dir
            .join(format!("{}__{}.json", key.tenant(), key.sink()))
    }
}

#[async_trait]
impl CheckpointStore for FileCheckpointStore {
    async fn load(&self, key: &CheckpointKey) -> Result<Option<Checkpoint>> {
        let path = self.path_of(key);
        let key = key.clone();
        let max_ahead = self.max_ahead;
        blocking(move || {
            let checkpoint = read_checkpoint(&path, &key)?;
            if let Some(cp) = &checkpoint {
                refuse_future_watermark(&path, &key, cp, max_ahead)?;
            }
            Ok(checkpoint)
        })
        .await
    }

    async fn save(&self, key: &CheckpointKey, checkpoint: &Checkpoint) -> Result<()> {
        let path = self.path_of(key);
        let file = CheckpointFile {
            format: FORMAT_NAME.to_owned(),
            version: FORMAT_VERSION,
            tenant: key.tenant().to_string(),
            sink: key.sink().to_owned(),
            watermark: checkpoint.watermark,
            seen: checkpoint.seen.clone(),
            pinned_tenant: checkpoint.pinned_tenant.clone(),
        };
        let bytes = serde_json::to_vec_pretty(&file).map_err(|e| Error::Checkpoint {
            key: key.to_string(),
            message: format!("cannot encode the checkpoint: {e}"),
        })?;
        let key_text = key.to_string();
        blocking(move || {
            write_atomically(&path, &bytes).map_err(|e| Error::Checkpoint {
                key: key_text,
                message: format!("cannot write {}: {e}", path.display()),
            })
        })
        .await
    }
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::Checkpoint {
            key: "file store".to_owned(),
            message: format!("the checkpoint task failed: {e}"),
        })?
}

fn read_checkpoint(path: &Path, key: &CheckpointKey) -> Result<Option<Checkpoint>> {
    let fail = |message: String| Error::Checkpoint {
        key: key.to_string(),
        message,
    };
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(fail(format!("cannot read {}: {e}", path.display()))),
    };
    let file: CheckpointFile = serde_json::from_slice(&bytes).map_err(|e| {
        fail(format!(
            "{} is corrupt (line {}, column {}: {e}); fix or remove it deliberately, the forwarder will not start this pair over on its own",
            path.display(),
            e.line(),
            e.column()
        ))
    })?;
    if file.format != FORMAT_NAME || file.version != FORMAT_VERSION {
        return Err(fail(format!(
            "{} has format `{}` version {}, this build reads `{FORMAT_NAME}` version {FORMAT_VERSION}",
            path.display(),
            file.format,
            file.version
        )));
    }
    if file.tenant != key.tenant().as_str() || file.sink != key.sink() {
        return Err(fail(format!(
            "{} belongs to tenant {} / sink {}",
            path.display(),
            file.tenant,
            file.sink
        )));
    }
    Ok(Some(Checkpoint {
        watermark: file.watermark,
        seen: file.seen,
        pinned_tenant: file.pinned_tenant,
    }))
}

/// A watermark later than now plus `max_ahead` would make every query ask
/// for alerts from the future: the tenant's alerts would stop without a
/// word. Refused, naming the file.
fn refuse_future_watermark(
    path: &Path,
    key: &CheckpointKey,
    checkpoint: &Checkpoint,
    max_ahead: chrono::Duration,
) -> Result<()> {
    let Some(watermark) = checkpoint.watermark else {
        return Ok(());
    };
    let now = chrono::Utc::now();
    let limit = now.checked_add_signed(max_ahead).unwrap_or(now);
    if watermark.as_datetime() <= limit {
        return Ok(());
    }
    Err(Error::Checkpoint {
        key: key.to_string(),
        message: format!(
            "{} holds watermark {watermark}, later than now ({}) plus {} minutes; it would \
             suppress every alert of tenant {} until then. Fix or remove the file deliberately",
            path.display(),
            Timestamp::from_datetime(now),
            max_ahead.num_minutes(),
            key.tenant()
        ),
    })
}

fn to_chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// Refuses a checkpoint directory owned by someone else, and closes one
/// that group or others may use (0700), or refuses it when that fails.
fn check_private_dir(dir: &Path) -> Result<()> {
    let refuse = |message: String| Error::Checkpoint {
        key: "file store".to_owned(),
        message,
    };
    let meta = fs::metadata(dir).map_err(|e| {
        Error::io(
            format!("cannot stat checkpoint directory {}", dir.display()),
            e,
        )
    })?;
    crate::file_safety::owned_directory(dir, &meta)
        .map_err(|why| refuse(format!("checkpoint directory {why}")))?;
    if crate::file_safety::loose_bits(&meta) == 0 {
        return Ok(());
    }
    let mode = crate::file_safety::mode(&meta);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(|e| {
            refuse(format!(
                "checkpoint directory {} has mode {mode:04o} (group or others may use it) and cannot be set to 0700: {e}",
                dir.display()
            ))
        })?;
    }
    tracing::warn!(
        dir = %dir.display(),
        mode = %format!("{mode:04o}"),
        "the checkpoint directory was open to group or others; set it to 0700"
    );
    Ok(())
}

fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut file = private_file_options().open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn private_file_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = (dir, File::open);
    Ok(())
}
