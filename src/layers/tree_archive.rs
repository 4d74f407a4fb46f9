//! A cached tree kept as one compressed archive in its layer (see [`go_cnb_common::tree_archive`]),
//! unpacked into a layer that is not cached when a build needs it.
//!
//! On every build the lifecycle recreates each file of every cached layer (restore), archives
//! and hashes them again (cache), and pack deletes them, whether the build used them or not.
//! Creating files can be dear: on a Docker host whose disk is ext4 without a journal, a build
//! right after another pays close to a millisecond a file (ext4 steps over every inode the last
//! build's deleted files freed). The toolchain and the build cache are about 5,500 files. One
//! archive per tree costs the lifecycle one file, and a build that finds nothing changed never
//! unpacks it.

pub(crate) use go_cnb_common::tree_archive::{pack, unpack, TREE_ARCHIVE_FILE as ARCHIVE_FILE};
use go_cnb_common::tree_archive::{with_suffix, PARTIAL_SUFFIX};
use std::path::{Path, PathBuf};

/// The archive of a cached layer's tree.
pub(crate) fn archive_path(cached_layer: &Path) -> PathBuf {
    cached_layer.join(ARCHIVE_FILE)
}

/// Unpacks the archive of a cached layer into `into`; on any failure (a damaged or cut archive)
/// removes what was unpacked and the archive, and says why, in the words printed.
pub(crate) fn unpack_or_discard(cached_layer: &Path, into: &Path) -> Result<(), String> {
    let archive = archive_path(cached_layer);
    unpack(&archive, into).map_err(|error| {
        let _ = std::fs::remove_file(&archive);
        clear_dir(into);
        format!("its archive ({ARCHIVE_FILE}) cannot be unpacked: {error}")
    })
}

/// Why a restored cached layer cannot be used: its archive is missing (an older buildpack kept
/// the tree itself, or a build was stopped before the archive was whole).
pub(crate) fn archive_problem(cached_layer: &Path) -> Option<String> {
    (!archive_path(cached_layer).is_file())
        .then(|| format!("it has no archive ({ARCHIVE_FILE}) of the tree"))
}

/// Earlier versions of the buildpack cached the tree itself, at `tree` in the cached layer
/// (which always has `marker`). Archives it in place and removes it, so that an upgrade reuses
/// what was cached; the archive's entries carry `mtime`. Returns why the layer cannot be used
/// when that fails.
pub(crate) fn archive_unpacked_tree(
    cached_layer: &Path,
    tree: &str,
    marker: &str,
    mtime: u64,
) -> Option<String> {
    let archive = archive_path(cached_layer);
    let root = cached_layer.join(tree);
    if archive.exists() || !root.join(marker).exists() {
        return None;
    }
    let partial = with_suffix(&archive, PARTIAL_SUFFIX);
    let packed = pack(&root, &archive, mtime, &|path, _| {
        path == archive || path == partial
    });
    let _ = std::fs::read_dir(cached_layer).map(|entries| {
        for entry in entries.flatten() {
            if entry.file_name() != ARCHIVE_FILE {
                let _ = std::fs::remove_dir_all(entry.path())
                    .or_else(|_| std::fs::remove_file(entry.path()));
            }
        }
    });
    packed
        .err()
        .map(|error| format!("its unpacked tree could not be archived ({error})"))
}

/// Empties a directory, keeping it.
pub(crate) fn clear_dir(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            let _ = if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("bin")).expect("mkdir");
        std::fs::create_dir_all(dir.path().join("src/net/http")).expect("mkdir");
        std::fs::write(dir.path().join("bin/go"), "go").expect("write");
        std::fs::write(dir.path().join("src/net/http/server.go"), "package http\n").expect("write");
        dir
    }

    #[test]
    fn a_damaged_or_cut_archive_is_discarded_with_what_it_unpacked() {
        let from = tree();
        for damage in [
            // A flipped byte late in the frame: caught by the checksum if not by the reader.
            (|bytes: &mut Vec<u8>| {
                let at = bytes.len() - 12;
                bytes[at] ^= 0xff;
            }) as fn(&mut Vec<u8>),
            |bytes: &mut Vec<u8>| bytes.truncate(bytes.len() / 2),
        ] {
            let layer = tempfile::tempdir().expect("tempdir");
            let archive = archive_path(layer.path());
            pack(from.path(), &archive, 0, &|_, _| false).expect("packed");
            let mut bytes = std::fs::read(&archive).expect("read");
            damage(&mut bytes);
            std::fs::write(&archive, bytes).expect("write");

            let into = tempfile::tempdir().expect("tempdir");
            let why = unpack_or_discard(layer.path(), into.path()).expect_err("refused");
            assert!(
                why.starts_with("its archive (tree.tar.lz4) cannot be unpacked: "),
                "{why}"
            );
            assert!(!archive.exists());
            assert_eq!(std::fs::read_dir(into.path()).expect("read").count(), 0);
            assert_eq!(
                archive_problem(layer.path()).as_deref(),
                Some("it has no archive (tree.tar.lz4) of the tree")
            );
        }
    }

    #[test]
    fn a_tree_cached_unpacked_by_an_earlier_version_is_archived_in_place() {
        let layer = tree();
        std::fs::write(layer.path().join("prune-due"), "old").expect("write");
        assert_eq!(
            archive_unpacked_tree(layer.path(), "src", "net/http/server.go", 0),
            None
        );
        let names: Vec<_> = std::fs::read_dir(layer.path())
            .expect("read")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, vec![ARCHIVE_FILE]);
        assert_eq!(
            go_cnb_common::tree_archive::entry_paths(&archive_path(layer.path())).expect("read"),
            vec!["net", "net/http", "net/http/server.go"]
        );
        // Already archived, or not an earlier version's tree: left alone.
        assert_eq!(archive_unpacked_tree(layer.path(), "src", "net", 0), None);
        let other = tempfile::tempdir().expect("tempdir");
        assert_eq!(archive_unpacked_tree(other.path(), "", "bin/go", 0), None);
        assert!(archive_problem(other.path()).is_some());
    }

    #[test]
    fn a_whole_layer_cached_unpacked_is_archived_without_its_own_archive() {
        let layer = tree();
        assert_eq!(archive_unpacked_tree(layer.path(), "", "bin/go", 0), None);
        let paths =
            go_cnb_common::tree_archive::entry_paths(&archive_path(layer.path())).expect("read");
        assert!(paths.contains(&String::from("bin/go")), "{paths:?}");
        assert!(!paths.iter().any(|p| p.contains("tree.tar")), "{paths:?}");
    }
}
