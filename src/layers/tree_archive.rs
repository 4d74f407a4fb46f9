//! A cached tree kept as one compressed archive in its layer, unpacked into a layer that is not
//! cached when a build needs it.
//!
//! On every build the lifecycle recreates each file of every cached layer (restore), archives
//! and hashes them again (cache), and pack deletes them, whether the build used them or not. On
//! the machines CNB platforms run on, creating a file is the dear part (close to a millisecond
//! each here): the toolchain and the build cache, about 5,500 files, cost seconds on every
//! rebuild. One archive per tree costs the lifecycle one file, and a build that finds nothing
//! changed never unpacks it.

use std::fs::{File, Metadata};
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

/// The archive's file name in its cached layer: a tar stream in an LZ4 frame with a checksum of
/// its contents.
pub(crate) const ARCHIVE_FILE: &str = go_cnb_common::TREE_ARCHIVE_FILE;

/// Where an archive is written before it is whole; never read.
const PARTIAL_SUFFIX: &str = ".partial";

/// The archive of a cached layer's tree.
pub(crate) fn archive_path(cached_layer: &Path) -> PathBuf {
    cached_layer.join(ARCHIVE_FILE)
}

/// What went into an archive, and what was left out.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Packed {
    pub(crate) files: usize,
    pub(crate) archive_bytes: u64,
    pub(crate) left_out_files: usize,
    pub(crate) left_out_bytes: u64,
}

/// Archives the files, directories and symlinks under `tree` into `archive` (replacing it only
/// once the new one is whole), leaving out the files `leave_out` names. Entries are sorted and
/// carry `mtime`, no owner and their permission bits, so the same tree gives the same bytes and
/// the lifecycle finds the cached layer unchanged.
pub(crate) fn pack(
    tree: &Path,
    archive: &Path,
    mtime: u64,
    leave_out: &dyn Fn(&Path, &Metadata) -> bool,
) -> std::io::Result<Packed> {
    let partial = with_suffix(archive, PARTIAL_SUFFIX);
    let result = write_archive(tree, &partial, mtime, leave_out)
        .and_then(|packed| std::fs::rename(&partial, archive).map(|()| packed));
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    let mut packed = result?;
    packed.archive_bytes = std::fs::metadata(archive)?.len();
    Ok(packed)
}

fn write_archive(
    tree: &Path,
    partial: &Path,
    mtime: u64,
    leave_out: &dyn Fn(&Path, &Metadata) -> bool,
) -> std::io::Result<Packed> {
    let file = File::create(partial)?;
    let frame = lz4_flex::frame::FrameInfo::new().content_checksum(true);
    let encoder = lz4_flex::frame::FrameEncoder::with_frame_info(frame, BufWriter::new(file));
    let mut builder = tar::Builder::new(encoder);
    let mut packed = Packed::default();
    append_dir(
        &mut builder,
        tree,
        Path::new(""),
        mtime,
        leave_out,
        &mut packed,
    )?;
    let encoder = builder.into_inner()?;
    let mut writer = encoder.finish().map_err(std::io::Error::other)?;
    writer.flush()?;
    writer
        .into_inner()
        .map_err(std::io::IntoInnerError::into_error)?
        .sync_all()?;
    Ok(packed)
}

fn append_dir<W: Write>(
    builder: &mut tar::Builder<W>,
    root: &Path,
    relative: &Path,
    mtime: u64,
    leave_out: &dyn Fn(&Path, &Metadata) -> bool,
    packed: &mut Packed,
) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(root.join(relative))?.collect::<Result<_, _>>()?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let path = relative.join(entry.file_name());
        let metadata = std::fs::symlink_metadata(entry.path())?;
        let mut header = tar::Header::new_gnu();
        header.set_mtime(mtime);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mode(std::os::unix::fs::PermissionsExt::mode(&metadata.permissions()) & 0o7777);
        if metadata.is_dir() {
            header.set_entry_type(tar::EntryType::Directory);
            header.set_size(0);
            builder.append_data(&mut header, &path, std::io::empty())?;
            append_dir(builder, root, &path, mtime, leave_out, packed)?;
        } else if metadata.is_symlink() {
            header.set_entry_type(tar::EntryType::Symlink);
            header.set_size(0);
            builder.append_link(&mut header, &path, std::fs::read_link(entry.path())?)?;
        } else if metadata.is_file() {
            if leave_out(&entry.path(), &metadata) {
                packed.left_out_files += 1;
                packed.left_out_bytes += metadata.len();
                continue;
            }
            header.set_entry_type(tar::EntryType::Regular);
            header.set_size(metadata.len());
            builder.append_data(&mut header, &path, File::open(entry.path())?)?;
            packed.files += 1;
        }
    }
    Ok(())
}

/// Unpacks `archive` into `into`, then reads the frame to its end so that its checksum is
/// checked: an error means the unpacked tree must not be used. The tar reader refuses entries
/// that would land outside `into`.
pub(crate) fn unpack(archive: &Path, into: &Path) -> std::io::Result<()> {
    let decoder = lz4_flex::frame::FrameDecoder::new(BufReader::new(File::open(archive)?));
    let mut reader = tar::Archive::new(decoder);
    reader.set_preserve_mtime(true);
    reader.set_preserve_permissions(true);
    reader.set_unpack_xattrs(false);
    reader.unpack(into)?;
    let mut rest = reader.into_inner();
    std::io::copy(&mut rest, &mut std::io::sink())?;
    Ok(())
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

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Reads a whole archive's entries' paths (for tests and the bench).
#[cfg(test)]
pub(crate) fn entry_paths(archive: &Path) -> std::io::Result<Vec<String>> {
    let decoder = lz4_flex::frame::FrameDecoder::new(BufReader::new(File::open(archive)?));
    let mut reader = tar::Archive::new(decoder);
    let mut paths = Vec::new();
    for entry in reader.entries()? {
        paths.push(entry?.path()?.to_string_lossy().into_owned());
    }
    std::io::copy(&mut reader.into_inner(), &mut std::io::sink())?;
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir_all(root.join("bin")).expect("mkdir");
        std::fs::create_dir_all(root.join("src/net/http")).expect("mkdir");
        std::fs::write(root.join("bin/go"), "#!/bin/sh\necho go\n").expect("write");
        std::fs::set_permissions(root.join("bin/go"), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
        std::fs::write(root.join("src/net/http/server.go"), "package http\n").expect("write");
        std::fs::write(root.join("VERSION"), "go1.26.6\n").expect("write");
        std::os::unix::fs::symlink("bin/go", root.join("go-link")).expect("symlink");
        dir
    }

    #[test]
    fn a_tree_comes_back_as_it_was_with_the_given_mtime() {
        let from = tree();
        let layer = tempfile::tempdir().expect("tempdir");
        let archive = archive_path(layer.path());
        let packed = pack(from.path(), &archive, 946_684_800, &|_, _| false).expect("packed");
        assert_eq!(packed.files, 3);
        assert!(packed.archive_bytes > 0);
        assert!(!with_suffix(&archive, PARTIAL_SUFFIX).exists());

        let into = tempfile::tempdir().expect("tempdir");
        unpack(&archive, into.path()).expect("unpacked");
        let go = into.path().join("bin/go");
        assert_eq!(
            std::fs::read_to_string(&go).expect("read"),
            "#!/bin/sh\necho go\n"
        );
        assert_eq!(
            go.metadata().expect("stat").permissions().mode() & 0o777,
            0o755
        );
        assert_eq!(
            std::fs::read_to_string(into.path().join("src/net/http/server.go")).expect("read"),
            "package http\n"
        );
        assert_eq!(
            std::fs::read_link(into.path().join("go-link")).expect("link"),
            Path::new("bin/go")
        );
        let mtime = filetime::FileTime::from_last_modification_time(
            &into.path().join("VERSION").metadata().expect("stat"),
        );
        assert_eq!(mtime.unix_seconds(), 946_684_800);
    }

    #[test]
    fn the_same_tree_gives_the_same_bytes_and_left_out_files_are_counted() {
        let from = tree();
        let layer = tempfile::tempdir().expect("tempdir");
        let first = layer.path().join("first.tar.lz4");
        let second = layer.path().join("second.tar.lz4");
        pack(from.path(), &first, 0, &|_, _| false).expect("packed");
        filetime::set_file_mtime(from.path().join("VERSION"), filetime::FileTime::now())
            .expect("touch");
        pack(from.path(), &second, 0, &|_, _| false).expect("packed");
        assert_eq!(
            std::fs::read(&first).expect("read"),
            std::fs::read(&second).expect("read")
        );

        let packed =
            pack(from.path(), &first, 0, &|path, _| path.ends_with("VERSION")).expect("packed");
        assert_eq!(
            (packed.files, packed.left_out_files, packed.left_out_bytes),
            (2, 1, 9)
        );
        assert_eq!(
            entry_paths(&first).expect("read"),
            vec![
                "VERSION",
                "bin",
                "bin/go",
                "go-link",
                "src",
                "src/net",
                "src/net/http",
                "src/net/http/server.go"
            ]
            .into_iter()
            .filter(|p| *p != "VERSION")
            .collect::<Vec<_>>()
        );
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
            entry_paths(&archive_path(layer.path())).expect("read"),
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
        let paths = entry_paths(&archive_path(layer.path())).expect("read");
        assert!(paths.contains(&String::from("bin/go")), "{paths:?}");
        assert!(!paths.iter().any(|p| p.contains("tree.tar")), "{paths:?}");
    }

    #[test]
    fn a_failed_pack_keeps_the_archive_it_would_have_replaced() {
        let from = tree();
        let layer = tempfile::tempdir().expect("tempdir");
        let archive = archive_path(layer.path());
        pack(from.path(), &archive, 0, &|_, _| false).expect("packed");
        let before = std::fs::read(&archive).expect("read");
        let missing = from.path().join("no such tree");
        assert!(pack(&missing, &archive, 0, &|_, _| false).is_err());
        assert_eq!(std::fs::read(&archive).expect("read"), before);
        assert!(!with_suffix(&archive, PARTIAL_SUFFIX).exists());
    }
}
