//! [`FileSinkBuilder`]: settings of a [`FileSink`].

use std::path::PathBuf;

use super::sink::FileSink;
use crate::error::Error;
use crate::format::Format;

/// Settings of a [`FileSink`]; see [`FileSink::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct FileSinkBuilder {
    pub(super) path: PathBuf,
    pub(super) format: Format,
    pub(super) rotate_at: Option<u64>,
    pub(super) keep: usize,
    pub(super) sync_each_batch: bool,
}

impl FileSinkBuilder {
    pub(super) fn new(path: PathBuf) -> Self {
        FileSinkBuilder {
            path,
            format: Format::Json,
            rotate_at: None,
            keep: 5,
            sync_each_batch: false,
        }
    }

    /// The line format. Default [`Format::Json`]: the raw alert, one per line.
    pub fn format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }

    /// Starts a new file once the current one would grow past `bytes`:
    /// `alerts.jsonl` becomes `alerts.jsonl.1`, `.1` becomes `.2`, and so on.
    /// A batch is never split across files. Default: no rotation.
    pub fn rotate_at_bytes(mut self, bytes: u64) -> Self {
        self.rotate_at = Some(bytes);
        self
    }

    /// How many rotated files to keep (`.1` … `.N`); older ones are
    /// deleted. Default 5.
    pub fn keep_rotated(mut self, files: usize) -> Self {
        self.keep = files;
        self
    }

    /// Calls fsync after every batch, so `send` returns only once the batch
    /// is on disk. Default off: `send` returns once the OS has the bytes,
    /// and [`flush`](crate::sink::AlertSink::flush) fsyncs.
    pub fn sync_each_batch(mut self, sync: bool) -> Self {
        self.sync_each_batch = sync;
        self
    }

    /// Checks the settings. The file is opened (created, in append mode) on
    /// the first send.
    pub fn build(self) -> Result<FileSink, Error> {
        if self.path.as_os_str().is_empty() {
            return Err(Error::Config("file sink: the path is empty".into()));
        }
        if self.rotate_at == Some(0) {
            return Err(Error::Config(
                "file sink: rotate_at_bytes must be more than 0".into(),
            ));
        }
        Ok(FileSink::from_builder(self))
    }
}

// ---------------------------------------------------------------------------
// The `[[sinks]]` settings of the configuration file (their own imports
// here, so that this section stays apart from the builder above).

use std::sync::Arc;

use serde::Deserialize;

use crate::config::{SinkAt, SinkContext, SinkSettings, Text};
use crate::sink::AlertSink;

/// The `[[sinks]]` settings of a `type = "file"` sink in the forwarder's
/// configuration file.
///
/// ```toml
/// [[sinks]]
/// name = "archive"
/// type = "file"
/// path = "alerts.jsonl"
/// rotate_bytes = 104857600   # optional
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct FileSinkSettings {
    /// `path` of the JSON-lines file.
    pub path: PathBuf,
    /// `rotate_bytes`: rotate when the file passes this size.
    pub rotate_bytes: Option<u64>,
}

/// The keys of a file sink as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFileSink {
    path: Option<Text>,
    rotate_bytes: Option<u64>,
}

impl SinkSettings for FileSinkSettings {
    type Raw = RawFileSink;

    fn check(raw: RawFileSink, at: &SinkAt<'_>) -> Result<Self, Error> {
        Ok(FileSinkSettings {
            path: PathBuf::from(at.required(raw.path, "path")?),
            rotate_bytes: raw.rotate_bytes,
        })
    }

    fn build(&self, at: &SinkContext<'_>) -> Result<Arc<dyn AlertSink>, Error> {
        let mut b = FileSink::builder(&self.path);
        if let Some(bytes) = self.rotate_bytes {
            b = b.rotate_at_bytes(bytes);
        }
        Ok(at.named(b.build()?))
    }
}

#[cfg(test)]
mod settings_tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use crate::config::SinkKind;
    use crate::config::testing::{parse_sink, refused};

    const FILE: &str = "[[sinks]]\nname = \"s\"\ntype = \"file\"\npath = \"alerts.jsonl\"\n";

    #[test]
    fn reads_the_keys() {
        let config = parse_sink(&format!("{FILE}rotate_bytes = 1000\n")).unwrap();
        let SinkKind::File(file) = &config.kind else {
            panic!("{config:?}")
        };
        assert_eq!(file.path.to_str(), Some("alerts.jsonl"));
        assert_eq!(file.rotate_bytes, Some(1000));
    }

    #[test]
    fn refuses_unknown_and_foreign_keys() {
        refused(
            &format!("{FILE}rotate = 1\n"),
            &[
                "f.toml:9: unknown field `rotate` in sink `s` (type file)",
                "its keys are name, type, filter, path, rotate_bytes",
            ],
        );
        // Secrets in a key of another type stay out of the error.
        refused(
            &format!("{FILE}password = \"${{TEST_SECRET}}\"\n"),
            &[
                "f.toml:5: `sinks[0].password`: does not apply to type file (line 9; it is a key of type email)",
            ],
        );
        refused(
            "[[sinks]]\nname = \"s\"\ntype = \"file\"\n",
            &["f.toml:5: `sinks[0].path`: is required for type file"],
        );
    }
}
