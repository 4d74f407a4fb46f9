//! The `go-modules` layer: GOPATH, whose `pkg/mod` is the module cache (GOMODCACHE). In the
//! image only for a Go workspace with the toolchain (`GO_SETUP_GOPATH_IN_IMAGE` together with
//! `GO_INSTALL_TOOLS_IN_IMAGE`), so that go commands there need no downloads.

use super::{tree_archive, CachedLayerMetadata, LayerUse};
use crate::buildpack::{GoBuildpack, GoBuildpackError};
use crate::go_packages::{go_command, go_list, GoCommandError};
use bullet_stream::global::print;
use fun_run::CommandWithName;
use libcnb::build::BuildContext;
use libcnb::data::layer_name;
use libcnb::layer::UncachedLayerDefinition;
use libcnb::Env;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The module cache is content-addressed and verified by go.sum, so it stays valid across Go
/// versions; `layout` only changes if this buildpack changes where it keeps modules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GoModulesMetadata {
    pub(crate) layout: String,
}

const LAYOUT: &str = "gopath-v1";

impl GoModulesMetadata {
    /// The layout this buildpack keeps modules in.
    pub(crate) fn current() -> Self {
        GoModulesMetadata {
            layout: String::from(LAYOUT),
        }
    }
}

impl CachedLayerMetadata for GoModulesMetadata {
    const CONTENTS: &'static str = "the module cache";

    fn reasons(&self, wanted: &Self) -> Vec<String> {
        let GoModulesMetadata { layout } = self;
        if layout == &wanted.layout {
            Vec::new()
        } else {
            vec![format!(
                "this buildpack keeps modules in layout {} (the cache has {layout})",
                wanted.layout
            )]
        }
    }
}

/// The module cache of a build: GOPATH, unpacked from the cached archive into the `gomodcache`
/// layer, which is not cached.
pub(crate) struct ModuleCache {
    pub(crate) gopath: PathBuf,
    archive: PathBuf,
    /// What the download cache held before the build (see [`downloads_listing`]).
    downloads_before: Option<Vec<(String, u64)>>,
}

/// The mtime of every file in the archive: the go command does not read them.
const ARCHIVED_MTIME: u64 = 946_684_800; // 2000-01-01T00:00:00Z

/// Prepares the module cache. The cached `go-modules` layer keeps it as one archive (see
/// [`super::tree_archive`]); `launch` puts the unpacked GOPATH into the image.
pub(crate) fn prepare_go_modules(
    context: &BuildContext<GoBuildpack>,
    env: &mut Env,
    launch: bool,
) -> libcnb::Result<ModuleCache, GoBuildpackError> {
    let wanted = GoModulesMetadata::current();
    let tree_layer = context.uncached_layer(
        layer_name!("gomodcache"),
        UncachedLayerDefinition {
            build: true,
            launch,
        },
    )?;
    let gopath = tree_layer.path();
    let (cached, kept) = super::restore_cached_layer(
        context,
        layer_name!("go-modules"),
        LayerUse {
            build: false,
            launch: false,
        },
        &wanted,
        // Earlier versions cached GOPATH unpacked: archived in place.
        &|cached| {
            tree_archive::archive_unpacked_tree(cached, "", "", ARCHIVED_MTIME)
                .or_else(|| tree_archive::archive_problem(cached))
        },
    )?;
    let reused = kept
        && match tree_archive::unpack_or_discard(&cached.path(), &gopath) {
            Ok(()) => true,
            Err(why) => {
                print::sub_bullet(format!("Discarding {}: {why}", GoModulesMetadata::CONTENTS));
                false
            }
        };
    if reused {
        print::sub_bullet("Reusing the module cache");
    } else {
        print::sub_bullet("Creating an empty module cache");
        cached.write_metadata(&wanted)?;
    }
    let module_cache = gopath.join("pkg").join("mod");
    super::write_and_apply_env(
        &tree_layer,
        &super::build_overrides([
            ("GOPATH", gopath.as_os_str()),
            ("GOMODCACHE", module_cache.as_os_str()),
        ]),
        env,
    )?;
    Ok(ModuleCache {
        downloads_before: reused.then(|| downloads_listing(&gopath)),
        archive: tree_archive::archive_path(&cached.path()),
        gopath,
    })
}

/// The files of the module download cache (`pkg/mod/cache/download`, where every module the go
/// command fetches lands) and the pruning note, with their sizes: when a build leaves them as
/// they were, the module cache did not change.
fn downloads_listing(gopath: &Path) -> Vec<(String, u64)> {
    let mut listing = Vec::new();
    let mut dirs = vec![gopath.join("pkg/mod/cache/download")];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(metadata) = entry.metadata() else {
                continue;
            };
            if metadata.is_dir() {
                dirs.push(entry.path());
            } else {
                listing.push((entry.path().to_string_lossy().into_owned(), metadata.len()));
            }
        }
    }
    if let Ok(note) = std::fs::read(gopath.join(PRUNED_FOR_FILE)) {
        listing.push((String::from_utf8_lossy(&note).into_owned(), 0));
    }
    listing.sort();
    listing
}

/// After a build, archives the module cache into the cached layer when the build changed it
/// (or it is new). Only speed depends on it: a failure is a warning, and the next build reuses
/// the archive it had and downloads what is missing.
pub(crate) fn archive_if_changed(cache: &ModuleCache) {
    if cache
        .downloads_before
        .as_ref()
        .is_some_and(|before| *before == downloads_listing(&cache.gopath))
    {
        return;
    }
    if let Err(error) =
        tree_archive::pack(&cache.gopath, &cache.archive, ARCHIVED_MTIME, &|_, _| false)
    {
        print::warning(format!(
            "Could not keep the module cache of this build ({error}); the next build downloads what it lacks."
        ));
    }
}

/// Whether a failed go command's output names a file of the module cache, the sign that the
/// cache rather than the app may be at fault.
pub(crate) fn points_at_module_cache(error: &GoCommandError, env: &Env) -> bool {
    let (GoCommandError::Failed(cmd_error), Some(module_cache)) =
        (error, env.get_string_lossy("GOMODCACHE"))
    else {
        return false;
    };
    crate::go_packages::output_of(cmd_error).contains(&module_cache)
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
        assert!(wanted.reasons(&wanted.clone()).is_empty());
        let older = GoModulesMetadata {
            layout: String::from("gopath-v0"),
        };
        assert_eq!(
            older.reasons(&wanted),
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

/// Where the buildpack notes the dependency files the module cache was last pruned for.
const PRUNED_FOR_FILE: &str = ".pruned-for";
/// The files that decide which modules the app requires.
const DEPENDENCY_FILES: [&str; 4] = ["go.mod", "go.sum", "go.work", "go.work.sum"];

/// A fingerprint of the app's dependency files: pruning is only needed after they change.
fn dependency_fingerprint(app_dir: &Path) -> String {
    let mut hasher = Sha256::new();
    for name in DEPENDENCY_FILES {
        hasher.update(name.as_bytes());
        hasher.update(std::fs::read(app_dir.join(name)).unwrap_or_default());
        hasher.update([0]);
    }
    go_cnb_common::hex(&hasher.finalize())
}

/// The module versions (`<escaped path>@<escaped version>`, with their replacements) that
/// provide the packages the build compiled: the patterns' packages and everything they import,
/// not tests. Run after `go install`, which downloaded exactly these; never downloads.
fn used_modules(
    env: &Env,
    app_dir: &Path,
    patterns: &[String],
) -> Result<BTreeSet<String>, String> {
    let format = "{{with .Module}}{{.Path}}@{{.Version}}{{with .Replace}} {{.Path}}@{{.Version}}{{end}}{{end}}";
    let output = go_list(env, app_dir, "-deps", format, patterns)
        .env("GOPROXY", "off")
        .output()
        .map_err(|error| format!("go list -deps did not start: {error}"))?;
    if !output.status.success() {
        return Err(format!(
            "go list -deps failed: {}",
            crate::truncate::for_display(String::from_utf8_lossy(&output.stderr).trim())
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .filter(|module| !module.ends_with('@'))
        .map(go_cnb_common::escape_module_path)
        .collect())
}

/// What pruning the module cache removed.
#[derive(Debug, Default, PartialEq, Eq)]
struct Pruned {
    /// Module versions the app no longer requires, and their bytes.
    versions: usize,
    version_bytes: u64,
    /// Downloaded zips of required versions that are unpacked, and their bytes.
    zips: usize,
    zip_bytes: u64,
}

/// Removes from the module cache every module version not in `required`: its unpacked tree
/// and its downloaded zip (the small `.mod` and `.info` files stay: resolving the module graph
/// reads them). Of the required versions, the zip goes too once the tree is unpacked: the go
/// command builds from the tree, and with the tree and its `.ziphash` there it never reads the
/// zip (`go mod verify` checks the tree against the hash), so the cache holds each module once.
fn remove_unrequired(module_cache: &Path, required: &BTreeSet<String>) -> std::io::Result<Pruned> {
    let mut pruned = Pruned::default();
    let mut dirs = vec![module_cache.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            if !entry.file_type()?.is_dir() {
                continue;
            }
            let path = entry.path();
            let relative = path
                .strip_prefix(module_cache)
                .map_err(std::io::Error::other)?
                .to_string_lossy()
                .into_owned();
            if relative == "cache" {
                continue;
            }
            if !entry.file_name().to_string_lossy().contains('@') {
                dirs.push(path);
                continue;
            }
            let (module, version) = relative.split_once('@').unwrap_or((&relative, ""));
            let downloads = module_cache.join("cache/download").join(module).join("@v");
            let file = |extension: &str| downloads.join(format!("{version}.{extension}"));
            if required.contains(&relative) {
                // A `.partial` file marks a tree the go command has not finished unpacking.
                if file("ziphash").is_file() && !file("partial").exists() {
                    if let Ok(metadata) = file("zip").metadata() {
                        std::fs::remove_file(file("zip"))?;
                        pruned.zips += 1;
                        pruned.zip_bytes += metadata.len();
                    }
                }
                continue;
            }
            pruned.version_bytes += crate::sizes::tree_size(&path);
            std::fs::remove_dir_all(&path)?;
            for extension in ["zip", "ziphash"] {
                if let Ok(metadata) = file(extension).metadata() {
                    pruned.version_bytes += metadata.len();
                    std::fs::remove_file(file(extension))?;
                }
            }
            pruned.versions += 1;
        }
    }
    Ok(pruned)
}

/// After a successful build whose dependency files changed: removes the module versions the
/// build did not use, so that dependency bumps do not pile up old versions in the cache.
/// Pruning only saves space: a failure is a warning, and a later build prunes again.
pub(crate) fn prune_unrequired_modules(
    env: &Env,
    app_dir: &Path,
    patterns: &[String],
    gopath: &Path,
) {
    let marker = gopath.join(PRUNED_FOR_FILE);
    let fingerprint = dependency_fingerprint(app_dir);
    if std::fs::read_to_string(&marker).is_ok_and(|noted| noted == fingerprint) {
        return;
    }
    let module_cache = gopath.join("pkg").join("mod");
    // An app without dependencies never downloads one: there is no module cache to prune.
    let pruned = if module_cache.is_dir() {
        used_modules(env, app_dir, patterns).and_then(|used| {
            remove_unrequired(&module_cache, &used).map_err(|error| error.to_string())
        })
    } else {
        Ok(Pruned::default())
    };
    match pruned {
        Ok(pruned) => {
            if pruned.versions > 0 {
                print::sub_bullet(format!(
                    "Removed {} the app no longer requires from the module cache ({})",
                    crate::sizes::count_of(pruned.versions, "module version", "module versions"),
                    crate::sizes::megabytes(pruned.version_bytes)
                ));
            }
            if pruned.zips > 0 {
                print::sub_bullet(format!(
                    "Removed the downloaded zips of {}, which the module cache keeps unpacked ({})",
                    crate::sizes::count_of(pruned.zips, "module", "modules"),
                    crate::sizes::megabytes(pruned.zip_bytes)
                ));
            }
            if let Err(error) = std::fs::write(&marker, fingerprint) {
                print::warning(format!(
                    "Could not note the pruned module cache ({error}); the next build checks it again."
                ));
            }
        }
        Err(error) => print::warning(format!(
            "Could not prune the module cache ({error}); it keeps modules the app may no longer require until a later build prunes them."
        )),
    }
}

#[cfg(test)]
mod pruning_tests {
    use super::*;

    #[test]
    fn a_download_or_a_prune_changes_the_listing_and_nothing_else_does() {
        let gopath = tempfile::tempdir().expect("tempdir");
        let downloads = gopath
            .path()
            .join("pkg/mod/cache/download/example.test/a/@v");
        write(&downloads.join("v1.0.0.mod"), "module example.test/a\n");
        write(
            &gopath.path().join("pkg/mod/example.test/a@v1.0.0/a.go"),
            "package a",
        );
        let before = downloads_listing(gopath.path());
        assert_eq!(before.len(), 1);
        // The go command reads the unpacked tree: no change.
        write(
            &gopath.path().join("pkg/mod/example.test/a@v1.0.0/a.go"),
            "package a",
        );
        assert_eq!(downloads_listing(gopath.path()), before);
        write(&downloads.join("v1.0.0.zip"), "zip");
        assert_ne!(downloads_listing(gopath.path()), before);
        let downloaded = downloads_listing(gopath.path());
        write(&gopath.path().join(PRUNED_FOR_FILE), "fingerprint");
        assert_ne!(downloads_listing(gopath.path()), downloaded);
    }

    fn write(path: &Path, contents: &str) {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, contents).expect("write");
    }

    #[test]
    fn only_unrequired_versions_leave_the_cache() {
        let cache = tempfile::tempdir().expect("tempdir");
        let root = cache.path();
        write(
            &root.join("example.test/greeting@v1.0.0/greeting.go"),
            "old",
        );
        write(
            &root.join("example.test/greeting@v1.1.0/greeting.go"),
            "new",
        );
        write(
            &root.join("github.com/!burnt!sushi/toml@v1.0.0/toml.go"),
            "kept",
        );
        for version in ["v1.0.0", "v1.1.0"] {
            for extension in ["zip", "ziphash", "mod", "info"] {
                write(
                    &root.join(format!(
                        "cache/download/example.test/greeting/@v/{version}.{extension}"
                    )),
                    "x",
                );
            }
        }
        let required: BTreeSet<String> = [
            "example.test/greeting@v1.1.0",
            "github.com/!burnt!sushi/toml@v1.0.0",
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        write(
            &root.join("cache/download/github.com/!burnt!sushi/toml/@v/v1.0.0.zip"),
            "zip",
        );
        let pruned = remove_unrequired(root, &required).expect("prunes");
        assert_eq!(
            pruned,
            Pruned {
                versions: 1,
                version_bytes: 5,
                zips: 1,
                zip_bytes: 1
            }
        );
        assert!(!root.join("example.test/greeting@v1.0.0").exists());
        assert!(root
            .join("example.test/greeting@v1.1.0/greeting.go")
            .is_file());
        assert!(root
            .join("github.com/!burnt!sushi/toml@v1.0.0/toml.go")
            .is_file());
        let downloads = root.join("cache/download/example.test/greeting/@v");
        assert!(!downloads.join("v1.0.0.zip").exists());
        assert!(!downloads.join("v1.0.0.ziphash").exists());
        assert!(downloads.join("v1.0.0.mod").is_file());
        // Unpacked with its hash: the zip is not needed. Without a hash it stays.
        assert!(!downloads.join("v1.1.0.zip").exists());
        assert!(downloads.join("v1.1.0.ziphash").is_file());
        assert!(downloads.join("v1.1.0.mod").is_file());
        assert!(root
            .join("cache/download/github.com/!burnt!sushi/toml/@v/v1.0.0.zip")
            .is_file());
    }

    #[test]
    fn the_zip_of_a_tree_still_being_unpacked_stays() {
        let cache = tempfile::tempdir().expect("tempdir");
        let root = cache.path();
        write(
            &root.join("example.test/greeting@v1.1.0/greeting.go"),
            "new",
        );
        let downloads = root.join("cache/download/example.test/greeting/@v");
        for extension in ["zip", "ziphash", "partial"] {
            write(&downloads.join(format!("v1.1.0.{extension}")), "x");
        }
        let required = BTreeSet::from([String::from("example.test/greeting@v1.1.0")]);
        assert_eq!(
            remove_unrequired(root, &required).expect("prunes"),
            Pruned::default()
        );
        assert!(downloads.join("v1.1.0.zip").is_file());
    }

    #[test]
    fn the_fingerprint_follows_the_dependency_files() {
        let app = tempfile::tempdir().expect("tempdir");
        write(&app.path().join("go.mod"), "module m\n");
        let before = dependency_fingerprint(app.path());
        write(&app.path().join("main.go"), "package main\n");
        assert_eq!(dependency_fingerprint(app.path()), before);
        write(
            &app.path().join("go.sum"),
            "example.test/greeting v1.1.0 h1:x=\n",
        );
        assert_ne!(dependency_fingerprint(app.path()), before);
    }
}
