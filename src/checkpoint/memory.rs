//! [`MemoryCheckpointStore`]: checkpoints in a map, for tests and short runs.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::{Checkpoint, CheckpointKey, CheckpointStore};
use crate::error::Result;

/// Keeps checkpoints in memory; they are gone when the process ends.
#[derive(Debug, Default)]
pub struct MemoryCheckpointStore {
    map: Mutex<HashMap<CheckpointKey, Checkpoint>>,
}

impl MemoryCheckpointStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many checkpoints are held.
    pub fn len(&self) -> usize {
        self.map.lock().map_or(0, |m| m.len())
    }

    /// True when no checkpoint is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[async_trait]
impl CheckpointStore for MemoryCheckpointStore {
    async fn load(&self, key: &CheckpointKey) -> Result<Option<Checkpoint>> {
        Ok(self.map.lock().map_err(|_| poisoned())?.get(key).cloned())
    }

    async fn save(&self, key: &CheckpointKey, checkpoint: &Checkpoint) -> Result<()> {
        self.map
            .lock()
            .map_err(|_| poisoned())?
            .insert(key.clone(), checkpoint.clone());
        Ok(())
    }
}

fn poisoned() -> crate::Error {
    crate::Error::Checkpoint {
        key: "memory store".to_owned(),
        message: "a thread panicked while holding the store".to_owned(),
    }
}
