//! The `go-dist` layer: the Go distribution (GOROOT).

use super::{tree_archive, CachedLayerMetadata, LayerUse};
use crate::buildpack::{GoBuildpack, GoBuildpackError};
use crate::download::{redact_url, DownloadPolicy};
use crate::go_archive;
use crate::inventory::GoArtifact;
use bullet_stream::global::print;
use libcnb::build::BuildContext;
use libcnb::data::layer_name;
use libcnb::layer::UncachedLayerDefinition;
use libcnb::layer_env::{LayerEnv, ModificationBehavior, Scope};
use libcnb::Env;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// What identifies an installed distribution: the layer is reused only for the same artifact,
/// holding at least what this build needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GoDistMetadata {
    pub(crate) version: String,
    pub(crate) os: String,
    pub(crate) arch: String,
    pub(crate) checksum: String,
    /// [`CONTENTS_COMPLETE`] or [`CONTENTS_BUILD_ONLY`]. Layers cached before this field
    /// existed were complete, so that is what its absence means.
    #[serde(default = "complete")]
    pub(crate) contents: String,
    /// The programs of `pkg/tool/<os>_<arch>/` left out (see [`crate::go_tools`]), sorted.
    /// Layers cached before this field existed have them all.
    #[serde(default)]
    pub(crate) left_out_tools: Vec<String>,
    /// Whether the standard library's files for other platforms than `os`/`arch` were left
    /// out (see [`crate::go_platform_files`]). Layers cached before this field existed have
    /// them.
    #[serde(default)]
    pub(crate) other_platforms_left_out: bool,
}

/// Everything but the tests: what `go build`, `go vet`, `go test` and `go tool` in the image
/// need (`GO_INSTALL_TOOLS_IN_IMAGE`).
pub(crate) const CONTENTS_COMPLETE: &str = "complete";
/// Also without the toolchain's own sources (`src/cmd`, about 64 MB), its API lists, docs and
/// misc files, which only rebuilding the toolchain or `go tool` reads: enough for `go install`
/// of the app.
pub(crate) const CONTENTS_BUILD_ONLY: &str = "build-only";

fn complete() -> String {
    String::from(CONTENTS_COMPLETE)
}

impl GoDistMetadata {
    /// `left_out_tools` and the other platforms' files only count for a toolchain that stays
    /// out of the image; `keep_other_platforms` keeps those files too (a build for another
    /// platform, a later buildpack that may run any go command).
    pub(crate) fn for_artifact(
        artifact: &GoArtifact,
        keep_in_image: bool,
        left_out_tools: Vec<String>,
        keep_other_platforms: bool,
    ) -> Self {
        GoDistMetadata {
            other_platforms_left_out: !keep_in_image && !keep_other_platforms,
            left_out_tools: if keep_in_image {
                Vec::new()
            } else {
                left_out_tools
            },
            contents: String::from(if keep_in_image {
                CONTENTS_COMPLETE
            } else {
                CONTENTS_BUILD_ONLY
            }),
            version: artifact.version.to_string(),
            os: artifact.os.to_string(),
            arch: artifact.arch.to_string(),
            checksum: format!(
                "{}:{}",
                artifact.checksum.name,
                go_cnb_common::hex(&artifact.checksum.value)
            ),
        }
    }
}

impl CachedLayerMetadata for GoDistMetadata {
    const CONTENTS: &'static str = "the cached Go toolchain";

    fn reasons(&self, wanted: &Self) -> Vec<String> {
        let GoDistMetadata {
            version,
            os,
            arch,
            checksum,
            contents,
            left_out_tools,
            other_platforms_left_out,
        } = self;
        let mut reasons = Vec::new();
        if version != &wanted.version {
            reasons.push(format!(
                "the requested version changed to {}",
                wanted.version
            ));
        }
        if os != &wanted.os || arch != &wanted.arch {
            reasons.push(format!(
                "the target changed from {os}/{arch} to {}/{}",
                wanted.os, wanted.arch
            ));
        }
        if version == &wanted.version && checksum != &wanted.checksum {
            reasons.push(format!(
                "the inventory's checksum for it changed to {}",
                wanted.checksum
            ));
        }
        if contents != &wanted.contents && wanted.contents == CONTENTS_COMPLETE {
            reasons.push(String::from(
                "it was installed without the toolchain's own sources (src/cmd), which GO_INSTALL_TOOLS_IN_IMAGE needs in the image",
            ));
        } else if *other_platforms_left_out && !wanted.other_platforms_left_out {
            reasons.push(format!(
                "it was installed without the standard library's files for other platforms than {os}/{arch}, which this build keeps (GOOS or GOARCH names another platform, or a later buildpack requires go)"
            ));
        }
        let missing: Vec<&str> = left_out_tools
            .iter()
            .filter(|tool| !wanted.left_out_tools.contains(tool))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            reasons.push(format!(
                "it was installed without the go tools this build may run ({})",
                missing.join(", ")
            ));
        }
        reasons
    }

    fn named(&self) -> String {
        format!("cached Go {}", self.version)
    }
}

/// The instant every file of GOROOT/src is given.
const PINNED_SOURCE_MTIME: i64 = 946_684_800; // 2000-01-01T00:00:00Z

/// Gives the standard library's files one fixed mtime. The go command keeps an index of each
/// standard package keyed by its files' mtimes, and the lifecycle restores cached files with the
/// restore time: without this, every build would miss the index and re-read the standard
/// library (about 0.15 s of each rebuild). Only speed depends on it: a failure is a warning.
fn pin_source_times(goroot: &Path) {
    if let Err(error) = crate::file_times::set_tree_mtimes(&goroot.join("src"), PINNED_SOURCE_MTIME)
    {
        print::warning(format!(
            "Could not set the standard library's file times ({error}); the go command re-reads the standard library in this build."
        ));
    }
}

/// What makes a cached distribution unusable though its metadata matches: `bin/go` missing, not
/// executable, cut short, or not built as the expected release. Its Go version is read from the
/// file (what `go env GOVERSION` would print), so a damaged binary is never run.
fn toolchain_problem(goroot: &Path, version: &str) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let go = goroot.join("bin").join("go");
    let Ok(file) = go.metadata() else {
        return Some(String::from("its bin/go is missing"));
    };
    if !file.is_file() || file.permissions().mode() & 0o111 == 0 {
        return Some(String::from("its bin/go is not an executable file"));
    }
    let expected = format!("go{version}");
    match go_cnb_common::build_info::go_version_of_executable(&go) {
        Err(problem) => Some(format!("its bin/go {problem}")),
        Ok(built_with) if built_with != expected => Some(format!(
            "its bin/go is {}, not {expected}",
            crate::truncate::for_display(&built_with)
        )),
        Ok(_) => None,
    }
}

/// Where to download from: the inventory URL, or the same file name under `GO_DIST_MIRROR`.
pub(crate) fn download_url(artifact_url: &str, mirror: Option<&str>) -> String {
    match mirror {
        None => artifact_url.to_string(),
        Some(mirror) => {
            let file_name = artifact_url.rsplit('/').next().unwrap_or(artifact_url);
            format!("{}/{file_name}", mirror.trim_end_matches('/'))
        }
    }
}

/// Installs (or reuses) the distribution and points `env` at it. The cached `go-dist` layer
/// keeps it as one archive (see [`super::tree_archive`]); GOROOT is the `go` layer, which is
/// not cached, unpacked from the archive or installed by this build.
pub(crate) fn install_go_dist(
    context: &BuildContext<GoBuildpack>,
    env: &mut Env,
    artifact: &GoArtifact,
    mirror: Option<&str>,
    download_policy: &DownloadPolicy,
    wanted: &GoDistMetadata,
) -> libcnb::Result<(), GoBuildpackError> {
    // Only a toolchain for the image is installed complete.
    let keep_in_image = wanted.contents == CONTENTS_COMPLETE;
    let goroot_layer = context.uncached_layer(
        layer_name!("go"),
        UncachedLayerDefinition {
            build: true,
            launch: keep_in_image,
        },
    )?;
    let goroot = goroot_layer.path();
    let (cached, kept) = super::restore_cached_layer(
        context,
        layer_name!("go-dist"),
        LayerUse {
            build: false,
            launch: false,
        },
        wanted,
        // Earlier versions cached the toolchain unpacked: archived in place, not downloaded again.
        &|cached| {
            tree_archive::archive_unpacked_tree(
                cached,
                "",
                "bin/go",
                PINNED_SOURCE_MTIME.unsigned_abs(),
            )
            .or_else(|| tree_archive::archive_problem(cached))
        },
    )?;
    let reused = kept
        && match tree_archive::unpack_or_discard(&cached.path(), &goroot)
            .and_then(|()| toolchain_problem(&goroot, &wanted.version).map_or(Ok(()), Err))
        {
            Ok(()) => true,
            Err(why) => {
                tree_archive::clear_dir(&goroot);
                print::sub_bullet(format!("Discarding {}: {why}", wanted.named()));
                false
            }
        };
    if reused {
        print::sub_bullet(format!("Reusing Go {} from the cache", wanted.version));
    } else {
        go_archive::install(
            &goroot,
            artifact,
            &download_url(&artifact.url, mirror),
            &wanted.checksum,
            &go_archive::LeftOut {
                build_only: wanted.contents == CONTENTS_BUILD_ONLY,
                tools: &wanted.left_out_tools,
                only_platform: wanted
                    .other_platforms_left_out
                    .then_some((wanted.os.as_str(), wanted.arch.as_str())),
            },
            download_policy,
        )
        .map_err(GoBuildpackError::GoDist)?;
        pin_source_times(&goroot);
        // The archive carries the pinned times, so an unpacked toolchain has them too.
        tree_archive::pack(
            &goroot,
            &tree_archive::archive_path(&cached.path()),
            PINNED_SOURCE_MTIME.unsigned_abs(),
            &|_, _| false,
        )
        .map_err(GoBuildpackError::ArchiveToolchain)?;
        // Written last: a layer whose archive was not finished has no metadata, and is
        // discarded by the next build instead of being reused.
        cached.write_metadata(wanted)?;
    }

    if keep_in_image {
        let url = redact_url(&download_url(&artifact.url, mirror));
        goroot_layer.write_sboms(&[
            crate::sbom::go_dist_sbom(artifact, &url).map_err(GoBuildpackError::Sbom)?
        ])?;
    }
    // GOROOT everywhere (the image too, when the toolchain is in it); `bin/` goes on PATH.
    super::write_and_apply_env(
        &goroot_layer,
        &LayerEnv::new().chainable_insert(
            Scope::All,
            ModificationBehavior::Override,
            "GOROOT",
            &goroot,
        ),
        env,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn metadata(version: &str, arch: &str, checksum: &str) -> GoDistMetadata {
        GoDistMetadata {
            version: version.to_string(),
            os: String::from("linux"),
            arch: arch.to_string(),
            checksum: checksum.to_string(),
            contents: String::from(CONTENTS_BUILD_ONLY),
            left_out_tools: vec![String::from("fix"), String::from("vet")],
            other_platforms_left_out: true,
        }
    }

    #[test]
    fn a_complete_toolchain_serves_a_build_but_not_the_other_way_round() {
        let build_only = metadata("1.26.6", "amd64", "sha256:aa");
        let complete = GoDistMetadata {
            contents: String::from(CONTENTS_COMPLETE),
            left_out_tools: Vec::new(),
            other_platforms_left_out: false,
            ..build_only.clone()
        };
        assert!(complete.reasons(&build_only).is_empty());
        assert_eq!(
            build_only.reasons(&complete),
            vec![
                "it was installed without the toolchain's own sources (src/cmd), which GO_INSTALL_TOOLS_IN_IMAGE needs in the image",
                "it was installed without the go tools this build may run (fix, vet)"
            ]
        );
    }

    #[test]
    fn metadata_toml_is_pinned_and_older_metadata_reads_as_complete() {
        let wanted = metadata("1.26.6", "amd64", "sha256:aa");
        assert_eq!(
            toml::to_string(&wanted).expect("serialize"),
            "version = \"1.26.6\"\nos = \"linux\"\narch = \"amd64\"\nchecksum = \"sha256:aa\"\ncontents = \"build-only\"\nleft_out_tools = [\"fix\", \"vet\"]\nother_platforms_left_out = true\n"
        );
        // Written by versions of the buildpack that always installed the complete toolchain.
        let older: GoDistMetadata = toml::from_str(
            "version = \"1.26.6\"\nos = \"linux\"\narch = \"amd64\"\nchecksum = \"sha256:aa\"\n",
        )
        .expect("migrates");
        assert_eq!(older.contents, CONTENTS_COMPLETE);
        assert!(older.left_out_tools.is_empty());
        assert!(!older.other_platforms_left_out);
        assert!(older.reasons(&wanted).is_empty());
        // Written by versions that left out src/cmd but kept every tool: still enough.
        let build_only_with_every_tool: GoDistMetadata = toml::from_str(
            "version = \"1.26.6\"\nos = \"linux\"\narch = \"amd64\"\nchecksum = \"sha256:aa\"\ncontents = \"build-only\"\n",
        )
        .expect("migrates");
        assert!(build_only_with_every_tool.reasons(&wanted).is_empty());
    }

    #[test]
    fn a_toolchain_without_a_tool_the_build_now_runs_is_replaced() {
        let cached = GoDistMetadata {
            left_out_tools: vec![String::from("cover"), String::from("vet")],
            ..metadata("1.26.6", "amd64", "sha256:aa")
        };
        let fewer_left_out = GoDistMetadata {
            left_out_tools: vec![String::from("vet")],
            ..cached.clone()
        };
        assert_eq!(
            cached.reasons(&fewer_left_out),
            vec!["it was installed without the go tools this build may run (cover)"]
        );
        assert!(fewer_left_out.reasons(&cached).is_empty());
    }

    #[test]
    fn a_toolchain_for_its_own_platform_only_is_replaced_for_a_build_for_another() {
        let own_platform = metadata("1.26.6", "amd64", "sha256:aa");
        let every_platform = GoDistMetadata {
            other_platforms_left_out: false,
            ..own_platform.clone()
        };
        assert_eq!(
            own_platform.reasons(&every_platform),
            vec!["it was installed without the standard library's files for other platforms than linux/amd64, which this build keeps (GOOS or GOARCH names another platform, or a later buildpack requires go)"]
        );
        assert!(every_platform.reasons(&own_platform).is_empty());
    }

    #[test]
    fn same_artifact_is_reused() {
        let m = metadata("1.26.6", "amd64", "sha256:aa");
        assert!(m.reasons(&m.clone()).is_empty());
    }

    #[test]
    fn explains_why_a_cached_toolchain_is_discarded() {
        let cached = metadata("1.25.4", "amd64", "sha256:aa");
        assert_eq!(
            cached.reasons(&metadata("1.26.6", "amd64", "sha256:bb")),
            vec!["the requested version changed to 1.26.6"]
        );
        assert_eq!(
            cached.reasons(&metadata("1.25.4", "arm64", "sha256:aa")),
            vec!["the target changed from linux/amd64 to linux/arm64"]
        );
        assert_eq!(
            cached.reasons(&metadata("1.25.4", "amd64", "sha256:cc")),
            vec!["the inventory's checksum for it changed to sha256:cc"]
        );
    }

    fn goroot_with(go: &Path, mode: u32) -> tempfile::TempDir {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("bin")).expect("mkdir");
        let copy = dir.path().join("bin/go");
        std::fs::copy(go, &copy).expect("copy");
        std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(mode)).expect("chmod");
        dir
    }

    #[test]
    fn a_cached_toolchain_is_checked_before_reuse() {
        // The check only reads the file: the machine's go command (the tests need one, see the
        // README) stands for a cached toolchain of its own version.
        let Some(go) = which_go() else {
            panic!("the tests need a go command on PATH (see the README's setup)");
        };
        let built_with = go_cnb_common::build_info::go_version_of_executable(&go).expect("version");
        let version = built_with.trim_start_matches("go");
        let healthy = goroot_with(&go, 0o755);
        assert_eq!(toolchain_problem(healthy.path(), version), None);
        assert_eq!(
            toolchain_problem(healthy.path(), "1.25.5"),
            Some(format!("its bin/go is {built_with}, not go1.25.5"))
        );
        let missing = tempfile::tempdir().expect("tempdir");
        assert_eq!(
            toolchain_problem(missing.path(), version).as_deref(),
            Some("its bin/go is missing")
        );
        let not_executable = goroot_with(&go, 0o644);
        assert_eq!(
            toolchain_problem(not_executable.path(), version).as_deref(),
            Some("its bin/go is not an executable file")
        );
        let cut_short = goroot_with(&go, 0o755);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(cut_short.path().join("bin/go"))
            .expect("open");
        let len = file.metadata().expect("stat").len();
        file.set_len(len / 2).expect("truncate");
        let problem = toolchain_problem(cut_short.path(), version).expect("a problem");
        assert!(
            problem.starts_with(&format!("its bin/go is cut short ({} bytes", len / 2)),
            "{problem}"
        );
        let script = tempfile::NamedTempFile::new().expect("temp");
        std::fs::write(script.path(), format!("#!/bin/sh\necho {built_with}\n")).expect("write");
        assert_eq!(
            toolchain_problem(goroot_with(script.path(), 0o755).path(), version).as_deref(),
            Some("its bin/go is not a 64-bit little-endian ELF executable")
        );
    }

    fn which_go() -> Option<PathBuf> {
        std::env::var_os("PATH")?
            .to_str()?
            .split(':')
            .map(|dir| Path::new(dir).join("go"))
            .find(|path| path.is_file())
    }

    #[test]
    fn metadata_rejects_unknown_fields() {
        let parsed: Result<GoDistMetadata, _> = toml::from_str(
            "version = \"1.26.6\"\nos = \"linux\"\narch = \"amd64\"\nchecksum = \"sha256:aa\"\nextra = \"x\"\n",
        );
        assert!(parsed.is_err());
    }

    #[test]
    fn mirror_replaces_the_download_base() {
        let url = "https://go.dev/dl/go1.26.6.linux-amd64.tar.gz";
        assert_eq!(download_url(url, None), url);
        assert_eq!(
            download_url(url, Some("http://127.0.0.1:8080/go/")),
            "http://127.0.0.1:8080/go/go1.26.6.linux-amd64.tar.gz"
        );
    }
}
