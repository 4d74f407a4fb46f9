//! Installing a Go distribution archive: downloading and verifying it, then unpacking it
//! without ever writing outside GOROOT.

use crate::download::{download_verified, redact_url, DownloadError, DownloadPolicy};
use crate::inventory::GoArtifact;
use bullet_stream::global::print;
use bullet_stream::style;
use flate2::read::GzDecoder;
use std::fs::File;
use std::path::{Component, Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub(crate) enum GoDistError {
    #[error(transparent)]
    Download(DownloadError),
    #[error("could not unpack {url}: {reason}")]
    Unpack { url: String, reason: String },
}

/// `path` with `.` and `..` resolved lexically, or `None` when it climbs above its start.
fn normalize_within(path: &Path) -> Option<PathBuf> {
    let mut normalized = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => normalized.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                if !normalized.pop() {
                    return None;
                }
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(normalized)
}

/// Refuses to write `relative` when an existing part of its path below `destination` is a
/// symbolic link: nothing is ever written through a link, wherever it points.
fn refuse_writing_through_links(destination: &Path, relative: &Path) -> Result<(), String> {
    let mut current = destination.to_path_buf();
    let mut parts = relative.components().peekable();
    while let Some(part) = parts.next() {
        current.push(part);
        let is_link = current
            .symlink_metadata()
            .is_ok_and(|metadata| metadata.file_type().is_symlink());
        if is_link && parts.peek().is_some() {
            return Err(format!(
                "refusing entry go/{} that is written through the link go/{}",
                relative.display(),
                current
                    .strip_prefix(destination)
                    .unwrap_or(&current)
                    .display()
            ));
        }
    }
    Ok(())
}

/// Makes the symlink `go/<relative>` → `link`, refusing a target that is absolute or leaves
/// the archive (a relative target is resolved from the link's own directory).
fn make_symlink(relative: &Path, link: &Path, target: &Path) -> Result<(), String> {
    let resolved = relative
        .parent()
        .map(|dir| dir.join(link))
        .and_then(|joined| normalize_within(&joined));
    if link.is_absolute() || resolved.is_none() {
        return Err(format!(
            "refusing link go/{} -> {} that leaves the archive",
            relative.display(),
            link.display()
        ));
    }
    std::os::unix::fs::symlink(link, target).map_err(|e| format!("go/{}: {e}", relative.display()))
}

/// Makes a hard link to `link`, another entry of the archive named from the archive's root,
/// which must be a file unpacked before it inside `destination`.
fn make_hard_link(destination: &Path, link: &Path, target: &Path) -> Result<(), String> {
    let shown = target.strip_prefix(destination).unwrap_or(target);
    let source = link
        .strip_prefix("go")
        .ok()
        .and_then(normalize_within)
        .filter(|source| !source.as_os_str().is_empty());
    let Some(source) = source else {
        return Err(format!(
            "refusing link go/{} -> {} that leaves the archive",
            shown.display(),
            link.display()
        ));
    };
    refuse_writing_through_links(destination, &source)?;
    let source_path = destination.join(&source);
    if !source_path
        .symlink_metadata()
        .is_ok_and(|metadata| metadata.file_type().is_file())
    {
        return Err(format!(
            "refusing hard link go/{} -> {}: the target is not a file unpacked before it",
            shown.display(),
            link.display()
        ));
    }
    std::fs::hard_link(&source_path, target).map_err(|e| format!("go/{}: {e}", shown.display()))
}

/// Downloads the archive into the layer, verifies it, unpacks it and removes the archive.
/// `verified_as` is the checksum as shown (`sha256:<hex>`); `left_out` says what is not
/// unpacked.
pub(crate) fn install(
    goroot: &Path,
    artifact: &GoArtifact,
    url: &str,
    verified_as: &str,
    left_out: &LeftOut,
    download_policy: &DownloadPolicy,
) -> Result<(), GoDistError> {
    let label = format!(
        "Downloading Go {} from {}",
        artifact.version,
        style::url(redact_url(url))
    );
    // One line an attempt: a failed one ends with why and when it is retried.
    let mut timer = Some(print::sub_start_timer(&label));
    let archive = goroot.join(".download.tar.gz");
    let downloaded = download_verified(
        url,
        &archive,
        &artifact.checksum.value,
        download_policy,
        &mut |notice| {
            if let Some(timer) = timer.take() {
                timer.cancel(notice.to_string());
            }
            timer = Some(print::sub_start_timer(&label));
        },
    );
    match (downloaded, timer) {
        (Ok(()), Some(timer)) => timer.done(),
        (Err(error), Some(timer)) => {
            timer.cancel("failed");
            return Err(GoDistError::Download(error));
        }
        (result, None) => result.map_err(GoDistError::Download)?,
    }
    print::sub_bullet(format!("Verified {}", style::value(verified_as)));
    let timer = print::sub_start_timer("Unpacking");
    let left_out_bytes =
        unpack_distribution(&archive, goroot, left_out).map_err(|reason| GoDistError::Unpack {
            url: redact_url(url),
            reason,
        })?;
    std::fs::remove_file(&archive).map_err(|error| GoDistError::Unpack {
        url: redact_url(url),
        reason: error.to_string(),
    })?;
    timer.done();
    print::sub_bullet(if left_out.build_only {
        format!(
            "Left out what this build never reads ({} MB): the standard library's {}, the toolchain's own sources and docs, and the go tools `go install` does not run here (GO_INSTALL_TOOLS_IN_IMAGE keeps them)",
            left_out_bytes / 1_000_000,
            left_out.only_platform.map_or_else(
                || String::from("tests and test data"),
                |(os, arch)| format!("tests, test data and files for other platforms than {os}/{arch}")
            )
        )
    } else {
        format!(
            "Left out the standard library's tests and test data ({} MB), which no build of the app reads",
            left_out_bytes / 1_000_000
        )
    });
    Ok(())
}

/// Unpacks a go.dev archive (everything under `go/`) into `destination`. Only directories,
/// regular files and links are accepted; every entry and every link target must stay inside
/// `destination`, links are made here (never resolved against the working directory), and
/// nothing is written through a link.
fn unpack_distribution(
    archive: &Path,
    destination: &Path,
    left_out: &LeftOut,
) -> Result<u64, String> {
    let file = File::open(archive).map_err(|e| e.to_string())?;
    let mut tar = tar::Archive::new(GzDecoder::new(file));
    tar.set_preserve_permissions(true);
    let mut unpacked_files = 0usize;
    let mut left_out_bytes = 0;
    let mut symlinks = Vec::new();
    for entry in tar.entries().map_err(|e| e.to_string())? {
        let mut entry = entry.map_err(|e| e.to_string())?;
        let path = entry.path().map_err(|e| e.to_string())?.into_owned();
        let Ok(relative) = path.strip_prefix("go") else {
            return Err(format!("unexpected entry {} outside go/", path.display()));
        };
        let relative = relative.to_path_buf();
        if relative.as_os_str().is_empty() {
            continue;
        }
        if !relative
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
        {
            return Err(format!(
                "refusing entry {} that leaves the archive",
                path.display()
            ));
        }
        if left_out.contains(&relative) {
            left_out_bytes += entry.header().size().unwrap_or_default();
            continue;
        }
        refuse_writing_through_links(destination, &relative)?;
        let target = destination.join(&relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        let kind = entry.header().entry_type();
        let link_name = || -> Result<PathBuf, String> {
            Ok(entry
                .link_name()
                .map_err(|e| e.to_string())?
                .unwrap_or_default()
                .into_owned())
        };
        match kind {
            tar::EntryType::Directory | tar::EntryType::Regular | tar::EntryType::Continuous => {
                entry
                    .unpack(&target)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
            }
            tar::EntryType::Symlink => {
                make_symlink(&relative, &link_name()?, &target)?;
                symlinks.push(relative);
            }
            tar::EntryType::Link => make_hard_link(destination, &link_name()?, &target)?,
            other => {
                return Err(format!(
                    "refusing entry {} of type {other:?}: a Go distribution holds only directories, files and links",
                    path.display()
                ));
            }
        }
        unpacked_files += 1;
    }
    // Each link was checked on its own; a chain of links must not lead out either.
    let root = destination.canonicalize().map_err(|e| e.to_string())?;
    for link in symlinks {
        if let Ok(resolved) = destination.join(&link).canonicalize() {
            if !resolved.starts_with(&root) {
                return Err(format!(
                    "refusing link go/{} that resolves outside the archive",
                    link.display()
                ));
            }
        }
    }
    if !destination.join("bin").join("go").is_file() {
        return Err(format!(
            "the archive has no go/bin/go ({unpacked_files} entries unpacked)"
        ));
    }
    Ok(left_out_bytes)
}

/// What no build of an app reads, left out of the layer to keep the cache (and an image with
/// `GO_INSTALL_TOOLS_IN_IMAGE`) smaller: always the standard library's tests (`_test.go` files
/// and `testdata/` directories) and the toolchain's own test suite (`test/`); building,
/// vetting and testing the app's packages never reads them. `build_only` also leaves out what
/// only the toolchain's own commands read (its sources `src/cmd`, the API lists `api/`,
/// `doc/` and `misc/`) and the `tools` of `pkg/tool/<os>_<arch>/` the build does not run;
/// `only_platform` (os, arch) the standard library's files for other platforms.
pub(crate) struct LeftOut<'a> {
    pub(crate) build_only: bool,
    pub(crate) tools: &'a [String],
    pub(crate) only_platform: Option<(&'a str, &'a str)>,
}

impl LeftOut<'_> {
    fn contains(&self, relative: &Path) -> bool {
        let names: Vec<&std::ffi::OsStr> = relative
            .components()
            .map(std::path::Component::as_os_str)
            .collect();
        match names.as_slice() {
            [top, ..] if *top == "test" => true,
            [top, second, ..] if *top == "src" && *second == "cmd" && self.build_only => true,
            [top, ..] if *top == "src" => {
                let file_name = names.last().map(|name| name.to_string_lossy());
                names.iter().any(|name| *name == "testdata")
                    || file_name
                        .as_ref()
                        .is_some_and(|name| name.ends_with("_test.go"))
                    || self.only_platform.is_some_and(|(os, arch)| {
                        file_name.as_ref().is_some_and(|name| {
                            crate::go_platform_files::is_for_another_platform(name, os, arch)
                        })
                    })
            }
            [top, ..] if self.build_only && (*top == "api" || *top == "doc" || *top == "misc") => {
                true
            }
            [pkg, tool, _, program] if self.build_only && *pkg == "pkg" && *tool == "tool" => self
                .tools
                .iter()
                .any(|left_out| *program == left_out.as_str()),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVERYTHING_BUT_TESTS: LeftOut<'static> = LeftOut {
        build_only: false,
        tools: &[],
        only_platform: None,
    };

    fn write_archive(path: &Path, entries: &[(&str, &[u8])]) {
        let typed: Vec<(&str, tar::EntryType, &[u8])> = entries
            .iter()
            .map(|(name, contents)| (*name, tar::EntryType::Regular, *contents))
            .collect();
        write_typed_archive(path, &typed);
    }

    /// Entries of any type; for links, the contents are the link target.
    fn write_typed_archive(path: &Path, entries: &[(&str, tar::EntryType, &[u8])]) {
        let file = File::create(path).expect("create archive");
        let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
            file,
            flate2::Compression::fast(),
        ));
        for (name, kind, contents) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_mode(0o755);
            header.set_entry_type(*kind);
            let contents: &[u8] = if kind.is_symlink() || kind.is_hard_link() {
                header.as_old_mut().linkname[..contents.len()].copy_from_slice(contents);
                &[]
            } else {
                contents
            };
            header.set_size(contents.len() as u64);
            // set_path refuses `..`, so write the raw name the way a hostile archive would.
            let name_bytes = name.as_bytes();
            header.as_old_mut().name[..name_bytes.len()].copy_from_slice(name_bytes);
            header.set_cksum();
            builder.append(&header, contents).expect("append");
        }
        builder
            .into_inner()
            .expect("finish")
            .finish()
            .expect("flush");
    }

    #[test]
    fn unpacks_under_the_destination() {
        let dir = tempfile::tempdir().expect("tempdir");
        let archive = dir.path().join("go.tar.gz");
        write_archive(
            &archive,
            &[("go/bin/go", b"#!/bin/sh\n"), ("go/VERSION", b"go1.26.6\n")],
        );
        let goroot = dir.path().join("goroot");
        unpack_distribution(&archive, &goroot, &EVERYTHING_BUT_TESTS).expect("unpacks");
        assert!(goroot.join("bin/go").is_file());
        assert!(goroot.join("VERSION").is_file());
    }

    #[test]
    fn refuses_entries_that_escape() {
        let dir = tempfile::tempdir().expect("tempdir");
        let archive = dir.path().join("evil.tar.gz");
        write_archive(&archive, &[("go/../../escaped", b"x")]);
        let error =
            unpack_distribution(&archive, &dir.path().join("goroot"), &EVERYTHING_BUT_TESTS)
                .expect_err("refused");
        assert!(error.contains("leaves the archive"), "{error}");
        assert!(!dir.path().join("escaped").exists());
    }

    #[test]
    fn a_hard_link_to_a_file_outside_the_archive_is_refused_whatever_the_working_directory() {
        let dir = tempfile::tempdir().expect("tempdir");
        let archive = dir.path().join("evil.tar.gz");
        // `go.mod` names a file of the working directory (the app), not of the archive.
        write_typed_archive(
            &archive,
            &[
                ("go/bin/go", tar::EntryType::Regular, b"#!/bin/sh\n"),
                ("go/hl", tar::EntryType::Link, b"go.mod"),
            ],
        );
        let error =
            unpack_distribution(&archive, &dir.path().join("goroot"), &EVERYTHING_BUT_TESTS)
                .expect_err("refused");
        assert!(error.contains("refusing link go/hl -> go.mod"), "{error}");
        assert!(!dir.path().join("goroot/hl").exists());
    }

    #[test]
    fn hard_links_and_symlinks_inside_the_archive_are_made_inside_the_destination() {
        let dir = tempfile::tempdir().expect("tempdir");
        let archive = dir.path().join("go.tar.gz");
        write_typed_archive(
            &archive,
            &[
                ("go/bin/go", tar::EntryType::Regular, b"#!/bin/sh\n"),
                ("go/bin/go-again", tar::EntryType::Link, b"go/bin/go"),
                ("go/misc/go-link", tar::EntryType::Symlink, b"../bin/go"),
            ],
        );
        let goroot = dir.path().join("goroot");
        unpack_distribution(&archive, &goroot, &EVERYTHING_BUT_TESTS).expect("unpacks");
        assert_eq!(
            std::fs::read(goroot.join("bin/go-again")).expect("hard link"),
            b"#!/bin/sh\n"
        );
        assert_eq!(
            std::fs::read_link(goroot.join("misc/go-link")).expect("symlink"),
            Path::new("../bin/go")
        );
    }

    #[test]
    fn links_that_point_out_are_refused() {
        for (name, kind, target) in [
            ("go/abs", tar::EntryType::Symlink, &b"/etc/passwd"[..]),
            ("go/up", tar::EntryType::Symlink, &b"../../outside"[..]),
            ("go/hard-up", tar::EntryType::Link, &b"go/../../outside"[..]),
        ] {
            let dir = tempfile::tempdir().expect("tempdir");
            let archive = dir.path().join("evil.tar.gz");
            write_typed_archive(&archive, &[(name, kind, target)]);
            let error =
                unpack_distribution(&archive, &dir.path().join("goroot"), &EVERYTHING_BUT_TESTS)
                    .expect_err("refused");
            assert!(error.contains("that leaves the archive"), "{name}: {error}");
        }
    }

    #[test]
    fn nothing_is_written_through_a_link() {
        let dir = tempfile::tempdir().expect("tempdir");
        let archive = dir.path().join("evil.tar.gz");
        std::fs::create_dir(dir.path().join("goroot")).expect("mkdir");
        write_typed_archive(
            &archive,
            &[
                ("go/sub/up", tar::EntryType::Symlink, b".."),
                ("go/sub/up/planted", tar::EntryType::Regular, b"x"),
            ],
        );
        let error =
            unpack_distribution(&archive, &dir.path().join("goroot"), &EVERYTHING_BUT_TESTS)
                .expect_err("refused");
        assert!(
            error.contains("written through the link go/sub/up"),
            "{error}"
        );
        assert!(!dir.path().join("goroot/planted").exists());
    }

    #[test]
    fn a_chain_of_links_leading_out_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let archive = dir.path().join("evil.tar.gz");
        write_typed_archive(
            &archive,
            &[
                ("go/bin/go", tar::EntryType::Regular, b"#!/bin/sh\n"),
                ("go/sub/d2", tar::EntryType::Symlink, b".."),
                ("go/d1", tar::EntryType::Symlink, b"sub/d2/.."),
            ],
        );
        let error =
            unpack_distribution(&archive, &dir.path().join("goroot"), &EVERYTHING_BUT_TESTS)
                .expect_err("refused");
        assert!(error.contains("go/d1 that resolves outside"), "{error}");
    }

    #[test]
    fn special_entries_are_refused() {
        for kind in [
            tar::EntryType::Fifo,
            tar::EntryType::Char,
            tar::EntryType::Block,
        ] {
            let dir = tempfile::tempdir().expect("tempdir");
            let archive = dir.path().join("evil.tar.gz");
            write_typed_archive(&archive, &[("go/dev", kind, b"")]);
            let error =
                unpack_distribution(&archive, &dir.path().join("goroot"), &EVERYTHING_BUT_TESTS)
                    .expect_err("refused");
            assert!(error.contains("refusing entry go/dev of type"), "{error}");
        }
    }

    #[test]
    fn the_standard_library_tests_are_left_out() {
        let dir = tempfile::tempdir().expect("tempdir");
        let archive = dir.path().join("go.tar.gz");
        write_archive(
            &archive,
            &[
                ("go/bin/go", b"#!/bin/sh\n"),
                ("go/src/strings/strings.go", b"package strings\n"),
                ("go/src/strings/strings_test.go", b"package strings\n"),
                ("go/src/image/testdata/video-001.png", b"png"),
                ("go/test/fixedbugs/issue1.go", b"package main\n"),
                ("go/misc/testdata_keep.txt", b"kept"),
            ],
        );
        let goroot = dir.path().join("goroot");
        let left_out =
            unpack_distribution(&archive, &goroot, &EVERYTHING_BUT_TESTS).expect("unpacks");
        assert_eq!(left_out, 16 + 3 + 13);
        assert!(goroot.join("src/strings/strings.go").is_file());
        assert!(!goroot.join("src/strings/strings_test.go").exists());
        assert!(!goroot.join("src/image/testdata").exists());
        assert!(!goroot.join("test").exists());
        assert!(goroot.join("misc/testdata_keep.txt").is_file());
    }

    #[test]
    fn a_build_only_toolchain_also_leaves_out_its_own_sources_docs_and_unused_tools() {
        let dir = tempfile::tempdir().expect("tempdir");
        let archive = dir.path().join("go.tar.gz");
        write_archive(
            &archive,
            &[
                ("go/bin/go", b"#!/bin/sh\n"),
                ("go/src/cmd/go/main.go", b"package main\n"),
                ("go/src/cmdline/keep.go", b"package cmdline\n"),
                ("go/api/go1.26.txt", b"pkg"),
                ("go/doc/go_spec.html", b"<html>"),
                ("go/misc/chrome/gophertool/x.js", b"js"),
                ("go/lib/time/zoneinfo.zip", b"zip"),
                ("go/pkg/tool/linux_amd64/compile", b"ELF"),
                ("go/pkg/tool/linux_amd64/vet", b"ELFvet"),
                ("go/pkg/tool/linux_amd64/cover", b"ELFcover"),
            ],
        );
        let goroot = dir.path().join("goroot");
        let tools = [String::from("vet")];
        let left_out = LeftOut {
            build_only: true,
            tools: &tools,
            only_platform: None,
        };
        let left_out_bytes = unpack_distribution(&archive, &goroot, &left_out).expect("unpacks");
        assert_eq!(left_out_bytes, 13 + 3 + 6 + 2 + 6);
        for gone in ["src/cmd", "api", "doc", "misc", "pkg/tool/linux_amd64/vet"] {
            assert!(!goroot.join(gone).exists(), "{gone}");
        }
        for kept in [
            "src/cmdline/keep.go",
            "lib/time/zoneinfo.zip",
            "pkg/tool/linux_amd64/compile",
            "pkg/tool/linux_amd64/cover",
        ] {
            assert!(goroot.join(kept).is_file(), "{kept}");
        }
    }

    #[test]
    fn a_toolchain_for_its_own_platform_leaves_out_the_other_platforms_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let archive = dir.path().join("go.tar.gz");
        write_archive(
            &archive,
            &[
                ("go/bin/go", b"#!/bin/sh\n"),
                ("go/src/runtime/os_linux.go", b"package runtime\n"),
                ("go/src/runtime/os_windows.go", b"package runtime\n"),
                ("go/src/runtime/asm_arm64.s", b"TEXT"),
                ("go/src/runtime/race/race_darwin_amd64.syso", b"obj"),
                ("go/src/runtime/cgo/libcgo_windows.h", b"#define"),
            ],
        );
        let goroot = dir.path().join("goroot");
        let left_out = LeftOut {
            build_only: true,
            tools: &[],
            only_platform: Some(("linux", "amd64")),
        };
        let left_out_bytes = unpack_distribution(&archive, &goroot, &left_out).expect("unpacks");
        assert_eq!(left_out_bytes, 16 + 4 + 3);
        for gone in [
            "src/runtime/os_windows.go",
            "src/runtime/asm_arm64.s",
            "src/runtime/race/race_darwin_amd64.syso",
        ] {
            assert!(!goroot.join(gone).exists(), "{gone}");
        }
        for kept in [
            "src/runtime/os_linux.go",
            "src/runtime/cgo/libcgo_windows.h",
        ] {
            assert!(goroot.join(kept).is_file(), "{kept}");
        }
    }

    #[test]
    fn refuses_an_archive_without_go() {
        let dir = tempfile::tempdir().expect("tempdir");
        let archive = dir.path().join("empty.tar.gz");
        write_archive(&archive, &[("go/README.md", b"hi")]);
        let error =
            unpack_distribution(&archive, &dir.path().join("goroot"), &EVERYTHING_BUT_TESTS)
                .expect_err("refused");
        assert!(error.contains("no go/bin/go"), "{error}");
    }
}
