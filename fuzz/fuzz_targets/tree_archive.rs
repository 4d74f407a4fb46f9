//! A cached tree archive, as a damaged or hostile cache could hold it: unpacking never panics
//! and never writes outside the directory it unpacks into; what unpacks whole packs and unpacks
//! again to the same files.
#![no_main]

use go_cnb_common::tree_archive::{pack, unpack};
use libfuzzer_sys::fuzz_target;
use std::path::{Path, PathBuf};

/// The regular files under `dir`, with their contents, sorted.
fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(current) = dirs.pop() {
        for entry in std::fs::read_dir(&current).expect("read_dir").flatten() {
            let kind = entry.file_type().expect("file type");
            if kind.is_dir() {
                dirs.push(entry.path());
            } else if kind.is_file() {
                let relative = entry
                    .path()
                    .strip_prefix(dir)
                    .expect("inside")
                    .to_path_buf();
                found.push((relative, std::fs::read(entry.path()).expect("read")));
            }
        }
    }
    found.sort();
    found
}

fuzz_target!(|bytes: &[u8]| {
    let root = std::env::temp_dir().join(format!("tree-archive-fuzz-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let into = root.join("sandbox").join("into");
    std::fs::create_dir_all(&into).expect("mkdir");
    let archive = root.join("archive.tar.lz4");
    std::fs::write(&archive, bytes).expect("write");

    let unpacked = unpack(&archive, &into);
    // Nothing lands beside the directory it unpacks into.
    let beside: Vec<_> = std::fs::read_dir(root.join("sandbox"))
        .expect("read_dir")
        .flatten()
        .map(|entry| entry.file_name())
        .collect();
    assert_eq!(beside, vec![std::ffi::OsString::from("into")]);
    if unpacked.is_ok() {
        let repacked = root.join("again.tar.lz4");
        if pack(&into, &repacked, 0, &|_, _| false).is_ok() {
            let again = root.join("again");
            std::fs::create_dir_all(&again).expect("mkdir");
            unpack(&repacked, &again).expect("a packed tree unpacks");
            assert_eq!(files(&again), files(&into));
        }
    }
    let _ = std::fs::remove_dir_all(&root);
});
