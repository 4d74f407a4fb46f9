//! The `target` layer: GOBIN, holding only the compiled binaries. The only launch layer unless
//! the toolchain is kept in the image. It is cached too, so that `go install` finds the
//! binaries of the last build up to date and links only what changed.

use super::{CachedLayerMetadata, CachedLayerRef, LayerUse};
use crate::buildpack::{GoBuildpack, GoBuildpackError};
use crate::sbom;
use bullet_stream::global::print;
use bullet_stream::style;
use libcnb::build::BuildContext;
use libcnb::data::layer_name;
use libcnb::Env;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Binaries linked by another Go or for another architecture would all be relinked: they are
/// discarded rather than carried along.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TargetMetadata {
    pub(crate) go_version: String,
    pub(crate) arch: String,
}

impl TargetMetadata {
    /// What the binaries are valid for: the Go release and the architecture.
    pub(crate) fn for_build(
        artifact: &crate::inventory::GoArtifact,
        arch: impl std::fmt::Display,
    ) -> Self {
        TargetMetadata {
            go_version: artifact.version.to_string(),
            arch: arch.to_string(),
        }
    }
}

impl CachedLayerMetadata for TargetMetadata {
    const CONTENTS: &'static str = "the binaries of the last build";

    fn reasons(&self, wanted: &Self) -> Vec<String> {
        let TargetMetadata { go_version, arch } = self;
        let mut reasons = Vec::new();
        if go_version != &wanted.go_version {
            reasons.push(format!(
                "Go changed from {go_version} to {}",
                wanted.go_version
            ));
        }
        if arch != &wanted.arch {
            reasons.push(format!(
                "the architecture changed from {arch} to {}",
                wanted.arch
            ));
        }
        reasons
    }
}

/// The layer of the binaries, ready for `go install`.
pub(crate) struct PreparedTarget {
    /// Its `bin/` (GOBIN), which the launcher puts on PATH.
    pub(crate) gobin: PathBuf,
    layer: CachedLayerRef,
}

impl PreparedTarget {
    /// Writes the layer's SBOM of `binaries` (the lifecycle puts it into the image with the
    /// layer).
    pub(crate) fn write_binaries_sbom(
        &self,
        module_path: &str,
        binaries: &[String],
    ) -> libcnb::Result<(), GoBuildpackError> {
        let built = sbom::read_binaries(&self.gobin, binaries).map_err(GoBuildpackError::Sbom)?;
        let sbom = sbom::binaries_sbom(module_path, &built).map_err(GoBuildpackError::Sbom)?;
        self.layer.write_sboms(&[sbom])?;
        print::sub_bullet(format!(
            "Wrote a CycloneDX SBOM of the binaries: {}",
            sbom::describe(&built)
        ));
        Ok(())
    }
}

impl PreparedTarget {
    /// Puts the exec.d program that sets GOMEMLIMIT from the container's memory limit at
    /// launch (`src/bin/gomemlimit.rs`) into the layer, or takes it out.
    pub(crate) fn write_memlimit_program(
        &self,
        from_cgroup: bool,
    ) -> libcnb::Result<(), GoBuildpackError> {
        if from_cgroup {
            self.layer.write_exec_d_programs([(
                "gomemlimit",
                libcnb::additional_buildpack_binary_path!("gomemlimit"),
            )])?;
            print::sub_bullet(format!(
                "At launch, GOMEMLIMIT is {}% of the container's memory limit, when it has one (a GOMEMLIMIT you set wins; GO_MEMLIMIT_FROM_CGROUP=false turns it off)",
                go_cnb_common::memlimit::GOMEMLIMIT_PERCENT
            ));
        } else {
            self.layer
                .write_exec_d_programs(std::iter::empty::<(&str, PathBuf)>())?;
            print::sub_bullet("GO_MEMLIMIT_FROM_CGROUP=false: GOMEMLIMIT is not set at launch");
        }
        Ok(())
    }
}

/// Prepares the layer for the binaries, keeping the last build's when they can be reused.
pub(crate) fn prepare_target(
    context: &BuildContext<GoBuildpack>,
    env: &mut Env,
    wanted: &TargetMetadata,
) -> libcnb::Result<PreparedTarget, GoBuildpackError> {
    let (layer, kept) = super::restore_cached_layer(
        context,
        layer_name!("target"),
        LayerUse {
            build: false,
            launch: true,
        },
        wanted,
        &|_| None,
    )?;
    if kept {
        print::sub_bullet(
            "Keeping the binaries of the last build: go install relinks only what changed",
        );
    } else {
        print::sub_bullet("None kept from an earlier build: go install links every binary");
        layer.write_metadata(wanted)?;
    }
    let gobin = layer.path().join("bin");
    std::fs::create_dir_all(&gobin).map_err(GoBuildpackError::CreateGobin)?;
    super::write_and_apply_env(
        &layer,
        &super::build_overrides([("GOBIN", gobin.as_os_str())]),
        env,
    )?;
    Ok(PreparedTarget { gobin, layer })
}

/// Removes binaries that no main package of this build produces (a package removed or renamed
/// since the last build), so that the image never carries a stale one.
pub(crate) fn remove_stale_binaries(
    gobin: &Path,
    built: &[String],
) -> Result<(), GoBuildpackError> {
    let built: BTreeSet<&str> = built.iter().map(String::as_str).collect();
    for entry in std::fs::read_dir(gobin).map_err(GoBuildpackError::RemoveStaleBinaries)? {
        let entry = entry.map_err(GoBuildpackError::RemoveStaleBinaries)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !built.contains(name.as_str()) {
            std::fs::remove_file(entry.path()).map_err(GoBuildpackError::RemoveStaleBinaries)?;
            print::sub_bullet(format!(
                "Removed the binary {} of the last build: no main package builds it now",
                style::value(&name)
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(go_version: &str, arch: &str) -> TargetMetadata {
        TargetMetadata {
            go_version: go_version.to_string(),
            arch: arch.to_string(),
        }
    }

    #[test]
    fn binaries_are_kept_for_the_same_go_and_arch_only() {
        let cached = metadata("1.26.6", "amd64");
        assert!(cached.reasons(&cached.clone()).is_empty());
        assert_eq!(
            cached.reasons(&metadata("1.27.3", "arm64")),
            vec![
                "Go changed from 1.26.6 to 1.27.3",
                "the architecture changed from amd64 to arm64"
            ]
        );
    }

    #[test]
    fn metadata_toml_is_pinned() {
        assert_eq!(
            toml::to_string(&metadata("1.26.6", "amd64")).expect("serialize"),
            "go_version = \"1.26.6\"\narch = \"amd64\"\n"
        );
    }

    #[test]
    fn binaries_no_package_builds_are_removed() {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in ["web", "worker", "old-tool"] {
            std::fs::write(dir.path().join(name), "binary").expect("write");
        }
        remove_stale_binaries(dir.path(), &[String::from("web"), String::from("worker")])
            .expect("removed");
        assert!(dir.path().join("web").is_file());
        assert!(!dir.path().join("old-tool").exists());
    }
}
