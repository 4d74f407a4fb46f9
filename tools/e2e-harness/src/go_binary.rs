//! The Go version a binary was built with, read from the build information the go command
//! embeds in every binary (what `go version <binary>` prints), so tests need no host Go.

use std::path::Path;

/// The 14-byte marker that starts the build information blob, which is 16-byte aligned.
const BUILD_INFO_MAGIC: &[u8] = b"\xff Go buildinf:";
/// Flag bit: version and module info follow the header inline, as length-prefixed strings
/// (Go 1.18 and later).
const INLINE_STRINGS_FLAG: u8 = 0x2;
const HEADER_LEN: usize = 32;

fn read_uvarint(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut value: usize = 0;
    for (index, byte) in bytes.iter().enumerate().take(10) {
        value |= usize::from(byte & 0x7f).checked_shl(7 * u32::try_from(index).ok()?)?;
        if byte & 0x80 == 0 {
            return Some((value, index + 1));
        }
    }
    None
}

/// A length-prefixed string and what follows it.
fn read_string(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let (length, used) = read_uvarint(bytes)?;
    let end = used.checked_add(length)?;
    Some((bytes.get(used..end)?, bytes.get(end..)?))
}

/// The go command wraps the module information in 16-byte sentinels.
const MODINFO_SENTINEL_LEN: usize = 16;

/// The Go version (`go1.26.6`) and the module information (what `go version -m` prints after
/// the path: `path`, `mod`, `dep` and `build` lines) recorded in a binary, or `None` when the
/// file is not a Go binary of Go 1.18 or later.
#[must_use]
pub fn build_info_of(bytes: &[u8]) -> Option<(String, String)> {
    let start = (0..bytes.len().saturating_sub(HEADER_LEN))
        .step_by(16)
        .find(|offset| bytes[*offset..].starts_with(BUILD_INFO_MAGIC))?;
    let header = &bytes[start..start + HEADER_LEN];
    if header[15] & INLINE_STRINGS_FLAG == 0 {
        return None;
    }
    let (version, rest) = read_string(&bytes[start + HEADER_LEN..])?;
    let modinfo = read_string(rest).map_or(&[][..], |(modinfo, _)| modinfo);
    let modinfo = if modinfo.len() >= 2 * MODINFO_SENTINEL_LEN {
        &modinfo[MODINFO_SENTINEL_LEN..modinfo.len() - MODINFO_SENTINEL_LEN]
    } else {
        &[][..]
    };
    Some((
        String::from_utf8(version.to_vec()).ok()?,
        String::from_utf8_lossy(modinfo).into_owned(),
    ))
}

/// The Go version (`go1.26.6`) recorded in a binary.
#[must_use]
pub fn go_version_of(bytes: &[u8]) -> Option<String> {
    build_info_of(bytes).map(|(version, _)| version)
}

/// The value of a `build` setting (`-trimpath`, `vcs.revision`, `GOEXPERIMENT`…) recorded in
/// a binary's module information.
#[must_use]
pub fn build_setting_of_file(path: &Path, key: &str) -> Option<String> {
    let (_, modinfo) = build_info_of(&std::fs::read(path).ok()?)?;
    modinfo.lines().find_map(|line| {
        let (name, value) = line.strip_prefix("build\t")?.split_once('=')?;
        (name == key).then(|| value.to_string())
    })
}

/// [`go_version_of`] for a file.
#[must_use]
pub fn go_version_of_file(path: &Path) -> Option<String> {
    go_version_of(&std::fs::read(path).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob(version: &str, padding: usize) -> Vec<u8> {
        let mut bytes = vec![0u8; padding];
        bytes.extend_from_slice(BUILD_INFO_MAGIC);
        bytes.extend_from_slice(&[8, INLINE_STRINGS_FLAG]);
        bytes.extend_from_slice(&[0u8; 16]);
        bytes.push(u8::try_from(version.len()).expect("short"));
        bytes.extend_from_slice(version.as_bytes());
        bytes.extend_from_slice(&[0u8; 64]);
        bytes
    }

    #[test]
    fn reads_the_inline_version_at_an_aligned_offset() {
        assert_eq!(
            go_version_of(&blob("go1.26.6", 48)).as_deref(),
            Some("go1.26.6")
        );
    }

    #[test]
    fn ignores_an_unaligned_marker_and_non_go_files() {
        assert_eq!(go_version_of(&blob("go1.26.6", 5)), None);
        assert_eq!(go_version_of(b"#!/bin/sh\necho hi\n"), None);
    }

    #[test]
    fn reads_the_harness_own_go_built_lifecycle() {
        let lifecycle = crate::cnb_lifecycle::install(&crate::workspace_root()).expect("lifecycle");
        let binary = lifecycle.dir.join("lifecycle");
        let version = go_version_of_file(&binary).expect("a Go binary");
        assert!(version.starts_with("go1."), "{version}");
        let (_, modinfo) = build_info_of(&std::fs::read(&binary).expect("read")).expect("info");
        assert!(
            modinfo.contains("\nmod\tgithub.com/buildpacks/lifecycle\t"),
            "{modinfo}"
        );
        assert_eq!(
            build_setting_of_file(&binary, "-trimpath").as_deref(),
            Some("true")
        );
    }
}
