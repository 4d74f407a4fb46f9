//! Reading and rewriting the tarballs the lifecycle keeps layers in.

/// Rewrites a layer tarball: every regular file's contents pass through `edit` (with its path in
/// the tarball), which may change them or drop the entry (`None`); everything else is copied.
///
/// # Errors
/// When the tarball cannot be read.
pub fn edit_files(
    original: &[u8],
    mut edit: impl FnMut(&str, Vec<u8>) -> Option<Vec<u8>>,
) -> Result<Vec<u8>, String> {
    let io = |context: &'static str| move |e: std::io::Error| format!("{context}: {e}");
    // Raw entries, so that extension headers (long names) are copied as they are; each travels
    // with the entry it belongs to. Layer tarballs hold absolute paths, which the tar crate only
    // accepts in headers it is given whole.
    let mut builder = tar::Builder::new(Vec::new());
    let mut archive = tar::Archive::new(original);
    let mut pending_extensions: Vec<(tar::Header, Vec<u8>)> = Vec::new();
    for entry in archive.entries().map_err(io("read layer tar"))?.raw(true) {
        let mut entry = entry.map_err(io("read layer tar"))?;
        let mut header = entry.header().clone();
        let mut contents = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut contents).map_err(io("read entry"))?;
        let kind = header.entry_type();
        if kind.is_pax_local_extensions() || kind.is_gnu_longname() || kind.is_gnu_longlink() {
            pending_extensions.push((header, contents));
            continue;
        }
        if kind.is_file() {
            let path = header
                .path()
                .map_err(io("entry path"))?
                .to_string_lossy()
                .into_owned();
            let Some(edited) = edit(&path, contents) else {
                pending_extensions.clear();
                continue;
            };
            contents = edited;
            header.set_size(contents.len() as u64);
            header.set_cksum();
        }
        for (extension, data) in pending_extensions.drain(..) {
            builder
                .append(&extension, data.as_slice())
                .map_err(io("write entry"))?;
        }
        builder
            .append(&header, contents.as_slice())
            .map_err(io("write entry"))?;
    }
    builder.into_inner().map_err(io("finish tar"))
}

/// Adds to `found` the path (below `prefix`) of every file of the tarball whose contents hold
/// `needle`; tarballs inside it (cached layers) are searched too, their files named below the
/// tarball's path.
///
/// # Errors
/// When the tarball cannot be read.
pub fn find_in_tar(
    tar: &[u8],
    needle: &[u8],
    prefix: &str,
    found: &mut Vec<String>,
) -> Result<(), String> {
    let mut archive = tar::Archive::new(tar);
    for entry in archive.entries().map_err(|e| format!("read tar: {e}"))? {
        let mut entry = entry.map_err(|e| format!("read tar: {e}"))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = format!(
            "{prefix}/{}",
            entry
                .path()
                .map(|p| p
                    .to_string_lossy()
                    .trim_start_matches(['.', '/'])
                    .to_string())
                .unwrap_or_default()
        );
        let mut contents = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut contents)
            .map_err(|e| format!("read {path}: {e}"))?;
        // The lifecycle names layer tarballs `<digest>.tar`, in lower case.
        if std::path::Path::new(&path)
            .extension()
            .is_some_and(|extension| extension == "tar")
        {
            find_in_tar(&contents, needle, &path, found)?;
        } else if path.ends_with(go_cnb_common::tree_archive::TREE_ARCHIVE_FILE) {
            // A cached layer's tree, compressed: its files are searched, not its bytes.
            let tree = go_cnb_common::tree_archive::tar_of(&contents)
                .map_err(|e| format!("read {path}: {e}"))?;
            find_in_tar(&tree, needle, &path, found)?;
        } else if memchr::memmem::find(&contents, needle).is_some() {
            found.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (path, contents) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(contents.len() as u64);
            header.set_mode(0o644);
            builder
                .append_data(&mut header, path, *contents)
                .expect("append");
        }
        builder.into_inner().expect("tar")
    }

    #[test]
    fn a_needle_is_found_in_files_and_in_tarballs_inside_the_tarball() {
        let layer = tar_of(&[
            ("layers/a/secret.txt", b"the s3cret is here"),
            ("layers/a/other", b"x"),
        ]);
        let outer = tar_of(&[
            ("committed/sha256:ab.tar", &layer),
            ("top", b"s3cret"),
            ("none", b""),
        ]);
        let mut found = Vec::new();
        find_in_tar(&outer, b"s3cret", "/cache", &mut found).expect("search");
        assert_eq!(
            found,
            [
                "/cache/committed/sha256:ab.tar/layers/a/secret.txt",
                "/cache/top"
            ]
        );
    }

    #[test]
    fn edited_files_change_and_dropped_files_go() {
        let layer = tar_of(&[("a", b"one"), ("b", b"two")]);
        let edited = edit_files(&layer, |path, contents| match path {
            "a" => Some(b"ONE!".to_vec()),
            _ => (!contents.is_empty()).then_some(contents).filter(|_| false),
        })
        .expect("edit");
        let mut archive = tar::Archive::new(edited.as_slice());
        let files: Vec<(String, Vec<u8>)> = archive
            .entries()
            .expect("entries")
            .map(|entry| {
                let mut entry = entry.expect("entry");
                let mut contents = Vec::new();
                std::io::Read::read_to_end(&mut entry, &mut contents).expect("read");
                (entry.path().expect("path").display().to_string(), contents)
            })
            .collect();
        assert_eq!(files, [(String::from("a"), b"ONE!".to_vec())]);
    }
}
