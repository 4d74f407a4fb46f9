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
    /// Set when this build prunes: entries last used before the instant were not used by the
    /// build; and why it prunes.
    marked_before: Option<(SystemTime, &'static str)>,
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
    let marked_before =
        mark_entries_if_grown(&gocache).map_err(GoBuildpackError::PrepareBuildCache)?;
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

/// The file beside GOCACHE (in the layer) with the cache's size after it was last pruned.
const PRUNED_SIZE_FILE: &str = "pruned-size";

/// The entry files of a GOCACHE: how many and their bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CacheSize {
    entries: u64,
    bytes: u64,
}

impl CacheSize {
    fn of(entries: &[(PathBuf, std::fs::Metadata)]) -> Self {
        CacheSize {
            entries: entries.len() as u64,
            bytes: entries.iter().map(|(_, metadata)| metadata.len()).sum(),
        }
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

    /// Why pruning is due: never pruned, or grown by more than a fifth, in entries or bytes,
    /// since `pruned`.
    fn prune_due(self, pruned: Option<CacheSize>) -> Option<&'static str> {
        match pruned {
            None => Some("it had not been pruned before"),
            Some(pruned)
                if self.entries * 5 > pruned.entries * 6 || self.bytes * 5 > pruned.bytes * 6 =>
            {
                Some("it had grown by more than a fifth since it was last pruned")
            }
            Some(_) => None,
        }
    }
}

/// The go command marks the cache entries it uses by their mtime and trims those unused for
/// five days, but the lifecycle restores every cached file with the restore time as its mtime,
/// so Go's own trimming never fires and the cache would grow with every build. So when the
/// cache has grown by more than a fifth since it was last pruned, every entry is aged before
/// the build, and after a successful build the entries it did not use are removed: the cache
/// is brought back to what the last build needed. Other builds leave the cache untouched (no
/// marking for the go command to write back), so the exporter reuses the cache layer as it is.
/// Returns the instant that separates used from unused entries when this build prunes.
fn mark_entries_if_grown(gocache: &Path) -> std::io::Result<Option<(SystemTime, &'static str)>> {
    std::fs::create_dir_all(gocache)?;
    hold_off_go_trimming(gocache)?;
    let entries = entry_files(gocache)?;
    let Some(reason) = CacheSize::of(&entries).prune_due(CacheSize::read(gocache)) else {
        return Ok(None);
    };
    let now = SystemTime::now();
    let aged = filetime::FileTime::from_system_time(now - AGE);
    for (path, _) in &entries {
        filetime::set_file_mtime(path, aged)?;
    }
    Ok(Some((now - AGE / 2, reason)))
}

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
            let metadata = entry.metadata()?;
            if metadata.is_file() {
                files.push((entry.path(), metadata));
            }
        }
    }
    Ok(files)
}

/// When this build marked the entries (see [`mark_entries_if_grown`]): removes those it did
/// not use, says how much that freed, and records the size left. Pruning only saves space: if
/// it fails, the build goes on with a warning and a later build prunes again.
pub(crate) fn prune_unused_entries(cache: &BuildCache) {
    let Some((marked_before, reason)) = cache.marked_before else {
        return;
    };
    let mut removed_files = 0;
    let mut removed_bytes = 0;
    let mut prune = || -> std::io::Result<()> {
        let mut kept = Vec::new();
        for (path, metadata) in entry_files(&cache.gocache)? {
            if metadata.modified().is_ok_and(|mtime| mtime < marked_before) {
                std::fs::remove_file(&path)?;
                removed_files += 1;
                removed_bytes += metadata.len();
            } else {
                kept.push((path, metadata));
            }
        }
        CacheSize::of(&kept).write(&cache.gocache)
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

    #[test]
    fn a_cache_never_pruned_is_marked_and_loses_what_the_build_did_not_use() {
        let (_dir, gocache) = cache_with(&[("ab/used-a", 10), ("ab/unused-d", 1000)]);
        let marked_before = mark_entries_if_grown(&gocache).expect("mark");
        assert!(marked_before.is_some());
        // The go command marks what it uses by setting the mtime to now.
        filetime::set_file_mtime(gocache.join("ab/used-a"), filetime::FileTime::now())
            .expect("touch");
        prune_unused_entries(&BuildCache {
            gocache: gocache.clone(),
            marked_before,
        });
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
        let mtime = |name: &str| {
            gocache
                .join(name)
                .metadata()
                .expect("stat")
                .modified()
                .expect("mtime")
        };
        let before = mtime("ab/one-a");

        let marked_before = mark_entries_if_grown(&gocache).expect("mark");
        assert_eq!(marked_before, None);
        assert_eq!(mtime("ab/one-a"), before);
        assert_eq!(trim_time(&gocache), recent);
        prune_unused_entries(&BuildCache {
            gocache: gocache.clone(),
            marked_before,
        });
        assert!(gocache.join("ab/one-a").is_file() && gocache.join("cd/two-d").is_file());
    }

    #[test]
    fn growth_by_more_than_a_fifth_in_entries_or_bytes_makes_pruning_due() {
        let pruned = CacheSize {
            entries: 100,
            bytes: 1000,
        };
        let size = |entries, bytes| CacheSize { entries, bytes };
        assert_eq!(
            size(1, 1).prune_due(None),
            Some("it had not been pruned before")
        );
        assert_eq!(size(100, 1000).prune_due(Some(pruned)), None);
        assert_eq!(size(120, 1200).prune_due(Some(pruned)), None);
        let grown = Some("it had grown by more than a fifth since it was last pruned");
        assert_eq!(size(121, 1000).prune_due(Some(pruned)), grown);
        assert_eq!(size(100, 1201).prune_due(Some(pruned)), grown);
        assert_eq!(size(50, 500).prune_due(Some(pruned)), None);
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
