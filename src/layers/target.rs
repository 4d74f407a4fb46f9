//! The `target` layer: GOBIN, holding only the compiled binaries. The only launch layer unless
//! the toolchain is kept in the image. It is cached too, so that `go install` finds the
//! binaries of the last build up to date and links only what changed.

use super::{CachedLayerMetadata, CachedLayerRef, LayerUse};
use crate::buildpack::{GoBuildpack, GoBuildpackError};
use crate::sbom;
use bullet_stream::global::print;
use bullet_stream::style;
use libcnb::build::BuildContext;
use libcnb::data::layer_content_metadata::LayerContentMetadata;
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
    /// The digest of what the binaries were built from (see [`crate::build_inputs`]); empty
    /// for binaries cached before it was recorded.
    #[serde(default)]
    pub(crate) inputs: String,
    /// The binaries of the main packages (the processes), and of go.mod's tools.
    #[serde(default)]
    pub(crate) programs: Vec<String>,
    #[serde(default)]
    pub(crate) tools: Vec<String>,
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
            inputs: String::new(),
            programs: Vec::new(),
            tools: Vec::new(),
        }
    }
}

impl CachedLayerMetadata for TargetMetadata {
    const CONTENTS: &'static str = "the binaries of the last build";

    fn reasons(&self, wanted: &Self) -> Vec<String> {
        // What they were built from is not a reason: go install relinks what changed.
        let TargetMetadata {
            go_version,
            arch,
            inputs: _,
            programs: _,
            tools: _,
        } = self;
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
    /// Records what the binaries were built from, for the next build to compare.
    pub(crate) fn record_build(
        &self,
        record: &TargetMetadata,
    ) -> libcnb::Result<(), GoBuildpackError> {
        self.layer.write_metadata(record)
    }

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

/// The last build's record, when its binaries were built from `inputs` for what `wanted` asks
/// and are all in the restored layer: then this build would make them again.
pub(crate) fn unchanged_last_build(
    layers_dir: &Path,
    wanted: &TargetMetadata,
    inputs: &str,
) -> Option<TargetMetadata> {
    let text = std::fs::read_to_string(layers_dir.join("target.toml")).ok()?;
    let last = toml::from_str::<LayerContentMetadata<TargetMetadata>>(&text)
        .ok()?
        .metadata;
    let gobin = layers_dir.join("target").join("bin");
    (last.reasons(wanted).is_empty()
        && !last.inputs.is_empty()
        && last.inputs == inputs
        && last
            .programs
            .iter()
            .chain(&last.tools)
            .all(|binary| gobin.join(binary).is_file()))
    .then_some(last)
}

/// Prepares the layer for the binaries, keeping the last build's when they can be reused
/// (`unchanged`: they are this build's binaries, see [`unchanged_last_build`]).
pub(crate) fn prepare_target(
    context: &BuildContext<GoBuildpack>,
    env: &mut Env,
    wanted: &TargetMetadata,
    unchanged: bool,
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
    if unchanged && kept {
    } else if kept {
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
            inputs: String::new(),
            programs: Vec::new(),
            tools: Vec::new(),
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
            toml::to_string(&TargetMetadata {
                inputs: String::from("ab12"),
                programs: vec![String::from("web")],
                tools: vec![String::from("stringer")],
                ..metadata("1.26.6", "amd64")
            })
            .expect("serialize"),
            "go_version = \"1.26.6\"\narch = \"amd64\"\ninputs = \"ab12\"\nprograms = [\"web\"]\ntools = [\"stringer\"]\n"
        );
        // Written before the inputs were recorded: never taken as unchanged.
        let older: TargetMetadata =
            toml::from_str("go_version = \"1.26.6\"\narch = \"amd64\"\n").expect("migrates");
        assert_eq!(older, metadata("1.26.6", "amd64"));
    }

    #[test]
    fn the_last_build_counts_as_unchanged_only_with_the_same_inputs_and_all_its_binaries() {
        let layers = tempfile::tempdir().expect("tempdir");
        let gobin = layers.path().join("target").join("bin");
        std::fs::create_dir_all(&gobin).expect("mkdir");
        std::fs::write(gobin.join("web"), "binary").expect("write");
        let wanted = metadata("1.26.6", "amd64");
        let record = |programs: &[&str], inputs: &str| {
            let last = TargetMetadata {
                inputs: inputs.to_string(),
                programs: programs.iter().map(ToString::to_string).collect(),
                ..wanted.clone()
            };
            let text = format!(
                "[types]\nlaunch = true\ncache = true\n\n[metadata]\n{}",
                toml::to_string(&last).expect("serialize")
            );
            std::fs::write(layers.path().join("target.toml"), text).expect("write");
        };
        assert_eq!(unchanged_last_build(layers.path(), &wanted, "d1"), None);
        record(&["web"], "d1");
        let last = unchanged_last_build(layers.path(), &wanted, "d1").expect("unchanged");
        assert_eq!(last.programs, vec!["web"]);
        assert_eq!(unchanged_last_build(layers.path(), &wanted, "d2"), None);
        assert_eq!(
            unchanged_last_build(layers.path(), &metadata("1.26.7", "amd64"), "d1"),
            None
        );
        record(&["web", "worker"], "d1");
        assert_eq!(unchanged_last_build(layers.path(), &wanted, "d1"), None);
        record(&["web"], "");
        assert_eq!(unchanged_last_build(layers.path(), &wanted, ""), None);
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
