//! Temporary checkpoint files left behind by a process that died between
//! writing one and renaming it over the checkpoint (a crash, `kill -9`).
//!
//! Such a file never holds the checkpoint: the old one is still in place.
//! Left alone, one more would pile up with every such crash.

use std::fs;
use std::io;
use std::path::Path;

/// The process id in a temporary file's name, `.{file}.{pid}.{n}.tmp`, or
/// `None` when the name is not one of ours.
fn temporary_owner(name: &str) -> Option<u32> {
    let inner = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let mut parts = inner.rsplitn(3, '.');
    let counter = parts.next()?;
    let pid = parts.next()?;
    let file = parts.next()?;
    if !file.ends_with(".json") || counter.parse::<u64>().is_err() {
        return None;
    }
    pid.parse().ok()
}

/// Removes the temporary files in `dir` of processes that no longer run,
/// and returns how many it removed. Only on Linux, where `/proc` tells
/// whether a process runs; elsewhere nothing is removed.
pub(super) fn remove_stale_temporaries(dir: &Path) -> io::Result<usize> {
    if !cfg!(target_os = "linux") {
        return Ok(0);
    }
    let me = std::process::id();
    let mut removed = 0;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(temporary_owner) else {
            continue;
        };
        if pid == me || Path::new("/proc").join(pid.to_string()).exists() {
            continue;
        }
        fs::remove_file(entry.path())?;
        removed += 1;
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn only_our_temporary_names_are_recognised() {
        assert_eq!(temporary_owner(".t__s.json.4242.7.tmp"), Some(4242));
        assert_eq!(temporary_owner("t__s.json"), None);
        assert_eq!(temporary_owner(".t__s.json.x.7.tmp"), None);
        assert_eq!(temporary_owner(".t__s.json.42.x.tmp"), None);
        assert_eq!(temporary_owner(".notes.txt.42.1.tmp"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn temporaries_of_dead_processes_go_and_live_ones_stay() {
        let dir = tempfile::tempdir().unwrap();
        // Far above any pid Linux hands out (pid_max is at most 2^22).
        let dead = dir.path().join(".t__s.json.99999999.0.tmp");
        let mine = dir
            .path()
            .join(format!(".t__s.json.{}.0.tmp", std::process::id()));
        let checkpoint = dir.path().join("t__s.json");
        for path in [&dead, &mine, &checkpoint] {
            fs::write(path, b"{}").unwrap();
        }
        assert_eq!(remove_stale_temporaries(dir.path()).unwrap(), 1);
        assert!(!dead.exists() && mine.exists() && checkpoint.exists());
    }
}
