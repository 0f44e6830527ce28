//! [`FileSink`]: alert lines appended to a file.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use chrono::Utc;
use tokio::fs::File;
use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;

use super::config::FileSinkBuilder;
use super::open::{OpenError, open_checked};
use crate::sink::{AlertRecord, AlertSink, SinkError};

const NAME: &str = "file";

/// Appends one line per alert to a file: by default the raw alert JSON
/// (JSON lines). Rotates by size when asked; fsyncs on
/// [`flush`](AlertSink::flush). A batch is written in one piece: if the
/// write fails half-way, the file is cut back to where the batch began, so
/// a retried batch never leaves a torn line, and a failed `send` reports
/// [`SinkError::accepted`] 0: none of the batch is in the file, and the
/// caller sends all of it again. Every error names the file. A torn last line left by a
/// crash in the middle of a write (its batch was never acknowledged and is
/// sent again) is cut off when the file is opened, before anything is
/// appended. A file it creates is private to its owner (mode 0600 on
/// Unix). On Unix the path is opened without following a symbolic link,
/// and an existing file must be a regular file owned by the process's
/// effective user, else the sink refuses it (a [`SinkErrorKind::Config`](crate::sink::SinkErrorKind::Config)
/// error naming the path) and touches nothing; a file group or others may
/// read keeps its mode, with a warning. The torn-line repair runs only after
/// these checks, on the handle that was checked.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use defender_siem::sink::{AlertSink, FileSink};
///
/// let sink = FileSink::builder("/var/log/defender/alerts.jsonl")
///     .rotate_at_bytes(100 * 1024 * 1024)
///     .keep_rotated(10)
///     .build()?;
/// # let batch = [];
/// sink.send(&batch).await?;
/// sink.flush().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct FileSink {
    config: FileSinkBuilder,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    file: Option<File>,
    size: u64,
    buf: Vec<u8>,
}

impl FileSink {
    /// Settings for a sink writing to `path`.
    pub fn builder(path: impl Into<PathBuf>) -> FileSinkBuilder {
        FileSinkBuilder::new(path.into())
    }

    pub(super) fn from_builder(config: FileSinkBuilder) -> Self {
        FileSink {
            config,
            state: Mutex::new(State::default()),
        }
    }

    /// The file being written.
    pub fn path(&self) -> &Path {
        &self.config.path
    }

    fn rotated(&self, n: usize) -> PathBuf {
        let mut name = self.config.path.clone().into_os_string();
        name.push(format!(".{n}"));
        PathBuf::from(name)
    }

    async fn open(&self, state: &mut State) -> Result<(), SinkError> {
        if state.file.is_some() {
            return Ok(());
        }
        let path = &self.config.path;
        let to_open = path.clone();
        let opened = tokio::task::spawn_blocking(move || open_checked(&to_open))
            .await
            .map_err(|e| SinkError::connection(NAME, format!("opening the file failed: {e}")))?
            .map_err(|e| match e {
                OpenError::Refused(why) => SinkError::config(NAME, why),
                OpenError::Io(what, e) => {
                    SinkError::io(NAME, &format!("{what} {}", path.display()), e)
                }
            })?;
        if let Some(mode) = opened.loose_mode {
            tracing::warn!(
                path = %path.display(),
                mode = %format!("{mode:04o}"),
                "the alert file is readable or writable by group or others; alerts name users, hosts and files: chmod 600 it"
            );
        }
        if opened.cut > 0 {
            tracing::warn!(
                path = %path.display(),
                bytes = opened.cut,
                "cut off a torn last line (a write interrupted by a crash); its batch is sent again"
            );
        }
        state.file = Some(File::from_std(opened.file));
        state.size = opened.size;
        Ok(())
    }

    async fn rotate(&self, state: &mut State) -> Result<(), SinkError> {
        if let Some(mut file) = state.file.take() {
            let _ = file.flush().await;
            let _ = file.sync_all().await;
        }
        let keep = self.config.keep;
        if keep == 0 {
            let _ = tokio::fs::remove_file(&self.config.path).await;
        } else {
            let _ = tokio::fs::remove_file(self.rotated(keep)).await;
            for n in (1..keep).rev() {
                let _ = tokio::fs::rename(self.rotated(n), self.rotated(n + 1)).await;
            }
            tokio::fs::rename(&self.config.path, self.rotated(1))
                .await
                .map_err(|e| SinkError::io(NAME, "cannot rotate the file", e))?;
        }
        tracing::info!(path = %self.config.path.display(), "rotated alert file");
        self.open(state).await
    }

    async fn write(&self, state: &mut State) -> Result<(), SinkError> {
        let State { file, size, buf } = state;
        let Some(file) = file.as_mut() else {
            return Err(SinkError::connection(NAME, "the file is not open"));
        };
        let written = match file.write_all(buf).await {
            Ok(()) => file
                .flush()
                .await
                .map_err(|e| ("cannot write the batch", e)),
            Err(e) => Err(("cannot write the batch", e)),
        };
        let written = match written {
            Ok(()) if self.config.sync_each_batch => file
                .sync_data()
                .await
                .map_err(|e| ("cannot fsync the file", e)),
            other => other,
        };
        if let Err((what, e)) = written {
            // Cut back to where the batch began: none of it is in the file
            // (accepted 0), and the retry leaves no torn line.
            let _ = file.set_len(*size).await;
            return Err(SinkError::io(NAME, what, e));
        }
        *size += buf.len() as u64;
        Ok(())
    }
}

#[async_trait]
impl AlertSink for FileSink {
    fn name(&self) -> &str {
        NAME
    }

    /// Every record, but one whose typed view could not be read
    /// ([`AlertRecord::is_malformed`]) only when the format carries the raw
    /// JSON ([`crate::format::Format::carries_raw_json`]).
    fn accepts(&self, record: &AlertRecord) -> bool {
        !record.is_malformed() || self.config.format.carries_raw_json()
    }

    /// The batch in one piece, or nothing of it (accepted 0).
    async fn send(&self, batch: &[AlertRecord]) -> Result<(), SinkError> {
        if batch.is_empty() {
            return Ok(());
        }
        self.send_batch(batch).await.map_err(|e| e.at(self.at()))
    }

    async fn flush(&self) -> Result<(), SinkError> {
        self.flush_file().await.map_err(|e| e.at(self.at()))
    }
}

impl FileSink {
    /// The file, for errors.
    fn at(&self) -> String {
        self.config.path.display().to_string()
    }

    async fn send_batch(&self, batch: &[AlertRecord]) -> Result<(), SinkError> {
        let mut guard = self.state.lock().await;
        let state = &mut *guard;
        state.buf.clear();
        let now = Utc::now();
        for record in batch {
            self.config.format.encode_line(record, now, &mut state.buf);
        }
        self.open(state).await?;
        if let Some(limit) = self.config.rotate_at
            && state.size > 0
            && state.size + state.buf.len() as u64 > limit
        {
            self.rotate(state).await?;
        }
        let result = self.write(state).await;
        if result.is_err() {
            state.file = None;
        }
        result
    }

    async fn flush_file(&self) -> Result<(), SinkError> {
        let mut state = self.state.lock().await;
        if let Some(file) = state.file.as_mut() {
            file.flush()
                .await
                .map_err(|e| SinkError::io(NAME, "cannot flush the file", e))?;
            file.sync_all()
                .await
                .map_err(|e| SinkError::io(NAME, "cannot fsync the file", e))?;
        }
        Ok(())
    }
}
