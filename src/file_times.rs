//! Giving every file of a tree one modification time. Files are named relative to their open
//! directory, so a path is resolved once per directory rather than once per file.

use rustix::fs::{openat, AtFlags, Dir, FileType, Mode, OFlags, Timespec, Timestamps, CWD};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

const DIRECTORY_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::CLOEXEC)
    .union(OFlags::NOFOLLOW);

/// Sets the modification time of every regular file below `root` (not following links) to
/// `unix_seconds`; access times are left as they are.
pub(crate) fn set_tree_mtimes(root: &Path, unix_seconds: i64) -> std::io::Result<()> {
    let times = Timestamps {
        last_access: Timespec {
            tv_sec: 0,
            tv_nsec: rustix::fs::UTIME_OMIT,
        },
        last_modification: Timespec {
            tv_sec: unix_seconds,
            tv_nsec: 0,
        },
    };
    let mut directories = vec![root.to_path_buf()];
    while let Some(path) = directories.pop() {
        let directory: OwnedFd = openat(CWD, &path, DIRECTORY_FLAGS, Mode::empty())?;
        for entry in Dir::read_from(&directory)? {
            let entry = entry?;
            let name = entry.file_name();
            if matches!(name.to_bytes(), b"." | b"..") {
                continue;
            }
            let file_type = match entry.file_type() {
                // Some file systems do not report the type in the listing.
                FileType::Unknown => FileType::from_raw_mode(
                    rustix::fs::statat(&directory, name, AtFlags::SYMLINK_NOFOLLOW)?.st_mode,
                ),
                known => known,
            };
            match file_type {
                FileType::Directory => {
                    directories.push(path.join(std::ffi::OsStr::from_bytes(name.to_bytes())));
                }
                FileType::RegularFile => {
                    rustix::fs::utimensat(&directory, name, &times, AtFlags::SYMLINK_NOFOLLOW)?;
                }
                _ => {}
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn every_file_of_the_tree_gets_the_time_and_links_are_not_followed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let outside = tempfile::tempdir().expect("tempdir");
        std::fs::write(outside.path().join("target"), "outside").expect("write");
        let root = dir.path().join("src");
        let mut files = Vec::new();
        for package in 0..40 {
            let package_dir = root.join(format!("p{package}/sub{}", package % 3));
            std::fs::create_dir_all(&package_dir).expect("mkdir");
            for file in 0..5 {
                let path = package_dir.join(format!("f{file}.go"));
                std::fs::write(&path, "package p").expect("write");
                files.push(path);
            }
        }
        std::os::unix::fs::symlink(outside.path().join("target"), root.join("p0/link"))
            .expect("symlink");
        std::os::unix::fs::symlink(outside.path(), root.join("p1/linked-dir")).expect("symlink");

        set_tree_mtimes(&root, 946_684_800).expect("set");

        for path in &files {
            assert_eq!(
                path.metadata().expect("stat").mtime(),
                946_684_800,
                "{}",
                path.display()
            );
        }
        let untouched = outside
            .path()
            .join("target")
            .metadata()
            .expect("stat")
            .mtime();
        assert_ne!(untouched, 946_684_800);
    }

    #[test]
    fn a_missing_root_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(set_tree_mtimes(&dir.path().join("missing"), 0).is_err());
    }
}
