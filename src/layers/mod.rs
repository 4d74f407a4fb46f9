pub(crate) mod go_build_cache;
pub(crate) mod go_dist;
pub(crate) mod go_modules;
pub(crate) mod gopath;
pub(crate) mod target;

use crate::{GoBuildpack, GoBuildpackError};
use libcnb::data::generic::GenericMetadata;
use libcnb::data::layer_content_metadata::LayerContentMetadata;
use libcnb::layer::{LayerRef, RestoredLayerAction};
use libcnb::layer_env::{LayerEnv, ModificationBehavior, Scope};
use libcnb::Env;
use std::ffi::OsStr;
use std::path::Path;

/// Keeps a restored layer when nothing speaks against it; the reasons are printed when not.
pub(crate) fn keep_unless(reasons: Vec<String>) -> (RestoredLayerAction, Vec<String>) {
    if reasons.is_empty() {
        (RestoredLayerAction::KeepLayer, reasons)
    } else {
        (RestoredLayerAction::DeleteLayer, reasons)
    }
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
/// names no layer. Returns why it was discarded, for the layer to print.
pub(crate) fn discard_unreadable_metadata(layers_dir: &Path, layer: &str) -> Option<String> {
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
