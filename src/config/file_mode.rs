//! A warning when the configuration file is readable by group or others:
//! it may hold secrets, or `${NAME}` references that say where they are.

use std::path::Path;

use crate::file_safety;

/// Logs a warning naming `path` and its mode when group or others may read
/// or write it. Nothing when its metadata cannot be read (reading the file
/// itself reports that) or off Unix.
pub(super) fn warn_if_open_to_others(path: &Path) {
    let Ok(meta) = std::fs::metadata(path) else {
        return;
    };
    if file_safety::loose_bits(&meta) == 0 {
        return;
    }
    tracing::warn!(
        path = %path.display(),
        mode = %format!("{:04o}", file_safety::mode(&meta)),
        "the configuration file is readable or writable by group or others; it may hold secrets: chmod 600 it"
    );
}
