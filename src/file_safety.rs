//! Checks that a file or directory the crate writes cannot be turned
//! against the process: it must be a regular file (or a directory), owned
//! by the process's effective user, and closed to group and others.
//!
//! The checks read the metadata of an *opened* handle (`fstat`) where they
//! can, so that what is checked is what is written. Elsewhere than Unix
//! there are no owners or modes to check and every check passes.

use std::fs::Metadata;
use std::path::Path;

/// What is wrong with a file's owner or type, in words for an error.
pub(crate) type Refusal = String;

/// Group and other permission bits set on `meta` (0 when none, and always
/// 0 off Unix).
pub(crate) fn loose_bits(meta: &Metadata) -> u32 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.permissions().mode() & 0o077
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        0
    }
}

/// The permission bits of `meta` (`0o644`), for messages; 0 off Unix.
pub(crate) fn mode(meta: &Metadata) -> u32 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.permissions().mode() & 0o7777
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        0
    }
}

/// Refuses anything but a regular file owned by the process's effective
/// user.
pub(crate) fn owned_regular_file(path: &Path, meta: &Metadata) -> Result<(), Refusal> {
    if !meta.file_type().is_file() {
        return Err(format!(
            "{} is not a regular file ({}); refusing to write to it",
            path.display(),
            kind(meta)
        ));
    }
    owned_by_me(path, meta)
}

/// Refuses anything but a directory owned by the process's effective user.
pub(crate) fn owned_directory(path: &Path, meta: &Metadata) -> Result<(), Refusal> {
    if !meta.file_type().is_dir() {
        return Err(format!(
            "{} is not a directory ({})",
            path.display(),
            kind(meta)
        ));
    }
    owned_by_me(path, meta)
}

fn kind(meta: &Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_symlink() {
        "a symbolic link"
    } else if t.is_dir() {
        "a directory"
    } else if t.is_file() {
        "a regular file"
    } else {
        "a device, socket or pipe"
    }
}

#[cfg(unix)]
fn owned_by_me(path: &Path, meta: &Metadata) -> Result<(), Refusal> {
    use std::os::unix::fs::MetadataExt;
    let me = rustix::process::geteuid().as_raw();
    if meta.uid() == me {
        return Ok(());
    }
    Err(format!(
        "{} is owned by uid {}, not by this process (uid {me}); refusing to use it",
        path.display(),
        meta.uid()
    ))
}

#[cfg(not(unix))]
fn owned_by_me(_: &Path, _: &Metadata) -> Result<(), Refusal> {
    Ok(())
}

/// The flag that makes `open` fail on a symbolic link (0 off Unix).
#[cfg(unix)]
pub(crate) fn no_follow_flag() -> i32 {
    // O_NOFOLLOW fits an i32 on every Unix.
    rustix::fs::OFlags::NOFOLLOW.bits() as i32
}

/// Whether `open` failed because `O_NOFOLLOW` met a symbolic link.
pub(crate) fn is_link_refused(e: &std::io::Error) -> bool {
    #[cfg(unix)]
    {
        e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error())
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        false
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_file_of_mine_passes_and_a_directory_is_not_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, b"x").unwrap();
        let meta = std::fs::metadata(&file).unwrap();
        assert!(owned_regular_file(&file, &meta).is_ok());
        let dmeta = std::fs::metadata(dir.path()).unwrap();
        assert!(owned_directory(dir.path(), &dmeta).is_ok());
        let e = owned_regular_file(dir.path(), &dmeta).unwrap_err();
        assert!(e.contains("is not a regular file (a directory)"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn loose_bits_are_the_group_and_other_ones() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, b"x").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
        let meta = std::fs::metadata(&file).unwrap();
        assert_eq!((loose_bits(&meta), mode(&meta)), (0o040, 0o640));
    }
}
