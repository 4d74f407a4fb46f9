//! The `go-modules` layer: GOPATH, whose `pkg/mod` is the module cache (GOMODCACHE).

use crate::{GoBuildpack, GoBuildpackError};
use bullet_stream::global::print;
use libcnb::build::BuildContext;
use libcnb::data::layer_name;
use libcnb::layer::{
    CachedLayerDefinition, InvalidMetadataAction, LayerState, RestoredLayerAction,
};
use libcnb::Env;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The module cache is content-addressed and verified by go.sum, so it stays valid across Go
/// versions; `layout` only changes if this buildpack changes where it keeps modules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GoModulesMetadata {
    pub(crate) layout: String,
}

const LAYOUT: &str = "gopath-v1";

pub(crate) fn prepare_go_modules(
    context: &BuildContext<GoBuildpack>,
    env: &mut Env,
) -> libcnb::Result<PathBuf, GoBuildpackError> {
    let wanted = GoModulesMetadata {
        layout: String::from(LAYOUT),
    };
    let layer = context.cached_layer(
        layer_name!("go-modules"),
        CachedLayerDefinition {
            build: true,
            launch: false,
            invalid_metadata_action: &|_| InvalidMetadataAction::DeleteLayer,
            restored_layer_action: &|cached: &GoModulesMetadata, _| {
                if cached == &wanted {
                    RestoredLayerAction::KeepLayer
                } else {
                    RestoredLayerAction::DeleteLayer
                }
            },
        },
    )?;
    print::bullet("Go modules");
    match layer.state {
        LayerState::Restored { .. } => print::sub_bullet("Reusing the module cache"),
        LayerState::Empty { .. } => {
            print::sub_bullet("Creating an empty module cache");
            layer.write_metadata(&wanted)?;
        }
    }
    let gopath = layer.path();
    env.insert("GOPATH", &gopath);
    env.insert("GOMODCACHE", gopath.join("pkg").join("mod"));
    Ok(gopath)
}
