//! The `go-build-cache` layer: GOCACHE (`gocache/`, compiled packages keyed by the go command)
//! and the go command's user configuration (`config/`).

use super::{tree_archive, CachedLayerMetadata, LayerUse};
use crate::buildpack::{GoBuildpack, GoBuildpackError};
use bullet_stream::global::print;
use libcnb::build::BuildContext;
use libcnb::data::layer_name;
use libcnb::layer::UncachedLayerDefinition;
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

/// GOCACHE, ready for a build; after it, the entries it used are archived into the cached
/// layer (see [`archive_used_entries`]).
pub(crate) struct BuildCache {
    gocache: PathBuf,
    archive: PathBuf,
    /// Entries last used before this instant were not used by the build.
    marked_before: SystemTime,
}

/// The mtime of every entry in the archive. The go command marks an entry it uses by setting
/// its mtime to now when it is older than an hour, so after a build the entries still this old
/// are those it did not use.
const ARCHIVED_ENTRY_MTIME: u64 = 946_684_800; // 2000-01-01T00:00:00Z

/// The cached `go-build-cache` layer keeps GOCACHE as one archive (see
/// [`super::tree_archive`]); the build's GOCACHE is the `gocache` layer, which is not cached,
/// unpacked from it.
pub(crate) fn prepare_go_build_cache(
    context: &BuildContext<GoBuildpack>,
    env: &mut Env,
    wanted: &GoBuildCacheMetadata,
) -> libcnb::Result<BuildCache, GoBuildpackError> {
    let tree_layer = context.uncached_layer(
        layer_name!("gocache"),
        UncachedLayerDefinition {
            build: true,
            launch: false,
        },
    )?;
    let gocache = tree_layer.path().join("gocache");
    let (cached, kept) = super::restore_cached_layer(
        context,
        layer_name!("go-build-cache"),
        LayerUse {
            build: false,
            launch: false,
        },
        wanted,
        // Earlier versions cached GOCACHE unpacked, as `gocache/`: archived in place.
        &|cached| {
            tree_archive::archive_unpacked_tree(cached, "gocache", "", ARCHIVED_ENTRY_MTIME)
                .or_else(|| tree_archive::archive_problem(cached))
        },
    )?;
    let reused = kept
        && match tree_archive::unpack_or_discard(&cached.path(), &gocache) {
            Ok(()) => true,
            Err(why) => {
                print::sub_bullet(format!(
                    "Discarding {}: {why}",
                    GoBuildCacheMetadata::CONTENTS
                ));
                false
            }
        };
    if reused {
        print::sub_bullet(format!(
            "Reusing the build cache (Go {}, {}, {})",
            wanted.go_minor, wanted.arch, wanted.distro
        ));
    } else {
        print::sub_bullet("Creating an empty build cache");
        cached.write_metadata(wanted)?;
    }
    std::fs::create_dir_all(&gocache).map_err(GoBuildpackError::PrepareBuildCache)?;
    super::write_and_apply_env(
        &tree_layer,
        &super::build_overrides([("GOCACHE", gocache.as_os_str())]),
        env,
    )?;
    // Go keeps telemetry counters under the user config directory; a build must not write
    // outside its layers, so the go command's config lives here, with telemetry off. For this
    // buildpack's go commands only: later buildpacks keep their own XDG_CONFIG_HOME.
    let config_home = tree_layer.path().join("config");
    let telemetry = config_home.join("go").join("telemetry");
    std::fs::create_dir_all(&telemetry)
        .and_then(|()| std::fs::write(telemetry.join("mode"), "off"))
        .map_err(GoBuildpackError::PrepareBuildCache)?;
    env.insert("XDG_CONFIG_HOME", config_home);
    Ok(BuildCache {
        gocache,
        archive: tree_archive::archive_path(&cached.path()),
        marked_before: marked_before(SystemTime::now()),
    })
}

/// Entries the go command used have an mtime of at most a minute before the build started.
fn marked_before(now: SystemTime) -> SystemTime {
    now - Duration::from_mins(1)
}

/// After a successful build, archives the entries it used into the cached layer, leaving out
/// those it did not use, and says how much that left out. Only speed depends on it: if it
/// fails, the build goes on with a warning and the next build reuses the archive it had.
pub(crate) fn archive_used_entries(cache: &BuildCache) {
    let unused = |path: &Path, metadata: &std::fs::Metadata| {
        is_entry(path)
            && metadata
                .modified()
                .is_ok_and(|mtime| mtime < cache.marked_before)
    };
    match tree_archive::pack(&cache.gocache, &cache.archive, ARCHIVED_ENTRY_MTIME, &unused) {
        Err(error) => print::warning(format!(
            "Could not keep the build cache of this build ({error}); the next build reuses the one this build started from."
        )),
        Ok(packed) if packed.left_out_files > 0 => print::sub_bullet(format!(
            "Pruned the build cache: {} ({}) this build did not use",
            crate::sizes::count_of(packed.left_out_files, "entry", "entries"),
            crate::sizes::megabytes(packed.left_out_bytes)
        )),
        Ok(_) => {}
    }
}

/// Whether a GOCACHE file is an entry (`<2 hex digits>/<hash>-a|-d`), not one of its own
/// files (README, trim.txt).
fn is_entry(path: &Path) -> bool {
    path.parent()
        .and_then(Path::file_name)
        .is_some_and(|dir| dir.len() == 2)
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
    fn what_the_build_used_or_wrote_is_archived_and_the_rest_left_out() {
        let (dir, gocache) = cache_with(&["ab/used-a", "ab/unused-d", "cd/unused-a"]);
        let archive = dir.path().join(tree_archive::ARCHIVE_FILE);
        tree_archive::pack(&gocache, &archive, ARCHIVED_ENTRY_MTIME, &|_, _| false)
            .expect("packed");
        // The next build unpacks it: every entry is as old as the archive says.
        std::fs::remove_dir_all(&gocache).expect("rm");
        tree_archive::unpack(&archive, &gocache).expect("unpacked");
        let cache = BuildCache {
            gocache: gocache.clone(),
            archive: archive.clone(),
            marked_before: marked_before(SystemTime::now()),
        };
        // The go command marks what it uses by setting the mtime to now, and writes new
        // entries.
        filetime::set_file_mtime(gocache.join("ab/used-a"), filetime::FileTime::now())
            .expect("touch");
        std::fs::create_dir_all(gocache.join("ef")).expect("mkdir");
        std::fs::write(gocache.join("ef/new-a"), "new").expect("write");

        archive_used_entries(&cache);
        let paths = go_cnb_common::tree_archive::entry_paths(&archive).expect("read");
        assert_eq!(
            paths,
            vec![
                "README",
                "ab",
                "ab/used-a",
                "cd",
                "ef",
                "ef/new-a",
                "trim.txt"
            ]
        );
    }

    #[test]
    fn only_files_in_the_two_digit_directories_are_entries() {
        assert!(is_entry(Path::new("/layers/gocache/gocache/ab/0123-a")));
        assert!(!is_entry(Path::new("/layers/gocache/gocache/README")));
        assert!(!is_entry(Path::new("/layers/gocache/gocache/trim.txt")));
    }
}
