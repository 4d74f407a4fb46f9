//! The build information the go command embeds in every binary (what `go version -m` prints):
//! the Go version, the main module, the module dependencies with their go.sum hashes, and the
//! build settings. Read from the binary's bytes, so no Go toolchain is needed.

use std::path::Path;

/// The 14-byte marker that starts the build information blob, which is 16-byte aligned.
const MAGIC: &[u8] = b"\xff Go buildinf:";
/// Flag bit: version and module info follow the header inline, as length-prefixed strings
/// (Go 1.18 and later).
const INLINE_STRINGS_FLAG: u8 = 0x2;
const HEADER_LEN: usize = 32;
/// The go command wraps the module information in 16-byte sentinels.
const MODINFO_SENTINEL_LEN: usize = 16;

/// A module as the build information records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    pub path: String,
    /// `(devel)` for the main module built from a directory.
    pub version: String,
    /// The go.sum hash (`h1:…`); empty for the main module.
    pub sum: String,
    /// The module that replaced this one (a `=>` line), if any.
    pub replacement: Option<Box<Module>>,
}

/// What `go version -m` shows of one binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildInfo {
    /// `go1.26.6`, followed by ` X:<experiments>` when built with GOEXPERIMENT.
    pub go_version: String,
    /// The main package's import path.
    pub path: String,
    pub main: Option<Module>,
    pub deps: Vec<Module>,
    /// `build` lines: (`-trimpath`, `true`), (`GOARCH`, `amd64`), (`vcs.revision`, …).
    pub settings: Vec<(String, String)>,
}

impl BuildInfo {
    /// The Go release alone (`go1.26.6`), without the experiments.
    #[must_use]
    pub fn go_release(&self) -> &str {
        self.go_version
            .split(' ')
            .next()
            .unwrap_or(&self.go_version)
    }

    /// The value of a `build` setting.
    #[must_use]
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.as_str())
    }
}

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

/// The Go version and the raw module information of a binary, or `None` when it is not a Go
/// binary of Go 1.18 or later.
#[must_use]
pub fn raw_build_info(bytes: &[u8]) -> Option<(String, String)> {
    let start = (0..bytes.len().saturating_sub(HEADER_LEN))
        .step_by(16)
        .find(|offset| bytes[*offset..].starts_with(MAGIC))?;
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

fn module(fields: &[&str]) -> Option<Module> {
    Some(Module {
        path: (*fields.first()?).to_string(),
        version: fields.get(1).copied().unwrap_or_default().to_string(),
        sum: fields.get(2).copied().unwrap_or_default().to_string(),
        replacement: None,
    })
}

/// Parses the module information text (`path`, `mod`, `dep`, `=>` and `build` lines).
#[must_use]
pub fn parse_modinfo(go_version: &str, modinfo: &str) -> BuildInfo {
    let mut info = BuildInfo {
        go_version: go_version.to_string(),
        path: String::new(),
        main: None,
        deps: Vec::new(),
        settings: Vec::new(),
    };
    for line in modinfo.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        match fields.as_slice() {
            ["path", path] => info.path = (*path).to_string(),
            ["mod", rest @ ..] => info.main = module(rest),
            ["dep", rest @ ..] => info.deps.extend(module(rest)),
            ["=>", rest @ ..] => {
                let replaced = info.deps.last_mut().or(info.main.as_mut());
                if let (Some(replaced), Some(replacement)) = (replaced, module(rest)) {
                    replaced.replacement = Some(Box::new(replacement));
                }
            }
            ["build", setting] => {
                if let Some((key, value)) = setting.split_once('=') {
                    // Values with spaces or quotes are written quoted (strconv.Quote).
                    let value = value
                        .strip_prefix('"')
                        .and_then(|v| v.strip_suffix('"'))
                        .map_or_else(|| value.to_string(), unquote);
                    info.settings.push((key.to_string(), value));
                }
            }
            _ => {}
        }
    }
    info
}

/// Undoes Go's `strconv.Quote` for the escapes it writes in build settings.
fn unquote(quoted: &str) -> String {
    let mut out = String::with_capacity(quoted.len());
    let mut chars = quoted.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// The build information of a binary's bytes.
#[must_use]
pub fn build_info(bytes: &[u8]) -> Option<BuildInfo> {
    let (go_version, modinfo) = raw_build_info(bytes)?;
    Some(parse_modinfo(&go_version, &modinfo))
}

/// The build information of a file; `None` when it cannot be read or is no Go binary.
#[must_use]
pub fn build_info_of_file(path: &Path) -> Option<BuildInfo> {
    read_binary_facts(path).ok()?.info
}

/// What the buildpack records of a binary, read in one pass through a small buffer (a binary
/// of many megabytes is never held in memory whole).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinaryFacts {
    /// Lower-case hex SHA-256 of the file.
    pub sha256: String,
    /// See [`go_build_id`].
    pub build_id: Option<String>,
    /// `None` when the file is no Go binary of Go 1.18 or later.
    pub info: Option<BuildInfo>,
}

/// The read buffer: a multiple of 16, so the 16-byte-aligned build information marker never
/// straddles two reads.
const READ_CHUNK: usize = 64 * 1024;

/// Reads as much as fits into `buffer`, stopping short only at the end of the file.
fn fill(file: &mut impl std::io::Read, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match file.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

/// The length of a build information blob from its header and string lengths, or `None`
/// when `blob` is too short to tell.
fn blob_len(blob: &[u8]) -> Option<usize> {
    let strings = blob.get(HEADER_LEN..)?;
    let (version_len, version_prefix) = read_uvarint(strings)?;
    let modinfo_at = version_prefix.checked_add(version_len)?;
    let (modinfo_len, modinfo_prefix) = read_uvarint(strings.get(modinfo_at..)?)?;
    HEADER_LEN
        .checked_add(modinfo_at)?
        .checked_add(modinfo_prefix)?
        .checked_add(modinfo_len)
}

/// The most a build information blob is read to (a module list of many thousands of lines).
const MAX_BLOB_LEN: usize = 64 * 1024 * 1024;

/// The build information blob that starts at `offset`: a first read of 64 KiB serves nearly
/// every binary; a longer module list is then read to its recorded length.
fn build_info_at(file: &mut std::fs::File, offset: u64) -> std::io::Result<Option<BuildInfo>> {
    use std::io::{Read as _, Seek as _};
    file.seek(std::io::SeekFrom::Start(offset))?;
    let mut blob = vec![0u8; READ_CHUNK];
    let filled = fill(file, &mut blob)?;
    blob.truncate(filled);
    if let Some(needed) = blob_len(&blob).filter(|needed| *needed > blob.len()) {
        if needed > MAX_BLOB_LEN {
            return Ok(None);
        }
        let mut rest = Vec::new();
        file.take((needed - blob.len()) as u64)
            .read_to_end(&mut rest)?;
        blob.extend(rest);
    }
    Ok(build_info(&blob))
}

/// The SHA-256, Go build ID and build information of a file.
///
/// # Errors
/// When the file cannot be read.
pub fn read_binary_facts(path: &Path) -> std::io::Result<BinaryFacts> {
    use sha2::Digest as _;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = sha2::Sha256::new();
    let mut chunk = vec![0u8; READ_CHUNK];
    let mut build_id = None;
    let mut marker = None;
    let mut offset: u64 = 0;
    loop {
        let filled = fill(&mut file, &mut chunk)?;
        let bytes = &chunk[..filled];
        hasher.update(bytes);
        if offset == 0 {
            build_id = go_build_id(bytes);
        }
        if marker.is_none() {
            marker = (0..filled)
                .step_by(16)
                .find(|at| bytes[*at..].starts_with(MAGIC))
                .map(|at| offset + at as u64);
        }
        offset += filled as u64;
        if filled < READ_CHUNK {
            break;
        }
    }
    let info = match marker {
        Some(at) => build_info_at(&mut file, at)?,
        None => None,
    };
    Ok(BinaryFacts {
        sha256: crate::hex(&hasher.finalize()),
        build_id,
        info,
    })
}

/// How much of a binary [`go_build_id_of_file`] reads: the go linker puts the build ID note
/// right after the ELF headers.
const BUILD_ID_SEARCH_LEN: u64 = 32 * 1024;
/// The start of a 64-bit little-endian ELF file (the only kind a Go binary for linux/amd64 or
/// linux/arm64 is).
const ELF64_LE_MAGIC: &[u8] = b"\x7fELF\x02\x01";
const PT_NOTE: u32 = 4;
/// The note type and name the go linker gives the build ID (`.note.go.buildid`).
const GO_BUILD_ID_NOTE_TYPE: u32 = 4;
const GO_NOTE_NAME: &[u8] = b"Go\0\0";

fn le_u16(bytes: &[u8], at: usize) -> Option<usize> {
    let raw = bytes.get(at..at.checked_add(2)?)?;
    Some(usize::from(u16::from_le_bytes([raw[0], raw[1]])))
}

fn le_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let raw = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]))
}

fn le_u64_as_usize(bytes: &[u8], at: usize) -> Option<usize> {
    let raw: [u8; 8] = bytes.get(at..at.checked_add(8)?)?.try_into().ok()?;
    usize::try_from(u64::from_le_bytes(raw)).ok()
}

/// The Go build ID (what `go tool buildid` prints) of a little-endian 64-bit ELF binary, from
/// the file's first bytes; `None` when it is not such a binary or the note lies further in.
/// Its last part is a hash of the binary's content, so an unchanged ID means unchanged bytes.
#[must_use]
pub fn go_build_id(head: &[u8]) -> Option<String> {
    if !head.starts_with(ELF64_LE_MAGIC) {
        return None;
    }
    let program_headers = le_u64_as_usize(head, 0x20)?;
    let entry_size = le_u16(head, 0x36)?;
    let entries = le_u16(head, 0x38)?;
    for index in 0..entries {
        let header = program_headers.checked_add(index.checked_mul(entry_size)?)?;
        if le_u32(head, header)? != PT_NOTE {
            continue;
        }
        let offset = le_u64_as_usize(head, header + 0x08)?;
        let size = le_u64_as_usize(head, header + 0x20)?;
        let mut notes = head.get(offset..offset.checked_add(size)?)?;
        while notes.len() >= 12 {
            let name_size = usize::try_from(le_u32(notes, 0)?).ok()?;
            let value_size = usize::try_from(le_u32(notes, 4)?).ok()?;
            let note_type = le_u32(notes, 8)?;
            let name_end = 12usize.checked_add(name_size)?;
            let value_start = name_end.checked_add(3)? & !3;
            let value_end = value_start.checked_add(value_size)?;
            let name = notes.get(12..name_end)?;
            let value = notes.get(value_start..value_end)?;
            if note_type == GO_BUILD_ID_NOTE_TYPE && name == GO_NOTE_NAME {
                let id = std::str::from_utf8(value).ok()?;
                return (!id.is_empty()).then(|| id.to_string());
            }
            notes = notes.get(value_end.checked_add(3)? & !3..)?;
        }
    }
    None
}

/// The Go build ID of a file, reading only its first 32 KiB.
#[must_use]
pub fn go_build_id_of_file(path: &Path) -> Option<String> {
    use std::io::Read as _;
    let mut head = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(BUILD_ID_SEARCH_LEN)
        .read_to_end(&mut head)
        .ok()?;
    go_build_id(&head)
}

/// ELF section type of sections with no bytes in the file (`.bss`).
const SHT_NOBITS: u32 = 8;
const ELF_SECTION_HEADER_LEN: usize = 64;
/// The most of a `.go.buildinfo` section read: its header, the Go version and module strings.
const MAX_BUILD_INFO_SECTION_LEN: usize = 1024 * 1024;

/// The Go version an executable was built with (for a toolchain's `bin/go`, what
/// `go env GOVERSION` prints), read through its ELF section headers in a few small reads,
/// wherever the `.go.buildinfo` section lies. A file cut short is refused, as a file whose
/// sections do not all lie within it. The error says what is wrong with the file.
///
/// # Errors
/// When the file cannot be read, is not a little-endian 64-bit ELF file, is cut short or has
/// no Go build information.
pub fn go_version_of_executable(path: &Path) -> Result<String, String> {
    use std::os::unix::fs::FileExt as _;
    let file = std::fs::File::open(path).map_err(|error| format!("cannot be read ({error})"))?;
    let file_len = file
        .metadata()
        .map_err(|error| format!("cannot be read ({error})"))?
        .len();
    let cut_short =
        |needed: u64| format!("is cut short ({file_len} bytes, its ELF headers need {needed})");
    let read_at = |offset: usize, len: usize| -> Result<Vec<u8>, String> {
        let end = offset.saturating_add(len) as u64;
        if end > file_len {
            return Err(cut_short(end));
        }
        let mut bytes = vec![0; len];
        file.read_exact_at(&mut bytes, offset as u64)
            .map_err(|error| format!("cannot be read ({error})"))?;
        Ok(bytes)
    };
    let not_elf = || String::from("is not a 64-bit little-endian ELF executable");
    let header = read_at(0, 64).map_err(|_| not_elf())?;
    if !header.starts_with(ELF64_LE_MAGIC) {
        return Err(not_elf());
    }
    let table_offset = le_u64_as_usize(&header, 0x28).ok_or_else(not_elf)?;
    let entry_len = le_u16(&header, 0x3a).ok_or_else(not_elf)?;
    let count = le_u16(&header, 0x3c).ok_or_else(not_elf)?;
    let names_index = le_u16(&header, 0x3e).ok_or_else(not_elf)?;
    if entry_len < ELF_SECTION_HEADER_LEN {
        return Err(not_elf());
    }
    let table = read_at(table_offset, count * entry_len)?;
    // (name offset, type, file offset, size) of each section.
    let sections: Vec<(usize, u32, usize, usize)> = (0..count)
        .map(|index| {
            let at = index * entry_len;
            Some((
                usize::try_from(le_u32(&table, at)?).ok()?,
                le_u32(&table, at + 4)?,
                le_u64_as_usize(&table, at + 0x18)?,
                le_u64_as_usize(&table, at + 0x20)?,
            ))
        })
        .collect::<Option<_>>()
        .ok_or_else(not_elf)?;
    let end_of_sections = sections
        .iter()
        .filter(|(_, kind, _, _)| *kind != SHT_NOBITS)
        .map(|(_, _, offset, size)| offset.saturating_add(*size) as u64)
        .max()
        .unwrap_or_default();
    if end_of_sections > file_len {
        return Err(cut_short(end_of_sections));
    }
    let &(_, _, names_offset, names_len) = sections.get(names_index).ok_or_else(not_elf)?;
    let names = read_at(names_offset, names_len)?;
    let no_build_info = || String::from("has no Go build information");
    let &(_, _, offset, size) = sections
        .iter()
        .find(|(name, _, _, _)| {
            names
                .get(*name..)
                .is_some_and(|rest| rest.starts_with(b".go.buildinfo\0"))
        })
        .ok_or_else(no_build_info)?;
    let section = read_at(offset, size.min(MAX_BUILD_INFO_SECTION_LEN))?;
    if !section.starts_with(MAGIC) {
        return Err(no_build_info());
    }
    raw_build_info(&section)
        .map(|(version, _)| version)
        .ok_or_else(no_build_info)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob(version: &str, modinfo: &str, padding: usize) -> Vec<u8> {
        let mut bytes = vec![0u8; padding];
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&[8, INLINE_STRINGS_FLAG]);
        bytes.extend_from_slice(&[0u8; 16]);
        bytes.push(u8::try_from(version.len()).expect("short"));
        bytes.extend_from_slice(version.as_bytes());
        let wrapped = format!("{}{modinfo}{}", "s".repeat(16), "e".repeat(16));
        let mut length = wrapped.len();
        while length >= 0x80 {
            bytes.push(u8::try_from(length & 0x7f).expect("7 bits") | 0x80);
            length >>= 7;
        }
        bytes.push(u8::try_from(length).expect("7 bits"));
        bytes.extend_from_slice(wrapped.as_bytes());
        bytes.extend_from_slice(&[0u8; 64]);
        bytes
    }

    const MODINFO: &str = "path\texample.test/withdep\n\
        mod\texample.test/withdep\t(devel)\t\n\
        dep\texample.test/banner\tv1.0.0\th1:abc=\n\
        dep\texample.test/greeting\tv1.1.0\th1:def=\n\
        =>\t../greeting\t(devel)\t\n\
        build\t-buildmode=exe\n\
        build\t-ldflags=\"-X 'main.v=a b'\"\n\
        build\t-trimpath=true\n\
        build\tGOEXPERIMENT=jsonv2\n\
        build\tvcs.revision=0123abcd\n";

    #[test]
    fn reads_version_modules_and_settings() {
        let info = build_info(&blob("go1.26.6 X:jsonv2", MODINFO, 48)).expect("info");
        assert_eq!(info.go_version, "go1.26.6 X:jsonv2");
        assert_eq!(info.go_release(), "go1.26.6");
        assert_eq!(info.path, "example.test/withdep");
        assert_eq!(
            info.main.as_ref().map(|m| m.version.as_str()),
            Some("(devel)")
        );
        let deps: Vec<(&str, &str, &str)> = info
            .deps
            .iter()
            .map(|m| (m.path.as_str(), m.version.as_str(), m.sum.as_str()))
            .collect();
        assert_eq!(
            deps,
            vec![
                ("example.test/banner", "v1.0.0", "h1:abc="),
                ("example.test/greeting", "v1.1.0", "h1:def=")
            ]
        );
        assert_eq!(
            info.deps[1].replacement.as_ref().map(|m| m.path.as_str()),
            Some("../greeting")
        );
        assert_eq!(info.setting("-trimpath"), Some("true"));
        assert_eq!(info.setting("-ldflags"), Some("-X 'main.v=a b'"));
        assert_eq!(info.setting("vcs.revision"), Some("0123abcd"));
        assert_eq!(info.setting("vcs"), None);
    }

    #[test]
    fn ignores_an_unaligned_marker_and_non_go_files() {
        assert_eq!(build_info(&blob("go1.26.6", MODINFO, 5)), None);
        assert_eq!(build_info(b"#!/bin/sh\necho hi\n"), None);
    }

    /// An ELF64 header, one `PT_NOTE` program header and its notes (a GNU one, then Go's).
    fn elf_with_notes(go_build_id: &str) -> Vec<u8> {
        fn note(name: &[u8], note_type: u32, value: &[u8]) -> Vec<u8> {
            let mut out = Vec::new();
            out.extend_from_slice(&u32::try_from(name.len()).expect("short").to_le_bytes());
            out.extend_from_slice(&u32::try_from(value.len()).expect("short").to_le_bytes());
            out.extend_from_slice(&note_type.to_le_bytes());
            out.extend_from_slice(name);
            out.resize(out.len().next_multiple_of(4), 0);
            out.extend_from_slice(value);
            out.resize(out.len().next_multiple_of(4), 0);
            out
        }
        let mut notes = note(b"GNU\0", 3, &[0xaa; 20]);
        notes.extend(note(
            GO_NOTE_NAME,
            GO_BUILD_ID_NOTE_TYPE,
            go_build_id.as_bytes(),
        ));
        let mut elf = vec![0u8; 64 + 56];
        elf[..6].copy_from_slice(b"\x7fELF\x02\x01");
        elf[0x20..0x28].copy_from_slice(&64u64.to_le_bytes());
        elf[0x36..0x38].copy_from_slice(&56u16.to_le_bytes());
        elf[0x38..0x3a].copy_from_slice(&1u16.to_le_bytes());
        elf[64..68].copy_from_slice(&PT_NOTE.to_le_bytes());
        elf[64 + 8..64 + 16].copy_from_slice(&120u64.to_le_bytes());
        let size = u64::try_from(notes.len()).expect("small");
        elf[64 + 32..64 + 40].copy_from_slice(&size.to_le_bytes());
        elf.extend(notes);
        elf
    }

    #[test]
    fn reads_the_go_build_id_note() {
        let id =
            "5NSPRw5IUmRjgVR1ynVw/OHBhuJmVb8aMASei4eXs/Z8Hp5wMJ32B87-52MAQ8/wQw5YEFU1oKk1v0Jbrhw";
        assert_eq!(go_build_id(&elf_with_notes(id)).as_deref(), Some(id));
        let dir = std::env::temp_dir().join(format!("build-id-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let path = dir.join("binary");
        let mut file = elf_with_notes("abc/def");
        file.extend(vec![0u8; 100_000]);
        std::fs::write(&path, file).expect("write");
        assert_eq!(go_build_id_of_file(&path).as_deref(), Some("abc/def"));
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn no_build_id_without_the_note_or_from_cut_or_foreign_files() {
        let id = "aaaa/bbbb";
        let whole = elf_with_notes(id);
        // Cut inside the note: not found rather than a wrong answer.
        assert_eq!(go_build_id(&whole[..whole.len() - 4]), None);
        assert_eq!(go_build_id(&elf_with_notes("")), None);
        let mut big_endian = whole.clone();
        big_endian[5] = 2;
        assert_eq!(go_build_id(&big_endian), None);
        assert_eq!(go_build_id(b"#!/bin/sh\necho hi\n"), None);
        assert_eq!(go_build_id(&[]), None);
    }

    /// A Go-like binary: the build ID note first, the build information at a 16-aligned offset
    /// past the first read.
    fn binary(build_id: &str, modinfo: &str) -> Vec<u8> {
        let mut bytes = elf_with_notes(build_id);
        let marker_at = (100_000usize).next_multiple_of(16);
        bytes.resize(marker_at, 0x90);
        bytes.extend(blob("go1.26.6", modinfo, 0));
        bytes.extend(vec![0xcc; 70_000]);
        bytes
    }

    #[test]
    fn binary_facts_are_read_in_one_pass() {
        use sha2::Digest as _;
        let dir = std::env::temp_dir().join(format!("binary-facts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let mut long_modinfo = String::from(MODINFO);
        for n in 0..3000 {
            use std::fmt::Write as _;
            let _ = writeln!(
                long_modinfo,
                "dep\texample.test/module-with-a-long-name-{n}\tv1.0.{n}\th1:x="
            );
        }
        for modinfo in [MODINFO, long_modinfo.as_str()] {
            let bytes = binary("aaaa/bbbb/cccc/dddd", modinfo);
            let path = dir.join("binary");
            std::fs::write(&path, &bytes).expect("write");
            let facts = read_binary_facts(&path).expect("facts");
            assert_eq!(facts.sha256, crate::hex(&sha2::Sha256::digest(&bytes)));
            assert_eq!(facts.build_id.as_deref(), Some("aaaa/bbbb/cccc/dddd"));
            let info = facts.info.expect("build info");
            assert_eq!(Some(&info), build_info(&bytes).as_ref());
            assert_eq!(info.path, "example.test/withdep");
        }
        assert!(long_modinfo.len() > READ_CHUNK);

        let path = dir.join("script");
        std::fs::write(&path, "#!/bin/sh\necho hi\n").expect("write");
        let facts = read_binary_facts(&path).expect("facts");
        assert_eq!((facts.build_id, facts.info), (None, None));
        assert!(read_binary_facts(&dir.join("missing")).is_err());
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }

    /// A minimal ELF file: the header, four section headers (null, names, build information and
    /// a `.bss`, which has no bytes in the file), the section names and the build information
    /// blob, in that order.
    fn elf_with_build_info(section_name: &str, version: &str) -> Vec<u8> {
        let names = format!("\0.shstrtab\0{section_name}\0");
        let info = blob(version, "path\texample.com/cmd/go\n", 0);
        let names_offset = 64 + 4 * 64;
        let info_offset = (names_offset + names.len() + 15) & !15;
        let mut elf = b"\x7fELF\x02\x01\x01".to_vec();
        elf.resize(64, 0);
        elf[0x28..0x30].copy_from_slice(&64u64.to_le_bytes());
        elf[0x3a..0x3c].copy_from_slice(&64u16.to_le_bytes());
        elf[0x3c..0x3e].copy_from_slice(&4u16.to_le_bytes());
        elf[0x3e..0x40].copy_from_slice(&1u16.to_le_bytes());
        let section = |name: u32, kind: u32, offset: usize, size: usize| {
            let mut header = vec![0u8; 64];
            header[0..4].copy_from_slice(&name.to_le_bytes());
            header[4..8].copy_from_slice(&kind.to_le_bytes());
            header[0x18..0x20].copy_from_slice(&(offset as u64).to_le_bytes());
            header[0x20..0x28].copy_from_slice(&(size as u64).to_le_bytes());
            header
        };
        elf.extend(section(0, 0, 0, 0));
        elf.extend(section(1, 3, names_offset, names.len()));
        elf.extend(section(11, 1, info_offset, info.len()));
        elf.extend(section(0, SHT_NOBITS, 1 << 40, 4096));
        elf.extend_from_slice(names.as_bytes());
        elf.resize(info_offset, 0);
        elf.extend_from_slice(&info);
        elf
    }

    #[test]
    fn the_go_version_of_an_executable_is_read_through_its_section_headers() {
        let dir = std::env::temp_dir().join(format!("go-version-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let path = dir.join("go");
        let write = |bytes: &[u8]| std::fs::write(&path, bytes).expect("write");

        let elf = elf_with_build_info(".go.buildinfo", "go1.26.6");
        write(&elf);
        assert_eq!(go_version_of_executable(&path).as_deref(), Ok("go1.26.6"));

        write(&elf[..elf.len() - 40]);
        let cut = go_version_of_executable(&path).expect_err("cut short");
        assert_eq!(
            cut,
            format!(
                "is cut short ({} bytes, its ELF headers need {})",
                elf.len() - 40,
                elf.len()
            )
        );
        write(&elf[..100]);
        assert!(go_version_of_executable(&path)
            .expect_err("cut short")
            .starts_with("is cut short (100 bytes"));

        write(&elf_with_build_info(".go.otherinfo", "go1.26.6"));
        assert_eq!(
            go_version_of_executable(&path),
            Err(String::from("has no Go build information"))
        );
        write(b"#!/bin/sh\necho go1.26.6\n");
        assert_eq!(
            go_version_of_executable(&path),
            Err(String::from("is not a 64-bit little-endian ELF executable"))
        );
        assert!(go_version_of_executable(&dir.join("missing"))
            .expect_err("missing")
            .starts_with("cannot be read"));
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
