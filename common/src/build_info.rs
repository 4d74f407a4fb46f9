//! The build information the go command embeds in every binary (what `go version -m` prints):
//! the Go version, the main module, the module dependencies with their go.sum hashes, and the
//! build settings; and the Go build ID. Read from the binary's ELF sections (with the `object`
//! crate), so no Go toolchain is needed.

use object::elf::FileHeader64;
use object::read::elf::{ElfFile64, FileHeader as _, SectionHeader as _};
use object::read::{ReadCache, ReadRef};
use object::{LittleEndian, Object as _, ObjectSection as _};
use std::path::Path;

/// A Go binary for Linux: a 64-bit little-endian ELF file (amd64, arm64).
type Elf<'data, R> = ElfFile64<'data, LittleEndian, R>;

/// The 14-byte marker that starts the build information section.
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

/// The Go version and the raw module information of a `.go.buildinfo` section, or `None` when
/// it is not one of Go 1.18 or later.
fn raw_build_info(section: &[u8]) -> Option<(String, String)> {
    let header = section.get(..HEADER_LEN)?;
    if !header.starts_with(MAGIC) || header[15] & INLINE_STRINGS_FLAG == 0 {
        return None;
    }
    let (version, rest) = read_string(&section[HEADER_LEN..])?;
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

/// The build information in a binary's `.go.buildinfo` section.
fn build_info_in<'data, R: ReadRef<'data>>(elf: &Elf<'data, R>) -> Option<BuildInfo> {
    let section = elf.section_by_name(".go.buildinfo")?.data().ok()?;
    let (go_version, modinfo) = raw_build_info(section)?;
    Some(parse_modinfo(&go_version, &modinfo))
}

/// The note type and name the go linker gives the build ID (`.note.go.buildid`).
const GO_BUILD_ID_NOTE_TYPE: u32 = 4;
const GO_NOTE_NAME: &[u8] = b"Go";

/// The Go build ID (what `go tool buildid` prints). Its last part is a hash of the binary's
/// content, so an unchanged ID means unchanged bytes.
fn build_id_in<'data, R: ReadRef<'data>>(elf: &Elf<'data, R>) -> Option<String> {
    let endian = elf.endian();
    let section = elf.section_by_name(".note.go.buildid")?;
    let mut notes = section
        .elf_section_header()
        .notes(endian, elf.data())
        .ok()??;
    while let Ok(Some(note)) = notes.next() {
        if note.name() == GO_NOTE_NAME && note.n_type(endian) == GO_BUILD_ID_NOTE_TYPE {
            let id = std::str::from_utf8(note.desc()).ok()?;
            return (!id.is_empty()).then(|| id.to_string());
        }
    }
    None
}

/// The build information of a binary's bytes; `None` when it is no Go binary.
#[must_use]
pub fn build_info(bytes: &[u8]) -> Option<BuildInfo> {
    build_info_in(&Elf::parse(bytes).ok()?)
}

/// The Go build ID of a binary's bytes; `None` when it has none.
#[must_use]
pub fn go_build_id(bytes: &[u8]) -> Option<String> {
    build_id_in(&Elf::parse(bytes).ok()?)
}

/// The build information of a file; `None` when it cannot be read or is no Go binary.
#[must_use]
pub fn build_info_of_file(path: &Path) -> Option<BuildInfo> {
    read_binary_facts(path).ok()?.info
}

/// What the buildpack records of a binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinaryFacts {
    /// Lower-case hex SHA-256 of the file.
    pub sha256: String,
    pub build_id: Option<String>,
    /// `None` when the file is no Go binary of Go 1.18 or later.
    pub info: Option<BuildInfo>,
}

/// The SHA-256, Go build ID and build information of a file, read in pieces: a big app's
/// binary (caddy's is 80 MB) never sits in memory whole.
///
/// # Errors
/// When the file cannot be read.
pub fn read_binary_facts(path: &Path) -> std::io::Result<BinaryFacts> {
    let sha256 = crate::hex(&crate::sha256_of_file(path)?);
    let cache = ReadCache::new(std::fs::File::open(path)?);
    let elf = Elf::parse(&cache).ok();
    Ok(BinaryFacts {
        sha256,
        build_id: elf.as_ref().and_then(build_id_in),
        info: elf.as_ref().and_then(build_info_in),
    })
}

/// The Go version an executable was built with (for a toolchain's `bin/go`, what
/// `go env GOVERSION` prints), reading only its headers and the build information. A file
/// whose section headers or sections do not all lie within it is refused as cut short. The
/// error says what is wrong with the file.
///
/// # Errors
/// When the file cannot be read, is not a little-endian 64-bit ELF file, is cut short or has
/// no Go build information.
pub fn go_version_of_executable(path: &Path) -> Result<String, String> {
    let file = std::fs::File::open(path).map_err(|error| format!("cannot be read ({error})"))?;
    let file_len = file
        .metadata()
        .map_err(|error| format!("cannot be read ({error})"))?
        .len();
    let cache = ReadCache::new(file);
    let not_elf = || String::from("is not a 64-bit little-endian ELF executable");
    let cut_short =
        |needed: u64| format!("is cut short ({file_len} bytes, its ELF headers need {needed})");
    let header = FileHeader64::<LittleEndian>::parse(&cache).map_err(|_| not_elf())?;
    let endian = header.endian().map_err(|_| not_elf())?;
    let headers_end = header.e_shoff(endian).saturating_add(
        u64::from(header.e_shnum(endian)).saturating_mul(u64::from(header.e_shentsize(endian))),
    );
    let sections = header
        .section_headers(endian, &cache)
        .map_err(|_| cut_short(headers_end))?;
    let sections_end = sections
        .iter()
        .filter_map(|section| section.file_range(endian))
        .map(|(offset, size)| offset.saturating_add(size))
        .max()
        .unwrap_or_default();
    if sections_end > file_len {
        return Err(cut_short(sections_end));
    }
    let elf = Elf::parse(&cache).map_err(|_| not_elf())?;
    build_info_in(&elf)
        .map(|info| info.go_version)
        .ok_or_else(|| String::from("has no Go build information"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use object::write::Object as ElfWriter;
    use object::{Architecture, BinaryFormat, Endianness, SectionKind};

    fn blob(version: &str, modinfo: &str) -> Vec<u8> {
        let mut bytes = MAGIC.to_vec();
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
        bytes
    }

    /// An ELF note (`.note.go.buildid` holds one).
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

    /// A Go-like ELF file with the given sections, as (name, contents, kind).
    fn elf(sections: &[(&str, Vec<u8>, SectionKind)]) -> Vec<u8> {
        let mut writer =
            ElfWriter::new(BinaryFormat::Elf, Architecture::X86_64, Endianness::Little);
        for (name, contents, kind) in sections {
            let id = writer.add_section(Vec::new(), name.as_bytes().to_vec(), *kind);
            // Notes are 4-byte aligned, as the go linker writes them.
            let align = if *kind == SectionKind::Note { 4 } else { 16 };
            writer.append_section_data(id, contents, align);
        }
        writer.write().expect("elf")
    }

    fn go_binary(build_id: &str, version: &str, modinfo: &str) -> Vec<u8> {
        elf(&[
            (
                ".note.go.buildid",
                note(b"Go\0\0", GO_BUILD_ID_NOTE_TYPE, build_id.as_bytes()),
                SectionKind::Note,
            ),
            (".text", vec![0x90; 4096], SectionKind::Text),
            (".go.buildinfo", blob(version, modinfo), SectionKind::Data),
        ])
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
        let info = build_info(&go_binary("a/b", "go1.26.6 X:jsonv2", MODINFO)).expect("info");
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
    fn no_build_info_in_other_sections_or_non_go_files() {
        let mut shifted = vec![0u8; 16];
        shifted.extend(blob("go1.26.6", MODINFO));
        assert_eq!(
            build_info(&elf(&[(".go.buildinfo", shifted, SectionKind::Data)])),
            None
        );
        assert_eq!(
            build_info(&elf(&[(
                ".data",
                blob("go1.26.6", MODINFO),
                SectionKind::Data
            )])),
            None
        );
        assert_eq!(build_info(b"#!/bin/sh\necho hi\n"), None);
    }

    #[test]
    fn reads_the_go_build_id_note() {
        let id =
            "5NSPRw5IUmRjgVR1ynVw/OHBhuJmVb8aMASei4eXs/Z8Hp5wMJ32B87-52MAQ8/wQw5YEFU1oKk1v0Jbrhw";
        assert_eq!(
            go_build_id(&go_binary(id, "go1.26.6", "")).as_deref(),
            Some(id)
        );
    }

    #[test]
    fn no_build_id_without_the_go_note_or_from_foreign_files() {
        assert_eq!(go_build_id(&go_binary("", "go1.26.6", "")), None);
        let gnu_only = elf(&[(
            ".note.go.buildid",
            note(b"GNU\0", 3, &[0xaa; 20]),
            SectionKind::Note,
        )]);
        assert_eq!(go_build_id(&gnu_only), None);
        assert_eq!(go_build_id(b"#!/bin/sh\necho hi\n"), None);
        assert_eq!(go_build_id(&[]), None);
    }

    #[test]
    fn binary_facts_hold_the_hash_build_id_and_build_info() {
        use sha2::Digest as _;
        let dir = tempfile::tempdir().expect("tempdir");
        let bytes = go_binary("aaaa/bbbb/cccc/dddd", "go1.26.6", MODINFO);
        let path = dir.path().join("binary");
        std::fs::write(&path, &bytes).expect("write");
        let facts = read_binary_facts(&path).expect("facts");
        assert_eq!(facts.sha256, crate::hex(&sha2::Sha256::digest(&bytes)));
        assert_eq!(facts.build_id.as_deref(), Some("aaaa/bbbb/cccc/dddd"));
        assert_eq!(facts.info, build_info(&bytes));
        assert_eq!(facts.info.expect("info").path, "example.test/withdep");
        // Hashed in pieces: a file many times the piece size hashes the same.
        let mut padded = bytes.clone();
        padded.resize(bytes.len() + 300_001, 0x5a);
        std::fs::write(&path, &padded).expect("write");
        let facts = read_binary_facts(&path).expect("facts");
        assert_eq!(facts.sha256, crate::hex(&sha2::Sha256::digest(&padded)));
        assert_eq!(facts.build_id.as_deref(), Some("aaaa/bbbb/cccc/dddd"));

        let script = dir.path().join("script");
        std::fs::write(&script, "#!/bin/sh\necho hi\n").expect("write");
        let facts = read_binary_facts(&script).expect("facts");
        assert_eq!((facts.build_id, facts.info), (None, None));
        assert!(read_binary_facts(&dir.path().join("missing")).is_err());
    }

    #[test]
    fn the_go_version_of_an_executable_and_what_is_wrong_with_a_damaged_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("go");
        let write = |bytes: &[u8]| std::fs::write(&path, bytes).expect("write");

        let whole = go_binary("a/b", "go1.26.6", "path\tcmd/go\n");
        write(&whole);
        assert_eq!(go_version_of_executable(&path).as_deref(), Ok("go1.26.6"));

        // Section headers come last: cut into them.
        write(&whole[..whole.len() - 40]);
        assert_eq!(
            go_version_of_executable(&path),
            Err(format!(
                "is cut short ({} bytes, its ELF headers need {})",
                whole.len() - 40,
                whole.len()
            ))
        );
        // A section that runs past the end, its headers whole.
        let mut overrun = whole.clone();
        let header = FileHeader64::<LittleEndian>::parse(&*whole).expect("header");
        let table = usize::try_from(header.e_shoff(LittleEndian)).expect("offset");
        let size_field = table + 64 + 0x20; // the second section's sh_size
        overrun[size_field..size_field + 8].copy_from_slice(&(1u64 << 30).to_le_bytes());
        write(&overrun);
        assert!(go_version_of_executable(&path)
            .expect_err("overrun")
            .starts_with(&format!("is cut short ({} bytes", whole.len())));

        write(&elf(&[(".data", vec![1; 64], SectionKind::Data)]));
        assert_eq!(
            go_version_of_executable(&path),
            Err(String::from("has no Go build information"))
        );
        write(b"#!/bin/sh\necho go1.26.6\n");
        assert_eq!(
            go_version_of_executable(&path),
            Err(String::from("is not a 64-bit little-endian ELF executable"))
        );
        assert!(go_version_of_executable(&dir.path().join("missing"))
            .expect_err("missing")
            .starts_with("cannot be read"));
    }
}
