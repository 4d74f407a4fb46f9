//! Giving every file of a tree one modification time.

use filetime::FileTime;
use std::path::Path;

/// Sets the modification time of every regular file below `root` (not following links) to
/// `unix_seconds`; access times are left as they are.
pub(crate) fn set_tree_mtimes(root: &Path, unix_seconds: i64) -> std::io::Result<()> {
    let time = FileTime::from_unix_time(unix_seconds, 0);
    let mut directories = vec![root.to_path_buf()];
    while let Some(directory) = directories.pop() {
        for entry in std::fs::read_dir(&directory)? {
            let entry = entry?;
            // The type of the entry itself: a link is neither a directory nor a file here.
            let file_type = entry.file_type()?;
            if file_type.is_dir() {
                directories.push(entry.path());
            } else if file_type.is_file() {
                filetime::set_file_mtime(entry.path(), time)?;
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
