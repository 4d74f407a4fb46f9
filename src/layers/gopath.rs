//! The `gopath` layer (`GO_SETUP_GOPATH_IN_IMAGE`): a Go workspace in the image. GOPATH is the
//! layer, the app's source is reachable at `$GOPATH/src/<module path>` and the processes start
//! there. With the toolchain and the module cache in the image too, go commands in the
//! container build and test the app without the network.

use crate::buildpack::{GoBuildpack, GoBuildpackError};
use bullet_stream::global::print;
use libcnb::build::BuildContext;
use libcnb::data::layer_name;
use libcnb::layer::UncachedLayerDefinition;
use libcnb::layer_env::{LayerEnv, ModificationBehavior, Scope};
use std::path::{Path, PathBuf};

/// Where the app goes under `$GOPATH/src`: the module path, checked before anything is built.
/// Refused when an element of it is empty, `.` or `..` (or holds a backslash).
pub(crate) fn source_path(module_path: &str) -> Result<PathBuf, GoBuildpackError> {
    module_path
        .split('/')
        .all(|element| !matches!(element, "" | "." | "..") && !element.contains('\\'))
        .then(|| Path::new("src").join(module_path))
        .ok_or_else(|| GoBuildpackError::UnsafeModulePath(module_path.to_string()))
}

/// Creates the workspace; returns the app's directory in it, where processes start.
/// `module_cache` is the module cache layer when it is in the image as well.
pub(crate) fn prepare_gopath(
    context: &BuildContext<GoBuildpack>,
    source_path: &Path,
    module_cache: Option<&Path>,
    tools_in_image: bool,
) -> libcnb::Result<PathBuf, GoBuildpackError> {
    let layer = context.uncached_layer(
        layer_name!("gopath"),
        UncachedLayerDefinition {
            build: false,
            launch: true,
        },
    )?;
    let gopath = layer.path();
    let app_in_gopath = gopath.join(source_path);
    if let Some(parent) = app_in_gopath.parent() {
        std::fs::create_dir_all(parent).map_err(GoBuildpackError::GoPathLink)?;
    }
    std::os::unix::fs::symlink(&context.app_dir, &app_in_gopath)
        .map_err(GoBuildpackError::GoPathLink)?;

    let mut env = LayerEnv::new().chainable_insert(
        Scope::Launch,
        ModificationBehavior::Override,
        "GOPATH",
        &gopath,
    );
    if let Some(module_cache) = module_cache {
        env = env.chainable_insert(
            Scope::Launch,
            ModificationBehavior::Override,
            "GOMODCACHE",
            module_cache.join("pkg").join("mod"),
        );
    }
    layer.write_env(env)?;

    print::sub_bullet(format!(
        "GOPATH={}, with the app at $GOPATH/{}; processes start there",
        gopath.display(),
        source_path.display()
    ));
    if module_cache.is_some() {
        print::sub_bullet(
            "The module cache is in the image as well: go commands in the container build the app without downloads",
        );
    }
    if !tools_in_image {
        print::warning(
            "GO_SETUP_GOPATH_IN_IMAGE is set, but the Go toolchain is not in the image.\n\
             The workspace is set up, but the container has no `go` command to use it. \
             Set GO_INSTALL_TOOLS_IN_IMAGE=true as well to build and test the app in the container.",
        );
    }
    Ok(app_in_gopath)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_module_path_places_the_source_under_src() {
        assert_eq!(
            source_path("github.com/acme/shop").expect("safe"),
            Path::new("src/github.com/acme/shop")
        );
        assert_eq!(source_path("myapp").expect("safe"), Path::new("src/myapp"));
    }

    #[test]
    fn module_paths_that_climb_out_of_src_are_refused() {
        for path in [
            "../../etc",
            "a/../../b",
            "a//b",
            "/abs",
            "a/./b",
            "a\\..\\b",
            "",
        ] {
            assert!(
                matches!(
                    source_path(path),
                    Err(GoBuildpackError::UnsafeModulePath(_))
                ),
                "{path}"
            );
        }
    }
}
