//! Opening the alert file so that it cannot be turned against the process:
//! a symbolic link is never followed, the file must be a regular file
//! owned by the process, and only then is a torn last line cut off.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

use super::torn::cut_torn_tail;
use crate::file_safety;

/// An alert file opened for appending, checked and repaired.
pub(super) struct Opened {
    pub(super) file: File,
    /// Its length after the repair.
    pub(super) size: u64,
    /// Bytes of a torn last line cut off.
    pub(super) cut: u64,
    /// Its mode when group or others may read or write it.
    pub(super) loose_mode: Option<u32>,
}

/// Why the file was not opened.
pub(super) enum OpenError {
    /// The path is a link, not a regular file, or someone else's.
    Refused(String),
    /// The system said no.
    Io(&'static str, io::Error),
}

/// Opens (creating with mode 0600) `path` for appending without following
/// a symbolic link, checks the opened handle, and cuts a torn last line.
pub(super) fn open_checked(path: &Path) -> Result<Opened, OpenError> {
    // A clear refusal for the usual case; `O_NOFOLLOW` below closes the
    // race of a link planted between this look and the open.
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => return Err(symlink_refused(path)),
        Ok(meta) if !meta.file_type().is_file() => {
            return Err(OpenError::Refused(format!(
                "{} is not a regular file; refusing to write alerts to it",
                path.display()
            )));
        }
        _ => {}
    }
    let mut options = OpenOptions::new();
    options.read(true).append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Alerts name users, hosts and files: only the owner may read them.
        options
            .mode(0o600)
            .custom_flags(file_safety::no_follow_flag());
    }
    let mut file = match options.open(path) {
        Ok(file) => file,
        Err(e) if file_safety::is_link_refused(&e) => return Err(symlink_refused(path)),
        Err(e) => return Err(OpenError::Io("cannot open", e)),
    };
    let meta = file
        .metadata()
        .map_err(|e| OpenError::Io("cannot stat", e))?;
    file_safety::owned_regular_file(path, &meta).map_err(OpenError::Refused)?;
    let loose_mode = (file_safety::loose_bits(&meta) != 0).then(|| file_safety::mode(&meta));
    let cut = cut_torn_tail(&mut file).map_err(|e| OpenError::Io("cannot repair", e))?;
    let size = meta.len().saturating_sub(cut);
    Ok(Opened {
        file,
        size,
        cut,
        loose_mode,
    })
}

fn symlink_refused(path: &Path) -> OpenError {
    OpenError::Refused(format!(
        "{} is a symbolic link; refusing to follow it (write to the real file's path instead)",
        path.display()
    ))
}
