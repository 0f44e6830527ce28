//! Checkpoints: how far each (tenant, sink) pair has been delivered.
//!
//! A checkpoint holds a *watermark* (the highest `lastUpdateTime` a sink has
//! acknowledged for a tenant) and a [`SeenWindow`]: the `(id,
//! lastUpdateTime)` versions delivered inside the overlap window. The
//! forwarder queries `lastUpdateTime ge watermark − overlap` (alerts become
//! visible late) and drops the versions already in the window, so a late
//! alert is caught and an unchanged one is never sent twice. A checkpoint is
//! only saved after the sink acknowledged the batch it covers.
//!
//! | store | use |
//! |---|---|
//! | [`MemoryCheckpointStore`] | tests and short-lived runs |
//! | [`FileCheckpointStore`] | one versioned JSON file per (tenant, sink), written atomically, mode 0600 |

mod file;
mod memory;
mod stale;
mod window;

use std::fmt;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::models::Timestamp;
use crate::tenant::TenantId;

pub use file::FileCheckpointStore;
pub use memory::MemoryCheckpointStore;
pub use window::SeenWindow;

/// Which checkpoint: one per (tenant, sink) pair.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CheckpointKey {
    tenant: TenantId,
    sink: String,
}

impl CheckpointKey {
    /// The key of `sink` (its unique name, 1–64 characters of letters,
    /// digits, `-`, `_` and `.`) for `tenant`.
    pub fn new(tenant: TenantId, sink: impl Into<String>) -> Result<Self> {
        let sink = sink.into();
        let valid = !sink.is_empty()
            && sink.len() <= 64
            && !sink.starts_with('.')
            && sink
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !valid {
            return Err(Error::Config(format!(
                "sink name `{}` must be 1-64 letters, digits, `-`, `_` or `.` (it names checkpoint files)",
                sink.chars().take(64).collect::<String>()
            )));
        }
        Ok(CheckpointKey { tenant, sink })
    }

    /// The tenant.
    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    /// The sink name.
    pub fn sink(&self) -> &str {
        &self.sink
    }
}

impl fmt::Display for CheckpointKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tenant {} / sink {}", self.tenant, self.sink)
    }
}

/// How far one (tenant, sink) pair has been delivered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Checkpoint {
    /// Highest `lastUpdateTime` the sink has acknowledged; `None` before the
    /// first delivery.
    pub watermark: Option<Timestamp>,
    /// Versions delivered inside the overlap window.
    pub seen: SeenWindow,
    /// The tenant GUID a tenant configured by domain was pinned to when it
    /// was first polled: every later token and alert must carry it.
    pub pinned_tenant: Option<String>,
}

impl Checkpoint {
    /// Records a delivered version: raises the watermark and remembers the
    /// version. Returns false when the version was already recorded.
    pub fn record(&mut self, id: &str, last_update: Timestamp) -> bool {
        if self.watermark.is_none_or(|w| w < last_update) {
            self.watermark = Some(last_update);
        }
        self.seen.insert(id, last_update)
    }

    /// Forgets versions older than `watermark − overlap`: the next query
    /// starts there, so older versions cannot come back.
    pub fn prune(&mut self, overlap: chrono::Duration) {
        if let Some(watermark) = self.watermark {
            self.seen.forget_before(before(watermark, overlap));
        }
    }

    /// The lower bound of the next query: `watermark − overlap`.
    pub fn query_from(&self, overlap: chrono::Duration) -> Option<Timestamp> {
        self.watermark.map(|w| before(w, overlap))
    }
}

/// `at − overlap`, saturating at chrono's earliest instant (an overlap of
/// millions of years must not panic).
fn before(at: Timestamp, overlap: chrono::Duration) -> Timestamp {
    Timestamp::from_datetime(
        at.as_datetime()
            .checked_sub_signed(overlap)
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC),
    )
}

/// Where checkpoints are kept.
#[async_trait]
pub trait CheckpointStore: Send + Sync + fmt::Debug {
    /// The checkpoint of `key`, or `None` when there is none yet. A checkpoint
    /// that exists but cannot be read is an error, never `None`: starting
    /// over silently would re-send (or skip) a tenant's history.
    async fn load(&self, key: &CheckpointKey) -> Result<Option<Checkpoint>>;

    /// Saves the checkpoint of `key`. A crash leaves the old or the new
    /// checkpoint, never a mix.
    async fn save(&self, key: &CheckpointKey, checkpoint: &Checkpoint) -> Result<()>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn sink_names_that_could_escape_the_directory_are_refused() {
        let tenant = TenantId::new("contoso.com").unwrap();
        for bad in [
            "",
            "../x",
            "a/b",
            ".hidden",
            "x".repeat(65).as_str(),
            "spaced name",
        ] {
            assert!(CheckpointKey::new(tenant.clone(), bad).is_err(), "{bad}");
        }
        assert!(CheckpointKey::new(tenant, "splunk-prod_1.eu").is_ok());
    }

    #[test]
    fn record_raises_the_watermark_and_dedupes() {
        let mut cp = Checkpoint::default();
        assert!(cp.record("a", ts("2026-11-01T10:00:00Z")));
        assert!(cp.record("b", ts("2026-11-01T09:00:00Z")));
        assert!(!cp.record("a", ts("2026-11-01T10:00:00Z")));
        assert!(
            cp.record("a", ts("2026-11-01T10:05:00Z")),
            "an update is a new version"
        );
        assert_eq!(cp.watermark, Some(ts("2026-11-01T10:05:00Z")));
        let overlap = chrono::Duration::minutes(10);
        assert_eq!(cp.query_from(overlap), Some(ts("2026-11-01T09:55:00Z")));
        cp.prune(overlap);
        // 10:00 is inside the window (the next query starts at 09:55), so
        // it must still be remembered; 09:00 can never come back.
        assert!(cp.seen.contains("a", ts("2026-11-01T10:00:00Z")));
        assert!(!cp.seen.contains("b", ts("2026-11-01T09:00:00Z")));
        assert!(cp.seen.contains("a", ts("2026-11-01T10:05:00Z")));
    }

    #[test]
    fn an_enormous_overlap_saturates_instead_of_panicking() {
        let mut cp = Checkpoint::default();
        assert!(cp.record("a", ts("0001-01-01T00:00:00Z")));
        let forever = chrono::Duration::seconds(i64::MAX / 1_000);
        let from = cp.query_from(forever).unwrap();
        assert!(from.as_datetime() < ts("0001-01-01T00:00:00Z").as_datetime());
        cp.prune(forever);
        assert!(cp.seen.contains("a", ts("0001-01-01T00:00:00Z")));
    }
}
