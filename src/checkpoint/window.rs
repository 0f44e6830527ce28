//! [`SeenWindow`]: the alert versions delivered inside the overlap window.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::models::Timestamp;

/// A set of `(id, lastUpdateTime)` versions, ordered by time so the old end
/// can be cut off cheaply. Memory is bounded by the alerts updated within
/// the overlap window, not by how many alerts have gone through.
///
/// Each version is its own entry: an alert with several versions in the
/// window is remembered once per version. Inserting and looking up take
/// `O(log n)`, also when thousands of versions share one timestamp.
///
/// ```
/// use defender_siem::checkpoint::SeenWindow;
/// use defender_siem::models::Timestamp;
///
/// let t = |s: &str| s.parse::<Timestamp>().unwrap();
/// let mut seen = SeenWindow::default();
/// assert!(seen.insert("da1", t("2026-01-01T00:00:00Z")));
/// assert!(seen.insert("da1", t("2026-01-01T00:00:01Z")), "another version");
/// assert!(!seen.insert("da1", t("2026-01-01T00:00:00Z")), "already there");
/// assert_eq!(seen.len(), 2);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeenWindow {
    by_time: BTreeMap<Timestamp, BTreeSet<Box<str>>>,
    len: usize,
}

impl SeenWindow {
    /// Adds a version; false when it was already there.
    pub fn insert(&mut self, id: &str, last_update: Timestamp) -> bool {
        let ids = self.by_time.entry(last_update).or_default();
        if ids.contains(id) {
            return false;
        }
        ids.insert(id.into());
        self.len += 1;
        true
    }

    /// Whether this exact version was delivered.
    pub fn contains(&self, id: &str, last_update: Timestamp) -> bool {
        self.by_time
            .get(&last_update)
            .is_some_and(|ids| ids.contains(id))
    }

    /// Drops every version with `lastUpdateTime` before `cutoff`.
    pub fn forget_before(&mut self, cutoff: Timestamp) {
        let kept = self.by_time.split_off(&cutoff);
        let dropped: usize = self.by_time.values().map(BTreeSet::len).sum();
        self.by_time = kept;
        self.len -= dropped;
    }

    /// Number of versions held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The versions, oldest first (ids in order within one time).
    pub fn iter(&self) -> impl Iterator<Item = (&str, Timestamp)> {
        self.by_time
            .iter()
            .flat_map(|(ts, ids)| ids.iter().map(move |id| (&**id, *ts)))
    }
}

/// On disk: `[{"id": "...", "lastUpdateTime": "..."}, ...]`, oldest first.
#[derive(Serialize, Deserialize)]
struct Entry<'a> {
    #[serde(borrow)]
    id: std::borrow::Cow<'a, str>,
    #[serde(rename = "lastUpdateTime")]
    last_update_time: Timestamp,
}

impl Serialize for SeenWindow {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter().map(|(id, ts)| Entry {
            id: id.into(),
            last_update_time: ts,
        }))
    }
}

impl<'de> Deserialize<'de> for SeenWindow {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let entries = Vec::<Entry<'_>>::deserialize(d)?;
        let mut window = SeenWindow::default();
        for entry in entries {
            window.insert(&entry.id, entry.last_update_time);
        }
        Ok(window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forget_before_keeps_the_cutoff_itself() {
        let t = |s: &str| s.parse::<Timestamp>().unwrap();
        let mut w = SeenWindow::default();
        w.insert("a", t("2026-01-01T00:00:00Z"));
        w.insert("b", t("2026-01-01T00:05:00Z"));
        w.insert("c", t("2026-01-01T00:05:00Z"));
        w.forget_before(t("2026-01-01T00:05:00Z"));
        assert_eq!(w.len(), 2);
        assert!(w.contains("b", t("2026-01-01T00:05:00Z")));
        let json = serde_json::to_string(&w).unwrap();
        assert_eq!(
            json,
            r#"[{"id":"b","lastUpdateTime":"2026-01-01T00:05:00Z"},{"id":"c","lastUpdateTime":"2026-01-01T00:05:00Z"}]"#
        );
        assert_eq!(serde_json::from_str::<SeenWindow>(&json).unwrap(), w);
    }

    #[test]
    fn a_burst_of_versions_at_one_time_is_kept_apart_and_pruned_together() {
        let t = |s: &str| s.parse::<Timestamp>().unwrap();
        let at = t("2026-01-01T00:00:00Z");
        let mut w = SeenWindow::default();
        for i in 0..5_000 {
            assert!(w.insert(&format!("da{i}"), at));
        }
        for i in (0..5_000).step_by(7) {
            assert!(!w.insert(&format!("da{i}"), at), "da{i} twice");
            assert!(w.contains(&format!("da{i}"), at));
        }
        assert_eq!(w.len(), 5_000);
        assert!(w.insert("da1", t("2026-01-01T00:00:00.0000001Z")));
        w.forget_before(t("2026-01-01T00:00:00.0000001Z"));
        assert_eq!(w.len(), 1);
        assert!(!w.contains("da1", at));
    }
}
