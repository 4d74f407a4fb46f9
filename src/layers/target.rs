//! The `target` layer: GOBIN, holding only the compiled binaries. The only launch layer unless
//! the toolchain is kept in the image.

use crate::{GoBuildpack, GoBuildpackError};
use libcnb::build::BuildContext;
use libcnb::data::layer_name;
use libcnb::layer::UncachedLayerDefinition;
use libcnb::Env;
use std::path::PathBuf;

/// Creates an empty layer for the binaries and returns its `bin/` (GOBIN), which the launcher
/// puts on PATH.
pub(crate) fn prepare_target(
    context: &BuildContext<GoBuildpack>,
    env: &mut Env,
) -> libcnb::Result<PathBuf, GoBuildpackError> {
    let layer = context.uncached_layer(
        layer_name!("target"),
        UncachedLayerDefinition {
            build: false,
            launch: true,
        },
    )?;
    let gobin = layer.path().join("bin");
    std::fs::create_dir_all(&gobin).map_err(GoBuildpackError::CreateGobin)?;
    env.insert("GOBIN", &gobin);
    Ok(gobin)
}
