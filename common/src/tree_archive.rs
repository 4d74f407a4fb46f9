//! A tree kept as one compressed archive: a tar stream in an LZ4 frame with a checksum of its
//! contents. The buildpack caches the toolchain, the module cache and the build cache this way
//! (its `layers::tree_archive` says why); the test harness reads and damages such archives.

use std::fs::{File, Metadata};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// The archive's file name in its cached layer.
pub const TREE_ARCHIVE_FILE: &str = "tree.tar.lz4";

/// Where an archive is written before it is whole; never read.
pub const PARTIAL_SUFFIX: &str = ".partial";

/// What went into an archive, and what was left out.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Packed {
    pub files: usize,
    pub archive_bytes: u64,
    pub left_out_files: usize,
    pub left_out_bytes: u64,
}

/// Archives the files, directories and symlinks under `tree` into `archive` (replacing it only
/// once the new one is whole), leaving out the files `leave_out` names. Entries are sorted and
/// carry `mtime`, no owner and their permission bits, so the same tree gives the same bytes and
/// the lifecycle finds the cached layer unchanged.
///
/// # Errors
/// When the tree cannot be read or the archive written; the archive it would have replaced is
/// then left as it was.
pub fn pack(
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
///
/// # Errors
/// When the archive cannot be read, is damaged or cut short, or a file cannot be written.
pub fn unpack(archive: &Path, into: &Path) -> std::io::Result<()> {
    let decoder = lz4_flex::frame::FrameDecoder::new(BufReader::new(File::open(archive)?));
    let mut reader = tar::Archive::new(decoder);
    reader.set_preserve_mtime(true);
    reader.set_preserve_permissions(true);
    reader.set_unpack_xattrs(false);
    reader.unpack(into)?;
    std::io::copy(&mut reader.into_inner(), &mut std::io::sink())?;
    Ok(())
}

/// The tar stream inside an archive's bytes (its checksum checked).
///
/// # Errors
/// When the frame is damaged or cut short.
pub fn tar_of(archive: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut tar = Vec::new();
    lz4_flex::frame::FrameDecoder::new(archive).read_to_end(&mut tar)?;
    Ok(tar)
}

/// An archive of a tar stream, as [`pack`] writes it.
///
/// # Errors
/// Never in practice (it writes to memory).
pub fn archive_of(tar: &[u8]) -> std::io::Result<Vec<u8>> {
    let frame = lz4_flex::frame::FrameInfo::new().content_checksum(true);
    let mut encoder = lz4_flex::frame::FrameEncoder::with_frame_info(frame, Vec::new());
    encoder.write_all(tar)?;
    encoder.finish().map_err(std::io::Error::other)
}

/// The paths of an archive's entries, in order.
///
/// # Errors
/// When the archive cannot be read, is damaged or cut short.
pub fn entry_paths(archive: &Path) -> std::io::Result<Vec<String>> {
    let tar = tar_of(&std::fs::read(archive)?)?;
    let mut reader = tar::Archive::new(tar.as_slice());
    let mut paths = Vec::new();
    for entry in reader.entries()? {
        paths.push(entry?.path()?.to_string_lossy().into_owned());
    }
    Ok(paths)
}

/// `path` with `suffix` added to its file name.
#[must_use]
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
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
        let archive = layer.path().join(TREE_ARCHIVE_FILE);
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
        let mtime = into
            .path()
            .join("VERSION")
            .metadata()
            .and_then(|m| m.modified())
            .expect("mtime");
        assert_eq!(
            mtime
                .duration_since(std::time::UNIX_EPOCH)
                .expect("after 1970")
                .as_secs(),
            946_684_800
        );
    }

    #[test]
    fn the_same_tree_gives_the_same_bytes_and_left_out_files_are_counted() {
        let from = tree();
        let layer = tempfile::tempdir().expect("tempdir");
        let first = layer.path().join("first.tar.lz4");
        let second = layer.path().join("second.tar.lz4");
        pack(from.path(), &first, 0, &|_, _| false).expect("packed");
        std::fs::File::options()
            .write(true)
            .open(from.path().join("VERSION"))
            .and_then(|file| file.set_modified(std::time::SystemTime::now()))
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
    fn a_failed_pack_keeps_the_archive_it_would_have_replaced() {
        let from = tree();
        let layer = tempfile::tempdir().expect("tempdir");
        let archive = layer.path().join(TREE_ARCHIVE_FILE);
        pack(from.path(), &archive, 0, &|_, _| false).expect("packed");
        let before = std::fs::read(&archive).expect("read");
        let missing = from.path().join("no such tree");
        assert!(pack(&missing, &archive, 0, &|_, _| false).is_err());
        assert_eq!(std::fs::read(&archive).expect("read"), before);
        assert!(!with_suffix(&archive, PARTIAL_SUFFIX).exists());
    }

    #[test]
    fn a_damaged_or_cut_archive_fails_to_unpack() {
        let from = tree();
        let layer = tempfile::tempdir().expect("tempdir");
        let archive = layer.path().join(TREE_ARCHIVE_FILE);
        pack(from.path(), &archive, 0, &|_, _| false).expect("packed");
        let whole = std::fs::read(&archive).expect("read");
        let mut flipped = whole.clone();
        let at = flipped.len() - 12;
        flipped[at] ^= 0xff;
        for damaged in [flipped, whole[..whole.len() / 2].to_vec()] {
            std::fs::write(&archive, &damaged).expect("write");
            let into = tempfile::tempdir().expect("tempdir");
            assert!(unpack(&archive, into.path()).is_err());
            assert!(tar_of(&damaged).is_err());
        }
        assert_eq!(
            tar_of(&archive_of(&tar_of(&whole).expect("tar")).expect("archive")).expect("tar"),
            tar_of(&whole).expect("tar")
        );
    }
}
