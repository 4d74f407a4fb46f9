//! The `go-build-cache` layer: GOCACHE (`gocache/`, compiled packages keyed by the go command)
//! and the go command's user configuration (`config/`).

use super::{CachedLayerMetadata, LayerUse};
use crate::buildpack::{GoBuildpack, GoBuildpackError};
use bullet_stream::global::print;
use libcnb::build::BuildContext;
use libcnb::data::layer_name;
use libcnb::Env;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Go's cache keys already include the toolchain, so a stale cache is never wrong, only
/// wasted space: discard it when nothing in it can be used again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GoBuildCacheMetadata {
    pub(crate) go_minor: String,
    pub(crate) arch: String,
    pub(crate) distro: String,
}

impl GoBuildCacheMetadata {
    /// What the cache is valid for: the Go minor line, the architecture, the distribution.
    pub(crate) fn for_build(
        artifact: &crate::inventory::GoArtifact,
        arch: impl std::fmt::Display,
        target: &libcnb::Target,
    ) -> Self {
        GoBuildCacheMetadata {
            go_minor: artifact.version.minor_line(),
            arch: arch.to_string(),
            distro: format!("{}-{}", target.distro_name, target.distro_version),
        }
    }
}

impl CachedLayerMetadata for GoBuildCacheMetadata {
    const CONTENTS: &'static str = "the build cache";

    fn reasons(&self, wanted: &Self) -> Vec<String> {
        let GoBuildCacheMetadata {
            go_minor,
            arch,
            distro,
        } = self;
        let mut reasons = Vec::new();
        if go_minor != &wanted.go_minor {
            reasons.push(format!("Go changed from {go_minor} to {}", wanted.go_minor));
        }
        if arch != &wanted.arch {
            reasons.push(format!(
                "the architecture changed from {arch} to {}",
                wanted.arch
            ));
        }
        if distro != &wanted.distro {
            reasons.push(format!(
                "the distribution changed from {distro} to {}",
                wanted.distro
            ));
        }
        reasons
    }
}

/// GOCACHE, ready for a build; the entries it does not use are removed after it (see
/// [`prune_unused_entries`]).
pub(crate) struct BuildCache {
    gocache: PathBuf,
    /// Entries last used before this instant were not used by the build.
    marked_before: SystemTime,
}

pub(crate) fn prepare_go_build_cache(
    context: &BuildContext<GoBuildpack>,
    env: &mut Env,
    wanted: &GoBuildCacheMetadata,
) -> libcnb::Result<BuildCache, GoBuildpackError> {
    let (layer, kept) = super::restore_cached_layer(
        context,
        layer_name!("go-build-cache"),
        LayerUse {
            build: true,
            launch: false,
        },
        wanted,
        &|_| None,
    )?;
    if kept {
        print::sub_bullet(format!(
            "Reusing the build cache (Go {}, {}, {})",
            wanted.go_minor, wanted.arch, wanted.distro
        ));
    } else {
        print::sub_bullet("Creating an empty build cache");
        layer.write_metadata(wanted)?;
    }
    let gocache = layer.path().join("gocache");
    let marked_before = age_entries(&gocache).map_err(GoBuildpackError::PrepareBuildCache)?;
    super::write_and_apply_env(
        &layer,
        &super::build_overrides([("GOCACHE", gocache.as_os_str())]),
        env,
    )?;
    // Go keeps telemetry counters under the user config directory; a build must not write
    // outside its layers, so the go command's config lives here, with telemetry off. For this
    // buildpack's go commands only: later buildpacks keep their own XDG_CONFIG_HOME.
    let config_home = layer.path().join("config");
    let telemetry = config_home.join("go").join("telemetry");
    std::fs::create_dir_all(&telemetry)
        .and_then(|()| std::fs::write(telemetry.join("mode"), "off"))
        .map_err(GoBuildpackError::PrepareBuildCache)?;
    env.insert("XDG_CONFIG_HOME", config_home);
    Ok(BuildCache {
        gocache,
        marked_before,
    })
}

/// How old entries are made before a build: older than the go command's one-hour interval, so
/// that each entry the build uses gets its mtime set to now.
const AGE: Duration = Duration::from_hours(2);

/// Files an older buildpack kept beside GOCACHE to decide when to prune.
const RETIRED_FILES: [&str; 2] = ["pruned-size", "prune-due"];

/// The go command marks the cache entries it uses by their mtime and trims those unused for
/// five days, but the lifecycle restores every cached file with the restore time as its mtime,
/// so Go's own trimming never fires and the cache would grow with every build. So every entry
/// is aged before the build, and those the build did not use are removed after it: the cache
/// holds what the last build needed. (The lifecycle archives and hashes every cached layer
/// after every build, changed or not; its archives carry fixed file times, so aging alone leaves
/// the layer's digest, and so the stored cache layer, as it was.) Returns the instant before
/// which an entry counts as unused.
fn age_entries(gocache: &Path) -> std::io::Result<SystemTime> {
    std::fs::create_dir_all(gocache)?;
    for retired in RETIRED_FILES {
        // Harmless if left: only their bytes would stay in the cache.
        let _ = std::fs::remove_file(gocache.with_file_name(retired));
    }
    let now = SystemTime::now();
    let aged = filetime::FileTime::from_system_time(now - AGE);
    for (path, _) in &entry_files(gocache)? {
        filetime::set_file_mtime(path, aged)?;
    }
    Ok(now - AGE / 2)
}

/// The entry files of a GOCACHE (`<2 hex digits>/<hash>-a|-d`) with their metadata.
fn entry_files(gocache: &Path) -> std::io::Result<Vec<(PathBuf, std::fs::Metadata)>> {
    let mut files = Vec::new();
    for dir in std::fs::read_dir(gocache)? {
        let dir = dir?;
        if dir.file_name().len() != 2 || !dir.file_type()?.is_dir() {
            continue;
        }
        for entry in std::fs::read_dir(dir.path())? {
            let entry = entry?;
            let metadata = entry.metadata()?;
            if metadata.is_file() {
                files.push((entry.path(), metadata));
            }
        }
    }
    Ok(files)
}

/// After a successful build, removes the entries it did not use and says how much that freed.
/// Pruning only saves space: if it fails, the build goes on with a warning.
pub(crate) fn prune_unused_entries(cache: &BuildCache) {
    let mut removed_files = 0;
    let mut removed_bytes = 0;
    let mut prune = || -> std::io::Result<()> {
        for (path, metadata) in entry_files(&cache.gocache)? {
            if metadata
                .modified()
                .is_ok_and(|mtime| mtime < cache.marked_before)
            {
                std::fs::remove_file(&path)?;
                removed_files += 1;
                removed_bytes += metadata.len();
            }
        }
        Ok(())
    };
    if let Err(error) = prune() {
        print::warning(format!(
            "Could not prune the build cache ({error}); it keeps entries this build did not use until a later build prunes them."
        ));
    }
    if removed_files > 0 {
        print::sub_bullet(format!(
            "Pruned the build cache: {} ({}) this build did not use",
            super::count_of(removed_files, "entry", "entries"),
            super::megabytes(removed_bytes)
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_toml_is_pinned() {
        let metadata = GoBuildCacheMetadata {
            go_minor: String::from("1.26"),
            arch: String::from("amd64"),
            distro: String::from("ubuntu-24.04"),
        };
        assert_eq!(
            toml::to_string(&metadata).expect("serialize"),
            "go_minor = \"1.26\"\narch = \"amd64\"\ndistro = \"ubuntu-24.04\"\n"
        );
    }

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
        assert!(m.reasons(&m.clone()).is_empty());
    }

    #[test]
    fn explains_each_reason() {
        assert_eq!(
            metadata("1.25", "amd64", "ubuntu-22.04").reasons(&metadata(
                "1.26",
                "arm64",
                "ubuntu-24.04"
            )),
            vec![
                "Go changed from 1.25 to 1.26",
                "the architecture changed from amd64 to arm64",
                "the distribution changed from ubuntu-22.04 to ubuntu-24.04"
            ]
        );
    }

    fn cache_with(entries: &[&str]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let gocache = dir.path().join("gocache");
        for name in entries {
            let path = gocache.join(name);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, [b'x'; 100]).expect("write");
        }
        std::fs::write(gocache.join("README"), "kept").expect("write");
        std::fs::write(gocache.join("trim.txt"), "1\n").expect("write");
        (dir, gocache)
    }

    #[test]
    fn what_the_build_did_not_use_is_removed_and_what_it_used_or_wrote_is_kept() {
        let (_dir, gocache) = cache_with(&["ab/used-a", "ab/unused-d", "cd/unused-a"]);
        std::fs::write(gocache.with_file_name("prune-due"), "old\n").expect("write");
        let cache = BuildCache {
            gocache: gocache.clone(),
            marked_before: age_entries(&gocache).expect("age"),
        };
        // The go command marks what it uses by setting the mtime to now, and writes new
        // entries.
        filetime::set_file_mtime(gocache.join("ab/used-a"), filetime::FileTime::now())
            .expect("touch");
        std::fs::create_dir_all(gocache.join("ef")).expect("mkdir");
        std::fs::write(gocache.join("ef/new-a"), "new").expect("write");

        prune_unused_entries(&cache);
        assert!(gocache.join("ab/used-a").is_file());
        assert!(gocache.join("ef/new-a").is_file());
        assert!(!gocache.join("ab/unused-d").exists());
        assert!(!gocache.join("cd/unused-a").exists());
        // Not entries: left as they are.
        assert!(gocache.join("README").is_file());
        assert!(gocache.join("trim.txt").is_file());
        assert!(!gocache.with_file_name("prune-due").exists());
    }

    #[test]
    fn a_new_cache_is_created_and_an_unusable_one_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let gocache = dir.path().join("layer").join("gocache");
        age_entries(&gocache).expect("created");
        assert!(gocache.is_dir());
        std::fs::write(dir.path().join("file"), "x").expect("write");
        assert!(age_entries(&dir.path().join("file").join("gocache")).is_err());
    }
}
