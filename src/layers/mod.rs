pub(crate) mod go_build_cache;
pub(crate) mod go_dist;
pub(crate) mod go_modules;
pub(crate) mod gopath;
pub(crate) mod target;
pub(crate) mod tree_archive;

use crate::buildpack::{GoBuildpack, GoBuildpackError};
use bullet_stream::global::print;
use libcnb::build::BuildContext;
use libcnb::data::generic::GenericMetadata;
use libcnb::data::layer::LayerName;
use libcnb::data::layer_content_metadata::LayerContentMetadata;
use libcnb::layer::{
    CachedLayerDefinition, EmptyLayerCause, InvalidMetadataAction, LayerRef, LayerState,
    RestoredLayerAction,
};
use libcnb::layer_env::{LayerEnv, ModificationBehavior, Scope};
use libcnb::Env;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::ffi::OsStr;
use std::path::Path;

/// The one contract of the cached layers: the metadata says what the cached contents were made
/// for, and [`restore_cached_layer`] keeps them only when the build wants the same.
pub(crate) trait CachedLayerMetadata: Serialize + DeserializeOwned + Clone {
    /// How messages name the cached contents: "the build cache".
    const CONTENTS: &'static str;

    /// Why contents cached for `self` cannot serve a build that wants `wanted`, in the words
    /// printed; empty when they can.
    fn reasons(&self, wanted: &Self) -> Vec<String>;

    /// How the message that discards them names these contents.
    fn named(&self) -> String {
        Self::CONTENTS.to_string()
    }
}

/// A cached layer; when emptied, the lifecycle's cause is the message that says why.
pub(crate) type CachedLayerRef = LayerRef<GoBuildpack, (), String>;

/// Whether a layer goes into the build environment of later buildpacks and into the image.
#[derive(Clone, Copy)]
pub(crate) struct LayerUse {
    pub(crate) build: bool,
    pub(crate) launch: bool,
}

/// Restores a cached layer and keeps it when neither its metadata's reasons nor
/// `problem_in_contents` speak against it; otherwise it is emptied and why is printed. Returns
/// the layer and whether its contents were kept; an emptied layer's metadata is the layer's to
/// write (when its contents are whole).
pub(crate) fn restore_cached_layer<M: CachedLayerMetadata>(
    context: &BuildContext<GoBuildpack>,
    name: LayerName,
    layer_use: LayerUse,
    wanted: &M,
    problem_in_contents: &dyn Fn(&Path) -> Option<String>,
) -> libcnb::Result<(CachedLayerRef, bool), GoBuildpackError> {
    let unreadable = discard_unreadable_metadata(&context.layers_dir, name.as_str());
    let layer = context.cached_layer(
        name,
        CachedLayerDefinition {
            build: layer_use.build,
            launch: layer_use.launch,
            invalid_metadata_action: &|_| InvalidMetadataAction::DeleteLayer,
            restored_layer_action: &|cached: &M, contents: &Path| {
                let mut reasons = cached.reasons(wanted);
                if reasons.is_empty() {
                    reasons.extend(problem_in_contents(contents));
                }
                if reasons.is_empty() {
                    (RestoredLayerAction::KeepLayer, String::new())
                } else {
                    let why = format!("{}: {}", cached.named(), reasons.join("; "));
                    (RestoredLayerAction::DeleteLayer, why)
                }
            },
        },
    )?;
    if let Some(reason) = unreadable {
        print::sub_bullet(format!("Discarding {}: {reason}", M::CONTENTS));
    }
    let kept = match &layer.state {
        LayerState::Restored { .. } => true,
        LayerState::Empty { cause } => {
            match cause {
                EmptyLayerCause::RestoredLayerAction { cause: why } => {
                    print::sub_bullet(format!("Discarding {why}"));
                }
                EmptyLayerCause::InvalidMetadataAction { .. } => print::sub_bullet(format!(
                    "Discarding {}: its metadata is missing (an interrupted build) or not this buildpack's",
                    M::CONTENTS
                )),
                EmptyLayerCause::NewlyCreated => {}
            }
            false
        }
    };
    Ok((layer, kept))
}

/// A build that keeps the last build's binaries unpacks none of the cached trees, but declares
/// each restored one again all the same: the lifecycle restores a layer's metadata without its
/// types, and caches it again only when the buildpack says so. One whose metadata no longer
/// fits, or cannot be read, is discarded, saying why.
pub(crate) fn keep_unopened<M: CachedLayerMetadata>(
    context: &BuildContext<GoBuildpack>,
    name: LayerName,
    wanted: &M,
) -> libcnb::Result<(), GoBuildpackError> {
    if !context.layers_dir.join(format!("{name}.toml")).is_file() {
        return Ok(());
    }
    restore_cached_layer(
        context,
        name,
        LayerUse {
            build: false,
            launch: false,
        },
        wanted,
        &tree_archive::archive_problem,
    )
    .map(|_| ())
}

/// Build-time variables that override whatever was set, as `(name, value)`.
pub(crate) fn build_overrides<'a>(
    variables: impl IntoIterator<Item = (&'a str, &'a OsStr)>,
) -> LayerEnv {
    variables
        .into_iter()
        .fold(LayerEnv::new(), |layer_env, (name, value)| {
            layer_env.chainable_insert(Scope::Build, ModificationBehavior::Override, name, value)
        })
}

/// Writes a layer's env and applies it to the build's `env` by reading it back, as the
/// lifecycle applies it for later buildpacks (with `bin/` on PATH): what the go commands see is
/// what the layer holds.
pub(crate) fn write_and_apply_env<MAC, RAC>(
    layer: &LayerRef<GoBuildpack, MAC, RAC>,
    layer_env: &LayerEnv,
    env: &mut Env,
) -> libcnb::Result<(), GoBuildpackError> {
    layer.write_env(layer_env)?;
    *env = layer.read_env()?.apply(Scope::Build, env);
    Ok(())
}

/// Removes a restored layer whose metadata file cannot be read at all (not TOML, or its
/// `metadata` not a table), which would otherwise stop the build with an internal error that
/// names no layer. Returns why it was discarded, to be printed.
fn discard_unreadable_metadata(layers_dir: &Path, layer: &str) -> Option<String> {
    let toml_path = layers_dir.join(format!("{layer}.toml"));
    let contents = std::fs::read(&toml_path).ok()?;
    let problem = match std::str::from_utf8(&contents) {
        Err(error) => format!("it is not UTF-8 text ({error})"),
        Ok(text) => match toml::from_str::<LayerContentMetadata<GenericMetadata>>(text) {
            Ok(_) => return None,
            Err(error) => error.message().to_string(),
        },
    };
    let _ = std::fs::remove_file(&toml_path);
    let _ = std::fs::remove_dir_all(layers_dir.join(layer));
    Some(format!(
        "its metadata ({layer}.toml) cannot be read: {}",
        crate::truncate::for_display(&problem)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreadable_metadata_is_discarded_with_the_layer_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("go-dist")).expect("mkdir");
        std::fs::write(dir.path().join("go-dist.toml"), "metadata = \"a string\"\n")
            .expect("write");
        let reason = discard_unreadable_metadata(dir.path(), "go-dist").expect("discarded");
        assert!(
            reason.starts_with("its metadata (go-dist.toml) cannot be read: "),
            "{reason}"
        );
        assert!(!dir.path().join("go-dist").exists());
        assert!(!dir.path().join("go-dist.toml").exists());

        std::fs::write(dir.path().join("go-modules.toml"), "[metadata\n").expect("write");
        assert!(discard_unreadable_metadata(dir.path(), "go-modules").is_some());
    }

    #[test]
    fn readable_or_missing_metadata_is_left_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("go-dist")).expect("mkdir");
        std::fs::write(
            dir.path().join("go-dist.toml"),
            "[types]\nbuild = true\n\n[metadata]\nversion = \"1.26.6\"\n",
        )
        .expect("write");
        assert_eq!(discard_unreadable_metadata(dir.path(), "go-dist"), None);
        assert!(dir.path().join("go-dist").exists());
        assert_eq!(discard_unreadable_metadata(dir.path(), "target"), None);
    }
}
