//! The `go-build-cache` layer: GOCACHE (`gocache/`, compiled packages keyed by the go command)
//! and the go command's user configuration (`config/`).

use crate::{GoBuildpack, GoBuildpackError};
use bullet_stream::global::print;
use libcnb::build::BuildContext;
use libcnb::data::layer_name;
use libcnb::layer::{CachedLayerDefinition, EmptyLayerCause, InvalidMetadataAction, LayerState};
use libcnb::Env;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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
    let GoBuildCacheMetadata {
        go_minor,
        arch,
        distro,
    } = cached;
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

/// GOCACHE, ready for a build whose unused entries are pruned after it (see
/// [`prune_unused_entries`]).
pub(crate) struct BuildCache {
    gocache: PathBuf,
    aged_before: SystemTime,
}

pub(crate) fn prepare_go_build_cache(
    context: &BuildContext<GoBuildpack>,
    env: &mut Env,
    wanted: &GoBuildCacheMetadata,
) -> libcnb::Result<BuildCache, GoBuildpackError> {
    let unreadable = super::discard_unreadable_metadata(&context.layers_dir, "go-build-cache");
    let layer = context.cached_layer(
        layer_name!("go-build-cache"),
        CachedLayerDefinition {
            build: true,
            launch: false,
            invalid_metadata_action: &|_| InvalidMetadataAction::DeleteLayer,
            restored_layer_action: &|cached: &GoBuildCacheMetadata, _| {
                super::keep_unless(reasons_to_discard(cached, wanted))
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
    let gocache = layer.path().join("gocache");
    let aged_before = age_entries(&gocache).map_err(GoBuildpackError::PrepareBuildCache)?;
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
        aged_before,
    })
}

/// How old entries are made before a build: older than the go command's one-hour interval, so
/// that each entry the build uses gets its mtime set to now.
const AGE: Duration = Duration::from_hours(2);

/// The go command marks the cache entries it uses by their mtime and trims those unused for
/// five days, but the lifecycle restores every cached file with the restore time as its mtime,
/// so Go's own trimming never fires and the cache would grow with every build. Instead, every
/// entry is aged before the build, Go's trim is held off for this build (`trim.txt`), and after
/// a successful build the entries it did not use are removed: the cache keeps exactly what the
/// last build needed, which is what the next build reuses. Returns the instant that separates
/// used from unused entries.
fn age_entries(gocache: &Path) -> std::io::Result<SystemTime> {
    let now = SystemTime::now();
    let aged = filetime::FileTime::from_system_time(now - AGE);
    for path in entry_files(gocache)? {
        filetime::set_file_mtime(&path, aged)?;
    }
    std::fs::create_dir_all(gocache)?;
    let unix_now = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    std::fs::write(gocache.join("trim.txt"), format!("{unix_now}\n"))?;
    Ok(now - AGE / 2)
}

/// The entry files of a GOCACHE (`<2 hex digits>/<hash>-a|-d`).
fn entry_files(gocache: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let Ok(dirs) = std::fs::read_dir(gocache) else {
        return Ok(files);
    };
    for dir in dirs {
        let dir = dir?;
        if dir.file_name().len() != 2 || !dir.file_type()?.is_dir() {
            continue;
        }
        for entry in std::fs::read_dir(dir.path())? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                files.push(entry.path());
            }
        }
    }
    Ok(files)
}

/// Removes the entries the build did not use (see [`age_entries`]) and says how much that freed.
/// Pruning only saves space: if it fails, the build goes on with a warning and the next build
/// prunes again.
pub(crate) fn prune_unused_entries(cache: &BuildCache) {
    let mut removed_files = 0;
    let mut removed_bytes = 0;
    let mut prune = || -> std::io::Result<()> {
        for path in entry_files(&cache.gocache)? {
            let metadata = path.metadata()?;
            if metadata
                .modified()
                .is_ok_and(|mtime| mtime < cache.aged_before)
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
            "Pruned the build cache: {removed_files} entries ({:.1} MB) this build did not use",
            f64::from(u32::try_from(removed_bytes / 100_000).unwrap_or(u32::MAX)) / 10.0
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
    fn entries_the_build_did_not_use_are_pruned() {
        let dir = tempfile::tempdir().expect("tempdir");
        let gocache = dir.path().join("gocache");
        std::fs::create_dir_all(gocache.join("ab")).expect("mkdir");
        for name in ["ab/used-a", "ab/unused-d"] {
            std::fs::write(gocache.join(name), "entry").expect("write");
        }
        std::fs::write(gocache.join("README"), "kept").expect("write");
        let aged_before = age_entries(&gocache).expect("aged");
        // The go command marks what it uses by setting the mtime to now.
        filetime::set_file_mtime(gocache.join("ab/used-a"), filetime::FileTime::now())
            .expect("touch");
        prune_unused_entries(&BuildCache {
            gocache: gocache.clone(),
            aged_before,
        });
        assert!(gocache.join("ab/used-a").is_file());
        assert!(!gocache.join("ab/unused-d").exists());
        assert!(gocache.join("README").is_file());
        // Go's own trim is held off for this build.
        let trim = std::fs::read_to_string(gocache.join("trim.txt")).expect("trim.txt");
        let last_trim: u64 = trim.trim().parse().expect("unix time");
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("time")
            .as_secs();
        assert!(now - last_trim < 60);
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
