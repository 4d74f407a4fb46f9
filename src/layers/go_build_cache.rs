//! The `go-build-cache` layer: GOCACHE (`gocache/`, compiled packages keyed by the go command)
//! and the go command's user configuration (`config/`).

use crate::{GoBuildpack, GoBuildpackError};
use bullet_stream::global::print;
use libcnb::build::BuildContext;
use libcnb::data::layer_name;
use libcnb::layer::{
    CachedLayerDefinition, EmptyLayerCause, InvalidMetadataAction, LayerState, RestoredLayerAction,
};
use libcnb::Env;
use serde::{Deserialize, Serialize};

/// Go's cache keys already include the toolchain, so a stale cache is never wrong, only
/// wasted space: discard it when nothing in it can be used again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GoBuildCacheMetadata {
    pub(crate) go_minor: String,
    pub(crate) arch: String,
    pub(crate) distro: String,
}

pub(crate) fn reasons_to_discard(
    cached: &GoBuildCacheMetadata,
    wanted: &GoBuildCacheMetadata,
) -> Vec<String> {
    let mut reasons = Vec::new();
    if cached.go_minor != wanted.go_minor {
        reasons.push(format!(
            "Go changed from {} to {}",
            cached.go_minor, wanted.go_minor
        ));
    }
    if cached.arch != wanted.arch {
        reasons.push(format!(
            "the architecture changed from {} to {}",
            cached.arch, wanted.arch
        ));
    }
    if cached.distro != wanted.distro {
        reasons.push(format!(
            "the distribution changed from {} to {}",
            cached.distro, wanted.distro
        ));
    }
    reasons
}

pub(crate) fn prepare_go_build_cache(
    context: &BuildContext<GoBuildpack>,
    env: &mut Env,
    wanted: &GoBuildCacheMetadata,
) -> libcnb::Result<(), GoBuildpackError> {
    let unreadable = super::discard_unreadable_metadata(&context.layers_dir, "go-build-cache");
    let layer = context.cached_layer(
        layer_name!("go-build-cache"),
        CachedLayerDefinition {
            build: true,
            launch: false,
            invalid_metadata_action: &|_| InvalidMetadataAction::DeleteLayer,
            restored_layer_action: &|cached: &GoBuildCacheMetadata, _| {
                let reasons = reasons_to_discard(cached, wanted);
                if reasons.is_empty() {
                    (RestoredLayerAction::KeepLayer, reasons)
                } else {
                    (RestoredLayerAction::DeleteLayer, reasons)
                }
            },
        },
    )?;
    print::bullet("Go build cache");
    if let Some(reason) = unreadable {
        print::sub_bullet(format!("Discarding the build cache: {reason}"));
    }
    match &layer.state {
        LayerState::Restored { .. } => print::sub_bullet(format!(
            "Reusing the build cache (Go {}, {}, {})",
            wanted.go_minor, wanted.arch, wanted.distro
        )),
        LayerState::Empty { cause } => {
            match cause {
                EmptyLayerCause::RestoredLayerAction { cause: reasons } => print::sub_bullet(
                    format!("Discarding the build cache: {}", reasons.join("; ")),
                ),
                EmptyLayerCause::InvalidMetadataAction { .. } => {
                    print::sub_bullet("Discarding the build cache: its metadata is unreadable");
                }
                EmptyLayerCause::NewlyCreated => print::sub_bullet("Creating an empty build cache"),
            }
            layer.write_metadata(wanted)?;
        }
    }
    env.insert("GOCACHE", layer.path().join("gocache"));
    // Go keeps telemetry counters under the user config directory; a build must not write
    // outside its layers, so the go command's config lives here, with telemetry off.
    let config_home = layer.path().join("config");
    let telemetry = config_home.join("go").join("telemetry");
    std::fs::create_dir_all(&telemetry)
        .and_then(|()| std::fs::write(telemetry.join("mode"), "off"))
        .map_err(GoBuildpackError::PrepareBuildCache)?;
    env.insert("XDG_CONFIG_HOME", config_home);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(go_minor: &str, arch: &str, distro: &str) -> GoBuildCacheMetadata {
        GoBuildCacheMetadata {
            go_minor: go_minor.to_string(),
            arch: arch.to_string(),
            distro: distro.to_string(),
        }
    }

    #[test]
    fn patch_upgrades_keep_the_cache() {
        let m = metadata("1.26", "amd64", "ubuntu-24.04");
        assert!(reasons_to_discard(&m, &m.clone()).is_empty());
    }

    #[test]
    fn explains_each_reason() {
        assert_eq!(
            reasons_to_discard(
                &metadata("1.25", "amd64", "ubuntu-22.04"),
                &metadata("1.26", "arm64", "ubuntu-24.04")
            ),
            vec![
                "Go changed from 1.25 to 1.26",
                "the architecture changed from amd64 to arm64",
                "the distribution changed from ubuntu-22.04 to ubuntu-24.04"
            ]
        );
    }
}
