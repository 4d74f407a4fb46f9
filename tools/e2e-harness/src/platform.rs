//! A platform for the real CNB lifecycle: it runs the lifecycle's own analyzer, detector,
//! restorer, builder and exporter, each in a sandbox with a builder container's paths, exports
//! the image as an OCI layout, keeps the build cache in a directory, and launches processes from
//! the exported image with the real launcher. One `Platform` is one app image and its cache.

use crate::cnb_lifecycle::InstalledLifecycle;
use crate::oci::{image_dir, write_run_image, Image};
use crate::package::PackagedBuildpack;
use crate::sandbox::{chown_tree, Sandbox, BUILDER_PATH, CNB_USER};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The Platform API the harness speaks to the lifecycle.
pub const PLATFORM_API: &str = "0.14";
/// References with a registry host that has a dot, so that the lifecycle does not read them as
/// Docker Hub names: the layout path is `<registry>/<repository>/<tag>`.
const APP_IMAGE: &str = "registry.test/gocnb/app";
const RUN_IMAGE: &str = "registry.test/gocnb/run";
/// The `process_type` for [`Platform::launch`] that runs `args` as a command of its own
/// through the launcher instead of a process of the image.
pub const LAUNCHER_COMMAND: &str = "--";
/// A builder image's home for the cnb user.
const CNB_HOME: &str = "/home/cnb";

#[derive(Debug)]
pub struct PlatformError(pub String);

impl std::fmt::Display for PlatformError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PlatformError {}

fn io_error(context: impl std::fmt::Display) -> impl FnOnce(std::io::Error) -> PlatformError {
    move |error| PlatformError(format!("{context}: {error}"))
}

/// A layer's entry in lifecycle metadata (`buildpacks[].layers.<name>`).
fn layer_entry_mut<'a>(metadata: &'a mut Value, name: &str) -> Option<&'a mut Value> {
    metadata["buildpacks"]
        .as_array_mut()?
        .iter_mut()
        .find_map(|buildpack| buildpack["layers"].get_mut(name))
}

/// What a build did.
#[derive(Debug, Clone)]
pub struct BuildReport {
    pub detect_passed: bool,
    pub succeeded: bool,
    /// Every phase's output, in order, each under a `===> PHASE` heading.
    pub log: String,
    /// Layers of the exported image (from its lifecycle metadata), sorted.
    pub image_layers: Vec<String>,
    /// Layers in the build cache after export (from the cache's metadata), sorted.
    pub cache_layers: Vec<String>,
    /// Files the build left in the cnb user's HOME, which a buildpack must not write to.
    pub home_entries: Vec<String>,
    /// How long each phase that ran took, in order.
    pub phase_durations: Vec<(String, std::time::Duration)>,
}

/// A process of the exported image (`io.buildpacks.build.metadata`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    pub process_type: String,
    pub command: Vec<String>,
    pub args: Vec<String>,
    /// The image's entrypoint is this process.
    pub default: bool,
    /// Where the launcher starts it; `None` for the app directory.
    pub working_dir: Option<String>,
}

pub struct Platform {
    root: PathBuf,
    buildpack: PackagedBuildpack,
    lifecycle: InstalledLifecycle,
    target_arch: String,
    launches: AtomicUsize,
    /// Programs of the host's `/usr/bin` that the build does not see.
    hidden_programs: Vec<String>,
    /// Files written into the build root before each build: (path inside, contents).
    build_files: Vec<(String, String)>,
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), PlatformError> {
    std::fs::create_dir_all(to).map_err(io_error(format!("create {}", to.display())))?;
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", from.display()))
        .arg(to)
        .status()
        .map_err(io_error("run cp"))?;
    if status.success() {
        Ok(())
    } else {
        Err(PlatformError(format!(
            "copying {} to {} failed",
            from.display(),
            to.display()
        )))
    }
}

fn remove_dir(path: &Path) -> Result<(), PlatformError> {
    match std::fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(PlatformError(format!("remove {}: {error}", path.display()))),
    }
}

fn host_distro() -> (String, String) {
    let os_release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    let field = |key: &str| {
        os_release
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .map_or_else(
                || String::from("unknown"),
                |v| v.trim_matches('"').to_string(),
            )
    };
    (field("ID"), field("VERSION_ID"))
}

#[must_use]
pub fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

/// Layer names under `buildpacks[*].layers` of a lifecycle metadata document.
fn layer_names(metadata: &Value) -> Vec<String> {
    let mut names: Vec<String> = metadata["buildpacks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|buildpack| buildpack["layers"].as_object())
        .flat_map(|layers| layers.keys().cloned())
        .collect();
    names.sort();
    names
}

impl Platform {
    /// # Errors
    /// When the root directory cannot be created.
    pub fn new(
        root: &Path,
        buildpack: &PackagedBuildpack,
        lifecycle: &InstalledLifecycle,
    ) -> Result<Self, PlatformError> {
        std::fs::create_dir_all(root).map_err(io_error(root.display()))?;
        Ok(Platform {
            root: root.to_path_buf(),
            buildpack: buildpack.clone(),
            lifecycle: lifecycle.clone(),
            target_arch: host_arch().to_string(),
            launches: AtomicUsize::new(0),
            hidden_programs: Vec::new(),
            build_files: Vec::new(),
        })
    }

    /// Builds on a run image for another architecture, as a builder for it would: the
    /// lifecycle takes `CNB_TARGET_ARCH` from the run image.
    #[must_use]
    pub fn with_target_arch(mut self, arch: &str) -> Self {
        self.target_arch = arch.to_string();
        self
    }

    /// Builds on a build image without `/usr/bin/<program>` (as a minimal builder would be):
    /// `/dev/null` covers it, which no PATH lookup takes for a program.
    #[must_use]
    pub fn without_program(mut self, program: &str) -> Self {
        self.hidden_programs.push(program.to_string());
        self
    }

    /// Writes `contents` at `path` (absolute, inside the build root: under `/platform` for a
    /// service binding, say) before each build, readable by the build user.
    #[must_use]
    pub fn with_build_file(mut self, path: &str, contents: &str) -> Self {
        self.build_files
            .push((path.to_string(), contents.to_string()));
        self
    }

    /// Every file the platform keeps after its builds that holds `needle`: the build root
    /// (layers, temporary files, the app) except `/platform` (where the platform itself keeps
    /// env vars and bindings), the cache, and the unpacked last image.
    ///
    /// # Errors
    /// When there is no image.
    pub fn files_containing(&self, needle: &[u8]) -> Result<Vec<PathBuf>, PlatformError> {
        let image = self.unpack_image()?;
        let platform_dir = self.build_root().join("platform");
        let mut found = Vec::new();
        let mut stack = vec![self.build_root(), self.cache_dir(), image];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let Ok(file_type) = entry.file_type() else {
                    continue;
                };
                // The host's mounts points are empty directories here; /usr and /etc are the
                // host's, not the build's.
                let inside = path.strip_prefix(self.build_root()).ok();
                let host_system = inside.is_some_and(|p| {
                    ["usr", "etc", "dev", "proc", "sys"]
                        .iter()
                        .any(|top| p.starts_with(top))
                });
                if path == platform_dir || host_system {
                    continue;
                }
                if file_type.is_dir() {
                    stack.push(path);
                } else if file_type.is_file()
                    && std::fs::read(&path)
                        .is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle))
                {
                    found.push(path);
                }
            }
        }
        Ok(found)
    }

    fn build_root(&self) -> PathBuf {
        self.root.join("build-root")
    }
    /// Empties the build cache, as `pack build --clear-cache` does.
    ///
    /// # Errors
    /// When the cache cannot be removed.
    pub fn discard_cache(&self) -> Result<(), PlatformError> {
        remove_dir(&self.cache_dir())
    }

    fn cache_dir(&self) -> PathBuf {
        self.root.join("cache")
    }
    fn layout_repo(&self) -> PathBuf {
        self.root.join("layout-repo")
    }
    fn buildpack_path(&self) -> String {
        format!(
            "/cnb/buildpacks/{}/{}",
            self.buildpack.id.replace('/', "_"),
            self.buildpack.version
        )
    }

    /// Lays out a fresh builder container: the app at /workspace, an empty /layers, the
    /// platform env at /platform/env, /cnb with the lifecycle, the buildpack, order.toml and
    /// run.toml; the cache and the layout repository carried over from earlier builds.
    fn prepare_build_root(
        &self,
        app_source: &Path,
        platform_env: &[(&str, &str)],
    ) -> Result<Sandbox, PlatformError> {
        let root = self.build_root();
        remove_dir(&root)?;
        let mut sandbox = Sandbox::with_host_system(&root).map_err(io_error("prepare sandbox"))?;
        for program in &self.hidden_programs {
            sandbox = sandbox.bind(Path::new("/dev/null"), &format!("/usr/bin/{program}"));
        }
        copy_tree(app_source, &sandbox.host_path("/workspace"))?;
        for (path, contents) in &self.build_files {
            let host_path = sandbox.host_path(path);
            if let Some(parent) = host_path.parent() {
                std::fs::create_dir_all(parent).map_err(io_error(parent.display()))?;
            }
            std::fs::write(&host_path, contents).map_err(io_error(host_path.display()))?;
        }
        let env_dir = sandbox.host_path("/platform/env");
        std::fs::create_dir_all(&env_dir).map_err(io_error("create /platform/env"))?;
        for (name, value) in platform_env {
            std::fs::write(env_dir.join(name), value).map_err(io_error("write platform env"))?;
        }
        for dir in [
            "/layers",
            CNB_HOME,
            "/cnb/lifecycle",
            &self.buildpack_path(),
            "/cache",
            "/layout-repo",
        ] {
            std::fs::create_dir_all(sandbox.host_path(dir)).map_err(io_error(dir))?;
        }
        std::fs::write(
            sandbox.host_path("/cnb/order.toml"),
            format!(
                "[[order]]\n[[order.group]]\nid = \"{}\"\nversion = \"{}\"\n",
                self.buildpack.id, self.buildpack.version
            ),
        )
        .map_err(io_error("write order.toml"))?;
        std::fs::write(
            sandbox.host_path("/cnb/run.toml"),
            format!("[[images]]\nimage = \"{RUN_IMAGE}\"\n"),
        )
        .map_err(io_error("write run.toml"))?;

        let run_image = image_dir(&self.layout_repo(), RUN_IMAGE);
        let (distro_name, distro_version) = host_distro();
        write_run_image(&run_image, &self.target_arch, &distro_name, &distro_version)
            .map_err(PlatformError)?;
        std::fs::create_dir_all(self.cache_dir()).map_err(io_error("create cache"))?;
        for dir in [
            sandbox.host_path("/workspace"),
            sandbox.host_path("/layers"),
            sandbox.host_path(CNB_HOME),
            self.cache_dir(),
            self.layout_repo(),
        ] {
            chown_tree(&dir, CNB_USER).map_err(io_error(format!("chown {}", dir.display())))?;
        }
        Ok(sandbox
            .bind_read_only(&self.lifecycle.dir, "/cnb/lifecycle")
            .bind_read_only(&self.buildpack.dir, &self.buildpack_path())
            .bind(&self.cache_dir(), "/cache")
            .bind(&self.layout_repo(), "/layout-repo"))
    }

    /// Runs one lifecycle phase in the sandbox with the environment a platform gives the
    /// lifecycle in a builder container; returns its exit code and appends its output to `log`.
    fn run_phase(
        &self,
        sandbox: &Sandbox,
        phase: &str,
        args: &[&str],
        user: Option<(u32, u32)>,
        report: &mut BuildReport,
    ) -> Result<i32, PlatformError> {
        let started = std::time::Instant::now();
        let log_path = self.root.join(format!("{phase}.log"));
        let log_file = File::create(&log_path).map_err(io_error(log_path.display()))?;
        let mut command = sandbox
            .command(&format!("/cnb/lifecycle/{phase}"), "/workspace", user)
            .map_err(io_error("sandbox"))?;
        let status = command
            .args(args)
            .env_clear()
            .envs([
                ("PATH", BUILDER_PATH),
                ("HOME", CNB_HOME),
                ("CNB_PLATFORM_API", PLATFORM_API),
                ("CNB_EXPERIMENTAL_MODE", "quiet"),
                ("CNB_USER_ID", "1000"),
                ("CNB_GROUP_ID", "1000"),
            ])
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().map_err(io_error("log"))?)
            .stderr(log_file)
            .status()
            .map_err(io_error(format!("run {phase}")))?;
        report
            .phase_durations
            .push((phase.to_string(), started.elapsed()));
        let _ = writeln!(report.log, "===> {}", phase.to_uppercase());
        report
            .log
            .push_str(&std::fs::read_to_string(&log_path).unwrap_or_default());
        Ok(status.code().unwrap_or(-1))
    }

    /// Builds `app_source` with the platform environment `platform_env` (written as
    /// `/platform/env/NAME` files) through the lifecycle's five phases, and exports the image.
    ///
    /// # Errors
    /// When the harness itself fails; a failing phase is a report, not an error.
    pub fn build(
        &self,
        app_source: &Path,
        platform_env: &[(&str, &str)],
    ) -> Result<BuildReport, PlatformError> {
        let sandbox = self.prepare_build_root(app_source, platform_env)?;
        let mut report = BuildReport {
            detect_passed: false,
            succeeded: false,
            log: String::new(),
            image_layers: Vec::new(),
            cache_layers: Vec::new(),
            home_entries: Vec::new(),
            phase_durations: Vec::new(),
        };
        let privileged = ["-uid", "1000", "-gid", "1000"];
        let layout = ["-layout", "-layout-dir", "/layout-repo"];

        let analyze: Vec<&str> = layout
            .iter()
            .chain(&privileged)
            .copied()
            .chain(["-run-image", RUN_IMAGE, APP_IMAGE])
            .collect();
        if self.run_phase(&sandbox, "analyzer", &analyze, None, &mut report)? != 0 {
            return Ok(report);
        }
        if self.run_phase(&sandbox, "detector", &[], Some(CNB_USER), &mut report)? != 0 {
            return Ok(report);
        }
        report.detect_passed = true;
        let restore: Vec<&str> = layout
            .iter()
            .chain(&privileged)
            .copied()
            .chain(["-cache-dir", "/cache"])
            .collect();
        if self.run_phase(&sandbox, "restorer", &restore, None, &mut report)? != 0 {
            return Ok(report);
        }
        let build_code = self.run_phase(&sandbox, "builder", &[], Some(CNB_USER), &mut report)?;
        report.home_entries = crate::entries_under(&sandbox.host_path(CNB_HOME))
            .iter()
            .map(|p| {
                p.strip_prefix(sandbox.host_path(CNB_HOME))
                    .unwrap_or(p)
                    .display()
                    .to_string()
            })
            .collect();
        if build_code != 0 {
            return Ok(report);
        }
        let export: Vec<&str> = layout
            .iter()
            .chain(&privileged)
            .copied()
            .chain(["-cache-dir", "/cache", APP_IMAGE])
            .collect();
        if self.run_phase(&sandbox, "exporter", &export, None, &mut report)? != 0 {
            return Ok(report);
        }
        report.succeeded = true;
        report.image_layers = self
            .image()?
            .json_label("io.buildpacks.lifecycle.metadata")
            .map(|metadata| layer_names(&metadata))
            .unwrap_or_default();
        report.cache_layers = layer_names(&self.cache_metadata().unwrap_or_default());
        Ok(report)
    }

    /// The last exported image.
    ///
    /// # Errors
    /// When no image has been exported.
    pub fn image(&self) -> Result<Image, PlatformError> {
        Image::open(&image_dir(&self.layout_repo(), APP_IMAGE)).map_err(PlatformError)
    }

    fn cache_metadata(&self) -> Option<Value> {
        let path = self
            .cache_dir()
            .join("committed")
            .join("io.buildpacks.lifecycle.cache.metadata");
        serde_json::from_slice(&std::fs::read(path).ok()?).ok()
    }

    /// The `[metadata]` the buildpack wrote for a cached layer, as the cache holds it.
    #[must_use]
    pub fn cached_layer_metadata(&self, name: &str) -> Option<Value> {
        self.cached_layer_entry(name)
            .map(|layer| layer["data"].clone())
    }

    /// A layer's entry in the build cache's metadata (`sha`, `data`, types).
    fn cached_layer_entry(&self, name: &str) -> Option<Value> {
        let mut metadata = self.cache_metadata()?;
        layer_entry_mut(&mut metadata, name).map(Value::take)
    }

    /// The digest of a cached layer's contents as the build cache stores it: unchanged between
    /// two builds exactly when the layer's files are.
    #[must_use]
    pub fn cached_layer_digest(&self, name: &str) -> Option<String> {
        self.cached_layer_entry(name)
            .and_then(|layer| layer["sha"].as_str().map(String::from))
    }

    /// The bytes each cached layer takes in the build cache, by layer name.
    #[must_use]
    pub fn cached_layer_sizes(&self) -> std::collections::BTreeMap<String, u64> {
        let mut sizes = std::collections::BTreeMap::new();
        for name in layer_names(&self.cache_metadata().unwrap_or_default()) {
            if let Ok(path) = self.cached_layer_tar(&name) {
                sizes.insert(
                    name,
                    std::fs::metadata(path).map(|m| m.len()).unwrap_or_default(),
                );
            }
        }
        sizes
    }

    /// The bytes each layer of the last exported image takes (its blob), by buildpack layer
    /// name; the run image's and the lifecycle's layers as `(run image)` and `(lifecycle)`.
    ///
    /// # Errors
    /// When there is no image.
    pub fn image_layer_sizes(
        &self,
    ) -> Result<std::collections::BTreeMap<String, u64>, PlatformError> {
        let image = self.image()?;
        let diff_ids: Vec<String> = image.config["rootfs"]["diff_ids"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|id| id.as_str().map(String::from))
            .collect();
        let metadata = image
            .json_label("io.buildpacks.lifecycle.metadata")
            .unwrap_or_default();
        let mut names: std::collections::HashMap<String, String> = std::collections::HashMap::new();
        for buildpack in metadata["buildpacks"].as_array().into_iter().flatten() {
            for (name, layer) in buildpack["layers"].as_object().into_iter().flatten() {
                if let Some(sha) = layer["sha"].as_str() {
                    names.insert(sha.to_string(), name.clone());
                }
            }
        }
        let run_image_top = metadata["runImage"]["topLayer"]
            .as_str()
            .unwrap_or_default();
        let mut sizes = std::collections::BTreeMap::new();
        let mut in_run_image = !run_image_top.is_empty();
        for (diff_id, blob) in diff_ids.iter().zip(&image.layers) {
            let name = match names.get(diff_id) {
                Some(name) => name.clone(),
                None if in_run_image => String::from("(run image)"),
                None => String::from("(lifecycle)"),
            };
            if diff_id == run_image_top {
                in_run_image = false;
            }
            *sizes.entry(name).or_insert(0) += blob.size;
        }
        Ok(sizes)
    }

    fn cached_layer_tar(&self, name: &str) -> Result<PathBuf, PlatformError> {
        let digest = self
            .cached_layer_digest(name)
            .ok_or_else(|| PlatformError(format!("no cached layer {name}")))?;
        Ok(self
            .cache_dir()
            .join("committed")
            .join(format!("{digest}.tar")))
    }

    /// Damages a layer in the build cache as if an earlier build had left it damaged and the
    /// exporter had cached it so: every regular file's contents pass through `edit` (by its
    /// path in the layer tarball), which may change them or drop the entry (`None`). The
    /// layer's digest is updated with it, so the restorer (which checks digests) restores the
    /// damaged files.
    ///
    /// # Errors
    /// When the layer is not cached or its tarball cannot be rewritten.
    pub fn damage_cached_layer(
        &self,
        name: &str,
        mut edit: impl FnMut(&str, Vec<u8>) -> Option<Vec<u8>>,
    ) -> Result<(), PlatformError> {
        let tar_path = self.cached_layer_tar(name)?;
        let original = std::fs::read(&tar_path).map_err(io_error(tar_path.display()))?;
        // Raw entries, so that extension headers (long names) are copied as they are; each
        // travels with the entry it belongs to. Layer tarballs hold absolute paths, which the
        // tar crate only accepts in headers it is given whole.
        let mut builder = tar::Builder::new(Vec::new());
        let mut archive = tar::Archive::new(original.as_slice());
        let mut pending_extensions: Vec<(tar::Header, Vec<u8>)> = Vec::new();
        let entries = archive.entries().map_err(io_error("read layer tar"))?;
        for entry in entries.raw(true) {
            let mut entry = entry.map_err(io_error("read layer tar"))?;
            let mut header = entry.header().clone();
            let mut contents = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut contents)
                .map_err(io_error("read entry"))?;
            let kind = header.entry_type();
            if kind.is_pax_local_extensions() || kind.is_gnu_longname() || kind.is_gnu_longlink() {
                pending_extensions.push((header, contents));
                continue;
            }
            if kind.is_file() {
                let path = header
                    .path()
                    .map_err(io_error("entry path"))?
                    .to_string_lossy()
                    .into_owned();
                let Some(edited) = edit(&path, contents) else {
                    pending_extensions.clear();
                    continue;
                };
                contents = edited;
                header.set_size(contents.len() as u64);
                header.set_cksum();
            }
            for (extension, data) in pending_extensions.drain(..) {
                builder
                    .append(&extension, data.as_slice())
                    .map_err(io_error("write entry"))?;
            }
            builder
                .append(&header, contents.as_slice())
                .map_err(io_error("write entry"))?;
        }
        let rewritten = builder.into_inner().map_err(io_error("finish tar"))?;
        let digest = format!("sha256:{}", crate::hex(&Sha256::digest(&rewritten)));
        let new_path = self
            .cache_dir()
            .join("committed")
            .join(format!("{digest}.tar"));
        std::fs::write(&new_path, rewritten).map_err(io_error(new_path.display()))?;
        std::fs::remove_file(&tar_path).map_err(io_error(tar_path.display()))?;
        self.edit_cached_layer_entry(name, |layer| layer["sha"] = Value::String(digest))
    }

    fn edit_cached_layer_entry(
        &self,
        name: &str,
        edit: impl FnOnce(&mut Value),
    ) -> Result<(), PlatformError> {
        let path = self
            .cache_dir()
            .join("committed")
            .join("io.buildpacks.lifecycle.cache.metadata");
        let mut metadata = self
            .cache_metadata()
            .ok_or_else(|| PlatformError(String::from("no cache metadata")))?;
        let layer = layer_entry_mut(&mut metadata, name)
            .ok_or_else(|| PlatformError(format!("no cached layer {name}")))?;
        edit(layer);
        let text = serde_json::to_vec(&metadata).map_err(|e| PlatformError(e.to_string()))?;
        std::fs::write(&path, text).map_err(io_error(path.display()))
    }

    /// Replaces the `[metadata]` the build cache holds for a layer, as a buildpack of another
    /// shape (or a damaged cache) would have left it.
    ///
    /// # Errors
    /// When the cache has no metadata or it cannot be written.
    pub fn replace_cached_layer_metadata(
        &self,
        name: &str,
        data: Value,
    ) -> Result<(), PlatformError> {
        self.edit_cached_layer_entry(name, |layer| layer["data"] = data)
    }

    /// The processes of the last exported image.
    ///
    /// # Errors
    /// When there is no image.
    pub fn processes(&self) -> Result<Vec<Process>, PlatformError> {
        let image = self.image()?;
        let entrypoint = image.entrypoint();
        let metadata = image
            .json_label("io.buildpacks.build.metadata")
            .ok_or_else(|| PlatformError(String::from("the image has no build metadata")))?;
        let strings = |value: &Value| -> Vec<String> {
            value
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        };
        let mut processes: Vec<Process> = metadata["processes"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|process| {
                let process_type = process["type"].as_str().unwrap_or_default().to_string();
                Process {
                    default: entrypoint.first().map(String::as_str)
                        == Some(format!("/cnb/process/{process_type}").as_str()),
                    command: strings(&process["command"]),
                    args: strings(&process["args"]),
                    working_dir: process["working-dir"].as_str().map(String::from),
                    process_type,
                }
            })
            .collect();
        processes.sort_by(|a, b| a.process_type.cmp(&b.process_type));
        Ok(processes)
    }

    /// Unpacks the last exported image into a fresh directory and returns it.
    ///
    /// # Errors
    /// When there is no image or it cannot be unpacked.
    pub fn unpack_image(&self) -> Result<PathBuf, PlatformError> {
        let number = self.launches.fetch_add(1, Ordering::SeqCst);
        let root = self.root.join(format!("image-root-{number}"));
        remove_dir(&root)?;
        self.image()?.unpack(&root).map_err(PlatformError)?;
        Ok(root)
    }

    /// Starts a process from the exported image as a container engine would: the image's
    /// layers unpacked into a fresh root, its entrypoint (the real launcher) run as the cnb
    /// user with the image's env and working dir. `process_type` `None` runs the image's
    /// entrypoint; `Some(type)` runs `/cnb/process/<type>`. `args` are given to the launcher,
    /// which appends them to the process's own, as `docker run <image> <args>` does.
    ///
    /// # Errors
    /// When the image cannot be unpacked or the process cannot be started.
    pub fn launch(
        &self,
        process_type: Option<&str>,
        args: &[&str],
        extra_env: &[(&str, &str)],
    ) -> Result<RunningProcess, PlatformError> {
        let image = self.image()?;
        let root = self.unpack_image()?;
        let sandbox = Sandbox::with_host_system(&root).map_err(io_error("prepare sandbox"))?;
        let entrypoint = match process_type {
            // A command of the user's (`docker run <image> -- go version` on a platform):
            // the launcher runs it directly in the image's environment.
            Some(LAUNCHER_COMMAND) => {
                vec![String::from("/cnb/lifecycle/launcher"), String::from("--")]
            }
            Some(wanted) => vec![format!("/cnb/process/{wanted}")],
            None => image.entrypoint(),
        };
        let program = entrypoint
            .first()
            .ok_or_else(|| PlatformError(String::from("the image has no entrypoint")))?;
        let log_path = root.with_extension("log");
        let log_file = File::create(&log_path).map_err(io_error(log_path.display()))?;
        let mut command = sandbox
            .command(program, &image.working_dir(), Some(CNB_USER))
            .map_err(io_error("sandbox"))?;
        let child = command
            .args(&entrypoint[1..])
            .args(args)
            .env_clear()
            // As a container engine does: HOME from the image user's passwd entry, unless the
            // image sets it.
            .env("HOME", CNB_HOME)
            .envs(image.env())
            .envs(extra_env.iter().copied())
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().map_err(io_error("log"))?)
            .stderr(log_file)
            .spawn()
            .map_err(io_error(format!("start {program}")))?;
        Ok(RunningProcess { child, log_path })
    }
}

/// A launched process; stopped when dropped.
pub struct RunningProcess {
    child: Child,
    log_path: PathBuf,
}

impl RunningProcess {
    /// What the process printed so far.
    #[must_use]
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// Waits until the process exits, up to `timeout`; returns its exit code.
    #[must_use]
    pub fn wait_for_exit(&mut self, timeout: std::time::Duration) -> Option<i32> {
        let deadline = std::time::Instant::now() + timeout;
        while std::time::Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status.code().unwrap_or(-1));
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        None
    }
}

impl Drop for RunningProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
