//! The `go-modules` layer: GOPATH, whose `pkg/mod` is the module cache (GOMODCACHE). In the
//! image only for a Go workspace with the toolchain (`GO_SETUP_GOPATH_IN_IMAGE` together with
//! `GO_INSTALL_TOOLS_IN_IMAGE`), so that go commands there need no downloads.

use crate::go_packages::{go_command, GoCommandError};
use crate::{GoBuildpack, GoBuildpackError};
use bullet_stream::global::print;
use fun_run::CommandWithName;
use libcnb::build::BuildContext;
use libcnb::data::layer_name;
use libcnb::layer::{CachedLayerDefinition, EmptyLayerCause, InvalidMetadataAction, LayerState};
use libcnb::Env;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The module cache is content-addressed and verified by go.sum, so it stays valid across Go
/// versions; `layout` only changes if this buildpack changes where it keeps modules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GoModulesMetadata {
    pub(crate) layout: String,
}

const LAYOUT: &str = "gopath-v1";

/// Why the cached module cache cannot serve this build; empty when it can.
pub(crate) fn reasons_to_discard(
    cached: &GoModulesMetadata,
    wanted: &GoModulesMetadata,
) -> Vec<String> {
    let GoModulesMetadata { layout } = cached;
    if layout == &wanted.layout {
        Vec::new()
    } else {
        vec![format!(
            "this buildpack keeps modules in layout {} (the cache has {layout})",
            wanted.layout
        )]
    }
}

/// Prepares the module cache and returns its layer (GOPATH); a vendored app has none.
pub(crate) fn prepare_go_modules(
    context: &BuildContext<GoBuildpack>,
    env: &mut Env,
    vendored: bool,
    launch: bool,
) -> libcnb::Result<Option<PathBuf>, GoBuildpackError> {
    if vendored {
        return Ok(None);
    }
    let wanted = GoModulesMetadata {
        layout: String::from(LAYOUT),
    };
    let unreadable = super::discard_unreadable_metadata(&context.layers_dir, "go-modules");
    let layer = context.cached_layer(
        layer_name!("go-modules"),
        CachedLayerDefinition {
            build: true,
            launch,
            invalid_metadata_action: &|_| InvalidMetadataAction::DeleteLayer,
            restored_layer_action: &|cached: &GoModulesMetadata, _| {
                super::keep_unless(reasons_to_discard(cached, &wanted))
            },
        },
    )?;
    print::bullet("Go modules");
    if let Some(reason) = unreadable {
        print::sub_bullet(format!("Discarding the module cache: {reason}"));
    }
    match &layer.state {
        LayerState::Restored { .. } => print::sub_bullet("Reusing the module cache"),
        LayerState::Empty { cause } => {
            match cause {
                EmptyLayerCause::RestoredLayerAction { cause: reasons } => print::sub_bullet(
                    format!("Discarding the module cache: {}", reasons.join("; ")),
                ),
                EmptyLayerCause::InvalidMetadataAction { .. } => print::sub_bullet(
                    "Discarding the module cache: its metadata is not this buildpack's",
                ),
                EmptyLayerCause::NewlyCreated => {}
            }
            print::sub_bullet("Creating an empty module cache");
            layer.write_metadata(&wanted)?;
        }
    }
    let gopath = layer.path();
    let module_cache = gopath.join("pkg").join("mod");
    super::write_and_apply_env(
        &layer,
        &super::build_overrides([
            ("GOPATH", gopath.as_os_str()),
            ("GOMODCACHE", module_cache.as_os_str()),
        ]),
        env,
    )?;
    Ok(Some(gopath))
}

/// Whether a failed go command's output names a file of the module cache, the sign that the
/// cache rather than the app may be at fault.
pub(crate) fn points_at_module_cache(error: &GoCommandError, env: &Env) -> bool {
    let (GoCommandError::Failed(cmd_error), Some(module_cache)) =
        (error, env.get_string_lossy("GOMODCACHE"))
    else {
        return false;
    };
    match cmd_error {
        fun_run::CmdError::NonZeroExitAlreadyStreamed(output)
        | fun_run::CmdError::NonZeroExitNotStreamed(output) => {
            output.stderr_lossy().contains(&module_cache)
                || output.stdout_lossy().contains(&module_cache)
        }
        fun_run::CmdError::SystemError(..) => false,
    }
}

/// Runs `go mod verify`; when it finds modules whose files changed since download, says so and
/// empties the module cache (`go clean -modcache`), returning true. False when the cache is
/// intact (the failure was the app's).
pub(crate) fn discard_if_corrupted(env: &Env, app_dir: &Path) -> Result<bool, GoCommandError> {
    print::sub_bullet("The go command failed on a file of the module cache: checking it");
    let verified =
        print::sub_stream_cmd(go_command(env, app_dir, &["mod", "verify"]).named("go mod verify"));
    if verified.is_ok() {
        return Ok(false);
    }
    print::warning(
        "The module cache is corrupted: files of downloaded modules changed after download.\n\
         Discarding the module cache and building once more; the modules are downloaded again.",
    );
    print::sub_stream_cmd(
        go_command(env, app_dir, &["clean", "-modcache"]).named("go clean -modcache"),
    )
    .map_err(GoCommandError::Failed)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_is_kept_for_the_same_layout_only() {
        let wanted = GoModulesMetadata {
            layout: String::from(LAYOUT),
        };
        assert!(reasons_to_discard(&wanted, &wanted.clone()).is_empty());
        let older = GoModulesMetadata {
            layout: String::from("gopath-v0"),
        };
        assert_eq!(
            reasons_to_discard(&older, &wanted),
            vec!["this buildpack keeps modules in layout gopath-v1 (the cache has gopath-v0)"]
        );
    }

    #[test]
    fn metadata_toml_is_pinned() {
        let wanted = GoModulesMetadata {
            layout: String::from(LAYOUT),
        };
        assert_eq!(
            toml::to_string(&wanted).expect("serialize"),
            "layout = \"gopath-v1\"\n"
        );
    }
}
