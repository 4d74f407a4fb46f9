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

/// GOCACHE, ready for a build. Either this build prunes it (see [`prune_unused_entries`]), or
/// its size as restored is measured after the build to tell whether the next build should.
pub(crate) struct BuildCache {
    gocache: PathBuf,
    pruning: Pruning,
}

enum Pruning {
    /// Entries last used before the instant were not used by this build; and why it prunes.
    ThisBuild {
        marked_before: SystemTime,
        reason: &'static str,
    },
    /// Entries with an mtime before the instant were restored; their size is measured after
    /// the build (the go command leaves restored entries' mtimes as they are).
    Check { restored_before: SystemTime },
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
    let pruning = plan_pruning(&gocache).map_err(GoBuildpackError::PrepareBuildCache)?;
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
    Ok(BuildCache { gocache, pruning })
}

/// How old entries are made before a build: older than the go command's one-hour interval, so
/// that each entry the build uses gets its mtime set to now.
const AGE: Duration = Duration::from_hours(2);

/// The file beside GOCACHE (in the layer) with the cache's size after it was last pruned.
const PRUNED_SIZE_FILE: &str = "pruned-size";

/// The file beside GOCACHE that tells the next build to prune (the cache has grown).
const PRUNE_DUE_FILE: &str = "prune-due";

/// The entry files of a GOCACHE: how many and their bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CacheSize {
    entries: u64,
    bytes: u64,
}

impl CacheSize {
    fn of<'a>(entries: impl IntoIterator<Item = &'a std::fs::Metadata>) -> Self {
        entries.into_iter().fold(
            CacheSize {
                entries: 0,
                bytes: 0,
            },
            |size, metadata| CacheSize {
                entries: size.entries + 1,
                bytes: size.bytes + metadata.len(),
            },
        )
    }

    /// The size of the entries older than `instant`: those the running go command has not
    /// written.
    fn of_entries_before(entries: &[(PathBuf, std::fs::Metadata)], instant: SystemTime) -> Self {
        CacheSize::of(
            entries
                .iter()
                .map(|(_, metadata)| metadata)
                .filter(|metadata| metadata.modified().is_ok_and(|mtime| mtime < instant)),
        )
    }

    fn read(gocache: &Path) -> Option<Self> {
        let text = std::fs::read_to_string(gocache.with_file_name(PRUNED_SIZE_FILE)).ok()?;
        let (entries, bytes) = text.trim().split_once(' ')?;
        Some(CacheSize {
            entries: entries.parse().ok()?,
            bytes: bytes.parse().ok()?,
        })
    }

    fn write(self, gocache: &Path) -> std::io::Result<()> {
        std::fs::write(
            gocache.with_file_name(PRUNED_SIZE_FILE),
            format!("{} {}\n", self.entries, self.bytes),
        )
    }

    /// Whether the cache has grown by more than a fifth, in entries or bytes, since `pruned`.
    fn grown_since(self, pruned: CacheSize) -> bool {
        self.entries * 5 > pruned.entries * 6 || self.bytes * 5 > pruned.bytes * 6
    }
}

/// The go command marks the cache entries it uses by their mtime and trims those unused for
/// five days, but the lifecycle restores every cached file with the restore time as its mtime,
/// so Go's own trimming never fires and the cache would grow with every build. So a build
/// measures the cache as restored (beside the go command); when it has grown by more than a
/// fifth since it was last pruned, it leaves a mark, and the next build ages every entry before
/// the go command runs and removes after it the entries it did not use: the cache is brought
/// back to what that build needed. Other builds leave the cache untouched (no marking for the
/// go command to write back), so the exporter reuses the cache layer as it is.
fn plan_pruning(gocache: &Path) -> std::io::Result<Pruning> {
    std::fs::create_dir_all(gocache)?;
    hold_off_go_trimming(gocache)?;
    let now = SystemTime::now();
    let reason = if CacheSize::read(gocache).is_none() {
        "it had not been pruned before"
    } else if gocache.with_file_name(PRUNE_DUE_FILE).exists() {
        GROWN
    } else {
        return Ok(Pruning::Check {
            restored_before: now,
        });
    };
    let aged = filetime::FileTime::from_system_time(now - AGE);
    for (path, _) in &entry_files(gocache)? {
        filetime::set_file_mtime(path, aged)?;
    }
    Ok(Pruning::ThisBuild {
        marked_before: now - AGE / 2,
        reason,
    })
}

const GROWN: &str = "it had grown by more than a fifth since it was last pruned";

/// The go command trims its cache at most once a day, after reading the last time from
/// `trim.txt`; with restored mtimes that walk would find nothing to remove. The time is
/// refreshed only when half a day old, so that most builds leave the file as it is.
fn hold_off_go_trimming(gocache: &Path) -> std::io::Result<()> {
    let path = gocache.join("trim.txt");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let last = std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| text.trim().parse::<u64>().ok());
    if last.is_some_and(|last| last <= now && now - last < 12 * 3600) {
        return Ok(());
    }
    std::fs::write(path, format!("{now}\n"))
}

/// The entry files of a GOCACHE (`<2 hex digits>/<hash>-a|-d`) with their metadata.
fn entry_files(gocache: &Path) -> std::io::Result<Vec<(PathBuf, std::fs::Metadata)>> {
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
            // The go command may be writing beside the measurement: a file gone is skipped.
            let metadata = match entry.metadata() {
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
                metadata => metadata?,
            };
            if metadata.is_file() {
                files.push((entry.path(), metadata));
            }
        }
    }
    Ok(files)
}

/// After a successful build: when this build prunes, removes the entries it did not use (see
/// [`plan_pruning`]); otherwise, when the cache as restored had grown by more than a fifth since
/// it was last pruned, leaves the mark for the next build to prune. Pruning only saves space:
/// if any of it fails, the build goes on with a warning.
pub(crate) fn prune_unused_entries(cache: &BuildCache) {
    match cache.pruning {
        Pruning::ThisBuild {
            marked_before,
            reason,
        } => remove_unused_entries(&cache.gocache, marked_before, reason),
        Pruning::Check { restored_before } => mark_if_grown(&cache.gocache, restored_before),
    }
}

/// Removes the entries last used before `marked_before`, says how much that freed, and records
/// the size left.
fn remove_unused_entries(gocache: &Path, marked_before: SystemTime, reason: &str) {
    let mut removed_files = 0;
    let mut removed_bytes = 0;
    let mut prune = || -> std::io::Result<()> {
        let mut kept = Vec::new();
        for (path, metadata) in entry_files(gocache)? {
            if metadata.modified().is_ok_and(|mtime| mtime < marked_before) {
                std::fs::remove_file(&path)?;
                removed_files += 1;
                removed_bytes += metadata.len();
            } else {
                kept.push(metadata);
            }
        }
        CacheSize::of(&kept).write(gocache)?;
        remove_if_present(&gocache.with_file_name(PRUNE_DUE_FILE))
    };
    if let Err(error) = prune() {
        print::warning(format!(
            "Could not prune the build cache ({error}); it keeps entries this build did not use until a later build prunes them."
        ));
    }
    if removed_files > 0 {
        print::sub_bullet(format!(
            "Pruned the build cache ({reason}): {removed_files} {} ({:.1} MB) this build did not use",
            if removed_files == 1 { "entry" } else { "entries" },
            f64::from(u32::try_from(removed_bytes / 100_000).unwrap_or(u32::MAX)) / 10.0
        ));
    }
}

fn remove_if_present(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

/// Leaves the mark that makes the next build prune, when the measured size has grown by more
/// than a fifth since the last pruning.
fn mark_if_grown(gocache: &Path, restored_before: SystemTime) {
    let mark = || -> std::io::Result<bool> {
        let size = CacheSize::of_entries_before(&entry_files(gocache)?, restored_before);
        let grown = CacheSize::read(gocache).is_some_and(|pruned| size.grown_since(pruned));
        if grown {
            std::fs::write(gocache.with_file_name(PRUNE_DUE_FILE), format!("{GROWN}\n"))?;
        }
        Ok(grown)
    };
    match mark() {
        Ok(true) => print::sub_bullet(
            "The build cache has grown by more than a fifth since it was last pruned: the next build prunes the entries it does not use",
        ),
        Ok(false) => {}
        Err(error) => print::warning(format!(
            "Could not measure the build cache ({error}); a later build measures it again."
        )),
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

    fn cache_with(entries: &[(&str, usize)]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let gocache = dir.path().join("gocache");
        for (name, size) in entries {
            let path = gocache.join(name);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, vec![b'x'; *size]).expect("write");
        }
        std::fs::write(gocache.join("README"), "kept").expect("write");
        (dir, gocache)
    }

    fn trim_time(gocache: &Path) -> u64 {
        let trim = std::fs::read_to_string(gocache.join("trim.txt")).expect("trim.txt");
        trim.trim().parse().expect("unix time")
    }

    fn build_with(gocache: &Path, used: &[&str]) -> BuildCache {
        let cache = BuildCache {
            gocache: gocache.to_path_buf(),
            pruning: plan_pruning(gocache).expect("plan"),
        };
        // The go command marks what it uses by setting the mtime to now.
        for name in used {
            filetime::set_file_mtime(gocache.join(name), filetime::FileTime::now()).expect("touch");
        }
        cache
    }

    fn mtime(path: &Path) -> SystemTime {
        path.metadata().expect("stat").modified().expect("mtime")
    }

    #[test]
    fn a_cache_never_pruned_is_marked_and_loses_what_the_build_did_not_use() {
        let (_dir, gocache) = cache_with(&[("ab/used-a", 10), ("ab/unused-d", 1000)]);
        let cache = build_with(&gocache, &["ab/used-a"]);
        assert!(matches!(
            cache.pruning,
            Pruning::ThisBuild {
                reason: "it had not been pruned before",
                ..
            }
        ));
        prune_unused_entries(&cache);
        assert!(gocache.join("ab/used-a").is_file());
        assert!(!gocache.join("ab/unused-d").exists());
        assert!(gocache.join("README").is_file());
        assert_eq!(
            CacheSize::read(&gocache),
            Some(CacheSize {
                entries: 1,
                bytes: 10
            })
        );
        // Go's own trim is held off.
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("time")
            .as_secs();
        assert!(now - trim_time(&gocache) < 60);
    }

    #[test]
    fn a_cache_that_did_not_grow_by_a_fifth_is_left_as_it_is() {
        let (_dir, gocache) = cache_with(&[("ab/one-a", 100), ("cd/two-d", 100)]);
        CacheSize {
            entries: 2,
            bytes: 180,
        }
        .write(&gocache)
        .expect("write");
        let recent = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("time")
            .as_secs()
            - 3600;
        std::fs::write(gocache.join("trim.txt"), format!("{recent}\n")).expect("write");
        let before = mtime(&gocache.join("ab/one-a"));

        let cache = build_with(&gocache, &[]);
        assert!(matches!(cache.pruning, Pruning::Check { .. }));
        prune_unused_entries(&cache);
        assert_eq!(mtime(&gocache.join("ab/one-a")), before);
        assert_eq!(trim_time(&gocache), recent);
        assert!(gocache.join("ab/one-a").is_file() && gocache.join("cd/two-d").is_file());
        assert!(!gocache.with_file_name(PRUNE_DUE_FILE).exists());
    }

    #[test]
    fn a_grown_cache_is_marked_and_the_next_build_prunes_it() {
        let (_dir, gocache) = cache_with(&[("ab/used-a", 100), ("cd/unused-d", 100)]);
        let pruned = CacheSize {
            entries: 1,
            bytes: 100,
        };
        pruned.write(&gocache).expect("write");

        // The build that finds the cache grown only leaves the mark.
        prune_unused_entries(&build_with(&gocache, &[]));
        assert!(gocache.join("ab/used-a").is_file() && gocache.join("cd/unused-d").is_file());
        assert_eq!(CacheSize::read(&gocache), Some(pruned));
        assert_eq!(
            std::fs::read_to_string(gocache.with_file_name(PRUNE_DUE_FILE)).expect("mark"),
            format!("{GROWN}\n")
        );

        // The next build ages every entry first, then removes what it did not use.
        let next = build_with(&gocache, &["ab/used-a"]);
        assert!(matches!(
            next.pruning,
            Pruning::ThisBuild { reason: GROWN, .. }
        ));
        prune_unused_entries(&next);
        assert!(gocache.join("ab/used-a").is_file());
        assert!(!gocache.join("cd/unused-d").exists());
        assert!(!gocache.with_file_name(PRUNE_DUE_FILE).exists());
        assert_eq!(
            CacheSize::read(&gocache),
            Some(CacheSize {
                entries: 1,
                bytes: 100
            })
        );
    }

    #[test]
    fn entries_the_running_build_writes_are_not_counted_as_growth() {
        let (_dir, gocache) = cache_with(&[("ab/one-a", 100), ("cd/two-d", 100)]);
        CacheSize {
            entries: 2,
            bytes: 200,
        }
        .write(&gocache)
        .expect("write");
        let cache = BuildCache {
            gocache: gocache.clone(),
            pruning: plan_pruning(&gocache).expect("plan"),
        };
        // Written by the go command after the build started (file times have a coarse clock:
        // the new entries are dated clearly after the start).
        let later = filetime::FileTime::from_system_time(SystemTime::now() + AGE);
        for name in ["ef/new-a", "ef/new-d", "12/new-a"] {
            let path = gocache.join(name);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, [b'x'; 100]).expect("write");
            filetime::set_file_mtime(&path, later).expect("date");
        }
        prune_unused_entries(&cache);
        assert!(!gocache.with_file_name(PRUNE_DUE_FILE).exists());
    }

    #[test]
    fn growth_by_more_than_a_fifth_in_entries_or_bytes_makes_pruning_due() {
        let pruned = CacheSize {
            entries: 100,
            bytes: 1000,
        };
        let size = |entries, bytes| CacheSize { entries, bytes };
        assert!(!size(100, 1000).grown_since(pruned));
        assert!(!size(120, 1200).grown_since(pruned));
        assert!(size(121, 1000).grown_since(pruned));
        assert!(size(100, 1201).grown_since(pruned));
        assert!(!size(50, 500).grown_since(pruned));
    }

    #[test]
    fn an_unreadable_size_record_means_pruning_is_due() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(PRUNED_SIZE_FILE), "many\n").expect("write");
        assert_eq!(CacheSize::read(&dir.path().join("gocache")), None);
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
}
