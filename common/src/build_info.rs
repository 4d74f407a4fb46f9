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
    build_info(&std::fs::read(path).ok()?)
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
        let length = wrapped.len();
        bytes.push(u8::try_from(length % 128).expect("7 bits") | 0x80);
        bytes.push(u8::try_from(length / 128).expect("small"));
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
}
