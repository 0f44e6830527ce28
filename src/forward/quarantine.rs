//! The quarantine: where the forwarder keeps every alert it could not read
//! into its model (a number out of range, nesting too deep, bytes that are
//! not UTF-8, a member of the wrong type), so that none is lost.
//!
//! Each such alert is appended, before the poll goes on, to a JSON-lines
//! dead-letter file (by default `quarantine.jsonl` beside the checkpoints,
//! mode 0600, created when the first alert is quarantined): one line per alert with the tenant, its index in its page,
//! its id when readable, the JSON path and reason, the SHA-256 of its exact
//! bytes, and the bytes themselves (`raw`, a JSON string, when they are
//! UTF-8; `raw_base64` when not). Each line is written in one `write` on a
//! file opened for appending and synced before the forwarder goes on.
//!
//! The alert is also handed, as its raw JSON, to every sink that carries raw
//! JSON; each sink that took it (or, for a text format, declined it) gets a
//! `{"delivered": <sha256>, "tenant": …, "sink": …}` line. At open the
//! file's lines are read back, so a rerun neither quarantines an alert again
//! nor sends it again to a sink that already has it, while a sink that
//! failed still gets it on the next poll.
//!
//! Without a file ([`ForwarderBuilder::quarantine_file`] unset) the same
//! bookkeeping is kept in memory only, for the life of the forwarder.
//!
//! [`ForwarderBuilder::quarantine_file`]: super::ForwarderBuilder::quarantine_file

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::models::MalformedAlert;
use crate::tenant::{TenantId, TenantInfo};

/// One alert the forwarder quarantined, as the cycle report names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct QuarantinedAlert {
    /// Position of the alert in its page, from 0.
    pub index: usize,
    /// The alert's id, when it could be read.
    pub id: Option<String>,
    /// Where in the alert the problem is (`$.evidence[0].processId`).
    pub path: String,
    /// What is wrong.
    pub reason: String,
    /// SHA-256 (hex) of the alert's exact bytes: its key in the quarantine.
    pub sha256: String,
    /// The dead-letter file it was written to; `None` when the quarantine is
    /// kept in memory only.
    pub file: Option<PathBuf>,
}

impl std::fmt::Display for QuarantinedAlert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "quarantined alert #{}", self.index)?;
        if let Some(id) = &self.id {
            write!(f, " (id {id})")?;
        }
        write!(f, " at `{}`: {}", self.path, self.reason)?;
        match &self.file {
            Some(file) => write!(f, "; kept in {}", file.display()),
            None => f.write_str("; kept in memory only (no quarantine file set)"),
        }
    }
}

/// The quarantine of one forwarder (see the module docs).
#[derive(Debug)]
pub(crate) struct Quarantine {
    path: Option<PathBuf>,
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    file: Option<File>,
    /// (tenant, sha256) of every alert in the quarantine.
    known: HashSet<(String, String)>,
    /// (tenant, sha256, sink) of every hand-over a sink has acknowledged.
    delivered: HashSet<(String, String, String)>,
    /// The file's last line has no line end (a write cut short by a crash).
    torn: bool,
}

/// One line of the file as read back: an entry or a hand-over.
#[derive(Deserialize)]
struct Line {
    tenant: Option<String>,
    sha256: Option<String>,
    delivered: Option<String>,
    sink: Option<String>,
}

#[derive(Serialize)]
struct Entry<'a> {
    quarantined_at: String,
    tenant: &'a str,
    tenant_name: &'a str,
    index: usize,
    id: Option<&'a str>,
    path: &'a str,
    reason: &'a str,
    sha256: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    raw: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    raw_base64: Option<String>,
}

#[derive(Serialize)]
struct Handover<'a> {
    delivered: &'a str,
    tenant: &'a str,
    sink: &'a str,
}

impl Quarantine {
    /// A quarantine kept in memory only.
    pub(crate) fn in_memory() -> Self {
        Quarantine {
            path: None,
            state: Arc::new(Mutex::new(State::default())),
        }
    }

    /// Opens the dead-letter file at `path` and reads back what it already
    /// holds; a file that does not exist yet is created (mode 0600) when the
    /// first alert is quarantined, in a directory that must exist now. A
    /// symbolic link or anything but a regular file is refused.
    pub(crate) fn open(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let mut state = State::default();
        if std::fs::symlink_metadata(&path).is_ok() {
            let mut file = open_file(&path)?;
            state.read_all(&mut file, &path)?;
            state.file = Some(file);
        } else {
            let dir = path
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            if !dir.is_dir() {
                return Err(Error::Config(format!(
                    "quarantine file {}: the directory {} does not exist",
                    path.display(),
                    dir.display()
                )));
            }
        }
        Ok(Quarantine {
            path: Some(path),
            state: Arc::new(Mutex::new(state)),
        })
    }

    /// The dead-letter file, when there is one.
    pub(crate) fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Puts `bad` in the quarantine, durably, unless it is there already.
    /// Returns what the report says about it when it is new, `None` when it
    /// was quarantined before.
    pub(crate) async fn admit(
        &self,
        tenant: &TenantInfo,
        bad: &MalformedAlert,
    ) -> Result<Option<QuarantinedAlert>> {
        let sha256 = bad.sha256();
        let key = (tenant.id.as_str().to_owned(), sha256.clone());
        let line = {
            let raw = bad.raw_bytes();
            let text = std::str::from_utf8(raw).ok();
            let entry = Entry {
                quarantined_at: Utc::now().to_rfc3339(),
                tenant: tenant.id.as_str(),
                tenant_name: &tenant.name,
                index: bad.index(),
                id: bad.id(),
                path: bad.path(),
                reason: bad.message(),
                sha256: &sha256,
                raw: text,
                raw_base64: text.is_none().then(|| STANDARD.encode(raw)),
            };
            json_line(&entry)?
        };
        let state = self.state.clone();
        let path = self.path.clone();
        let fresh = tokio::task::spawn_blocking(move || -> Result<bool> {
            let mut state = lock(&state)?;
            if state.known.contains(&key) {
                return Ok(false);
            }
            state.append(&line, path.as_deref())?;
            state.known.insert(key);
            Ok(true)
        })
        .await
        .map_err(|e| Error::Config(format!("the quarantine writer stopped: {e}")))??;
        Ok(fresh.then(|| QuarantinedAlert {
            index: bad.index(),
            id: bad.id().map(str::to_owned),
            path: bad.path().to_owned(),
            reason: bad.message().to_owned(),
            sha256,
            file: self.path.clone(),
        }))
    }

    /// True when `sink` already has the quarantined alert `sha256` of
    /// `tenant`.
    pub(crate) fn delivered_to(&self, tenant: &TenantId, sha256: &str, sink: &str) -> bool {
        lock(&self.state).is_ok_and(|s| {
            s.delivered.contains(&(
                tenant.as_str().to_owned(),
                sha256.to_owned(),
                sink.to_owned(),
            ))
        })
    }

    /// Records, durably, that `sink` has the quarantined alerts `hashes` of
    /// `tenant`.
    pub(crate) async fn mark_delivered(
        &self,
        tenant: &TenantId,
        hashes: Vec<Arc<str>>,
        sink: &str,
    ) -> Result<()> {
        if hashes.is_empty() {
            return Ok(());
        }
        let tenant = tenant.as_str().to_owned();
        let sink = sink.to_owned();
        let state = self.state.clone();
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || -> Result<()> {
            let mut state = lock(&state)?;
            for hash in hashes {
                let key = (tenant.clone(), hash.to_string(), sink.clone());
                if state.delivered.contains(&key) {
                    continue;
                }
                let line = json_line(&Handover {
                    delivered: &hash,
                    tenant: &tenant,
                    sink: &sink,
                })?;
                state.append(&line, path.as_deref())?;
                state.delivered.insert(key);
            }
            Ok(())
        })
        .await
        .map_err(|e| Error::Config(format!("the quarantine writer stopped: {e}")))?
    }
}

impl State {
    /// Reads the file back, line by line (it may have grown large).
    fn read_all(&mut self, file: &mut File, path: &Path) -> Result<()> {
        let what = || format!("quarantine file {}: cannot read it", path.display());
        file.seek(SeekFrom::Start(0))
            .map_err(|e| Error::io(what(), e))?;
        let mut reader = BufReader::new(file);
        let mut line = Vec::new();
        loop {
            line.clear();
            let n = reader
                .read_until(b'\n', &mut line)
                .map_err(|e| Error::io(what(), e))?;
            if n == 0 {
                return Ok(());
            }
            self.torn = line.last() != Some(&b'\n');
            self.read_back(&line);
        }
    }

    /// Takes in one line of the file. A line cut short by a crash, or not
    /// ours, is skipped: its alert, if any, is quarantined again when it
    /// comes back.
    fn read_back(&mut self, line: &[u8]) {
        let Ok(line) = serde_json::from_slice::<Line>(line) else {
            return;
        };
        match (line.tenant, line.sha256, line.delivered, line.sink) {
            (Some(tenant), Some(hash), None, _) => {
                self.known.insert((tenant, hash));
            }
            (Some(tenant), None, Some(hash), Some(sink)) => {
                self.delivered.insert((tenant, hash, sink));
            }
            _ => {}
        }
    }

    /// Appends one line in one write and syncs it; nothing without a file.
    fn append(&mut self, line: &[u8], path: Option<&Path>) -> Result<()> {
        let Some(path) = path else {
            return Ok(());
        };
        let file = match &mut self.file {
            Some(file) => file,
            empty => empty.insert(open_file(path)?),
        };
        let name = path.display();
        let mut bytes = Vec::with_capacity(line.len() + 1);
        if self.torn {
            // Finish the line a crash cut short, so this one stands alone.
            bytes.push(b'\n');
        }
        bytes.extend_from_slice(line);
        file.write_all(&bytes)
            .and_then(|()| file.sync_data())
            .map_err(|e| Error::io(format!("quarantine file {name}: cannot append"), e))?;
        self.torn = false;
        Ok(())
    }
}

/// Opens (or creates, mode 0600) the file at `path` for reading and
/// appending, refusing anything but a regular file.
fn open_file(path: &Path) -> Result<File> {
    let what = |doing: &str| format!("quarantine file {}: cannot {doing}", path.display());
    let existed = match std::fs::symlink_metadata(path) {
        Ok(meta) if !meta.file_type().is_file() => {
            return Err(Error::Config(format!(
                "quarantine file {} is not a regular file (a symbolic link or a directory); refusing it",
                path.display()
            )));
        }
        Ok(_) => true,
        Err(_) => false,
    };
    let mut options = OpenOptions::new();
    options.read(true).append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options
        .open(path)
        .map_err(|e| Error::io(what("open it"), e))?;
    check_opened(path, &file)?;
    if !existed {
        sync_parent(path).map_err(|e| Error::io(what("sync its directory"), e))?;
    }
    Ok(file)
}

/// The file opened is the regular file at `path` (not one a symbolic link
/// swapped in between the check and the open), and only its owner may read
/// it: a looser mode is narrowed to 0600, with a warning.
fn check_opened(path: &Path, file: &File) -> Result<()> {
    let refuse = || {
        Error::Config(format!(
            "quarantine file {} changed while it was opened (a symbolic link?); refusing it",
            path.display()
        ))
    };
    let opened = file.metadata().map_err(|e| {
        Error::io(
            format!("quarantine file {}: cannot stat", path.display()),
            e,
        )
    })?;
    if !opened.is_file() {
        return Err(refuse());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let named = std::fs::symlink_metadata(path).map_err(|e| {
            Error::io(
                format!("quarantine file {}: cannot stat", path.display()),
                e,
            )
        })?;
        if (named.dev(), named.ino()) != (opened.dev(), opened.ino()) {
            return Err(refuse());
        }
        if opened.mode() & 0o077 != 0 {
            tracing::warn!(
                file = %path.display(),
                mode = format!("{:o}", opened.mode() & 0o777),
                "the quarantine file was readable by others; narrowing it to 0600"
            );
            file.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(|e| {
                    Error::io(
                        format!("quarantine file {}: cannot set mode 0600", path.display()),
                        e,
                    )
                })?;
        }
    }
    Ok(())
}

/// Syncs the directory holding a file just created, so the file survives a
/// crash.
fn sync_parent(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn json_line<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    let mut line = serde_json::to_vec(value)
        .map_err(|e| Error::Config(format!("cannot write a quarantine entry: {e}")))?;
    line.push(b'\n');
    Ok(line)
}

fn lock(state: &Mutex<State>) -> Result<std::sync::MutexGuard<'_, State>> {
    state
        .lock()
        .map_err(|_| Error::Config("the quarantine's lock was poisoned".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{Alert, parse_page};

    fn bad(json: &[u8]) -> MalformedAlert {
        let page = parse_page::<Alert>(json).unwrap();
        page.malformed().next().unwrap().clone()
    }

    #[tokio::test]
    async fn entries_are_kept_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("quarantine.jsonl");
        let tenant = TenantInfo::new(TenantId::new("contoso.com").unwrap(), "Contoso");
        let utf8 = bad(br#"{"value":[{"id":"q1","x":1e999}]}"#);
        let binary = bad(b"{\"value\":[{\"id\":\"q2\",\"t\":\"\xff\"}]}");
        let q = Quarantine::open(&path).unwrap();
        assert!(!path.exists(), "created only when needed");
        let first = q.admit(&tenant, &utf8).await.unwrap().unwrap();
        assert_eq!(first.id.as_deref(), Some("q1"));
        assert_eq!(first.file.as_deref(), Some(path.as_path()));
        assert!(q.admit(&tenant, &utf8).await.unwrap().is_none());
        assert!(q.admit(&tenant, &binary).await.unwrap().is_some());
        q.mark_delivered(&tenant.id, vec![Arc::from(first.sha256.as_str())], "file")
            .await
            .unwrap();
        drop(q);

        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0]["raw"], r#"{"id":"q1","x":1e999}"#);
        assert_eq!(lines[0]["tenant"], "contoso.com");
        assert_eq!(lines[1]["raw_base64"], STANDARD.encode(binary.raw_bytes()));
        assert_eq!(lines[1]["path"], "$.t");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }

        // A crash cut the next line short: it is skipped, and the file
        // goes on after it.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"tenant\":\"contoso.com\",\"sha")
            .unwrap();
        let q = Quarantine::open(&path).unwrap();
        assert!(q.admit(&tenant, &utf8).await.unwrap().is_none());
        assert!(q.admit(&tenant, &binary).await.unwrap().is_none());
        assert!(q.delivered_to(&tenant.id, &first.sha256, "file"));
        assert!(!q.delivered_to(&tenant.id, &first.sha256, "hec"));
        let other = TenantInfo::new(TenantId::new("fabrikam.com").unwrap(), "Fabrikam");
        assert!(q.admit(&other, &utf8).await.unwrap().is_some());
        let text = std::fs::read_to_string(&path).unwrap();
        let last = text.lines().last().unwrap();
        assert!(last.starts_with("{\"quarantined_at\""), "{last}");
    }

    #[cfg(unix)]
    #[test]
    fn a_loose_mode_is_narrowed_to_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("quarantine.jsonl");
        std::fs::write(&path, b"").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        Quarantine::open(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_missing_directory_is_refused_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let err = Quarantine::open(dir.path().join("nope").join("q.jsonl"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("does not exist"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        std::fs::write(&target, b"").unwrap();
        let link = dir.path().join("quarantine.jsonl");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let err = Quarantine::open(&link).unwrap_err().to_string();
        assert!(err.contains("not a regular file"), "{err}");
    }
}
