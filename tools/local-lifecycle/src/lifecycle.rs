//! detect → restore → build → export, then launch: a stand-in for the CNB lifecycle on a machine
//! without Docker. One `Lifecycle` is one app image and its cache; every build uses the same
//! absolute paths, as in a builder container.

use crate::env_files::{apply_env_dir, prepend_path, EnvMap};
use crate::layers::{
    check_built_layer, check_launch_toml, parse_layer_toml, restore_for, restored_layer_toml,
    LayerToml, Process, Restore,
};
use crate::package::PackagedBuildpack;
use std::fmt::Write as _;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The variables the lifecycle lets through from its own environment into a build
/// (lifecycle `env.BuildEnvIncludelist` and the POSIX build path variables).
const BUILD_ENV_INCLUDELIST: &[&str] = &[
    "CNB_STACK_ID",
    "HOSTNAME",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "NO_PROXY",
    "no_proxy",
    "PATH",
    "LD_LIBRARY_PATH",
    "LIBRARY_PATH",
    "CPATH",
    "PKG_CONFIG_PATH",
];

const LAUNCH_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

#[derive(Debug)]
pub struct LifecycleError(pub String);

impl std::fmt::Display for LifecycleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LifecycleError {}

fn io_error(context: impl std::fmt::Display) -> impl FnOnce(std::io::Error) -> LifecycleError {
    move |error| LifecycleError(format!("{context}: {error}"))
}

/// What a build did.
#[derive(Debug, Clone)]
pub struct BuildReport {
    pub detect_passed: bool,
    pub succeeded: bool,
    /// detect and build output, in order.
    pub log: String,
    /// Layers the image holds after export.
    pub image_layers: Vec<String>,
    /// Layers the cache holds after export.
    pub cache_layers: Vec<String>,
    /// Files the build left in HOME, which a buildpack must not write to.
    pub home_entries: Vec<String>,
}

pub struct Lifecycle {
    root: PathBuf,
    buildpack: PackagedBuildpack,
    target_arch: String,
}

/// Copies a directory tree, keeping modes and symlinks.
fn copy_tree(from: &Path, to: &Path) -> Result<(), LifecycleError> {
    std::fs::create_dir_all(to).map_err(io_error(format!("create {}", to.display())))?;
    let status = Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", from.display()))
        .arg(to)
        .status()
        .map_err(io_error("run cp"))?;
    if status.success() {
        Ok(())
    } else {
        Err(LifecycleError(format!(
            "copying {} to {} failed",
            from.display(),
            to.display()
        )))
    }
}

fn remove_dir(path: &Path) -> Result<(), LifecycleError> {
    match std::fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(LifecycleError(format!(
            "remove {}: {error}",
            path.display()
        ))),
    }
}

/// `<layer>.toml` files of a layers directory, by layer name.
fn layer_tomls(dir: &Path) -> Result<Vec<(String, LayerToml)>, LifecycleError> {
    let mut layers = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(layers);
    };
    for entry in entries {
        let path = entry.map_err(io_error("read layers"))?.path();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".toml"))
        else {
            continue;
        };
        if ["launch", "build", "store"].contains(&name) {
            continue;
        }
        let contents = std::fs::read_to_string(&path).map_err(io_error(path.display()))?;
        layers.push((
            name.to_string(),
            parse_layer_toml(&contents, name).map_err(LifecycleError)?,
        ));
    }
    layers.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(layers)
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

impl Lifecycle {
    /// # Errors
    /// When the root directory cannot be created.
    pub fn new(root: &Path, buildpack: &PackagedBuildpack) -> Result<Self, LifecycleError> {
        std::fs::create_dir_all(root).map_err(io_error(root.display()))?;
        Ok(Lifecycle {
            root: root.to_path_buf(),
            buildpack: buildpack.clone(),
            target_arch: host_arch().to_string(),
        })
    }

    /// Pretends the build targets another architecture (`CNB_TARGET_ARCH`), as a builder for it
    /// would.
    #[must_use]
    pub fn with_target_arch(mut self, arch: &str) -> Self {
        self.target_arch = arch.to_string();
        self
    }

    #[must_use]
    pub fn app_dir(&self) -> PathBuf {
        self.root.join("workspace")
    }
    #[must_use]
    pub fn layers_dir(&self) -> PathBuf {
        self.root.join("layers")
    }
    #[must_use]
    pub fn buildpack_layers_dir(&self) -> PathBuf {
        self.layers_dir().join(self.buildpack.id.replace('/', "_"))
    }
    fn platform_dir(&self) -> PathBuf {
        self.root.join("platform")
    }
    fn cache_dir(&self) -> PathBuf {
        self.root.join("cache")
    }
    fn image_dir(&self) -> PathBuf {
        self.root.join("image")
    }
    fn home_dir(&self) -> PathBuf {
        self.root.join("home")
    }

    fn build_env(&self) -> EnvMap {
        let mut env: EnvMap = std::env::vars()
            .filter(|(key, _)| BUILD_ENV_INCLUDELIST.contains(&key.as_str()))
            .collect();
        env.insert(String::from("HOME"), self.home_dir().display().to_string());
        let (distro_name, distro_version) = host_distro();
        for (key, value) in [
            (
                "CNB_BUILDPACK_DIR",
                self.buildpack.dir.display().to_string(),
            ),
            (
                "CNB_PLATFORM_DIR",
                self.platform_dir().display().to_string(),
            ),
            (
                "CNB_LAYERS_DIR",
                self.buildpack_layers_dir().display().to_string(),
            ),
            ("CNB_TARGET_OS", String::from("linux")),
            ("CNB_TARGET_ARCH", self.target_arch.clone()),
            ("CNB_TARGET_DISTRO_NAME", distro_name),
            ("CNB_TARGET_DISTRO_VERSION", distro_version),
        ] {
            env.insert(key.to_string(), value);
        }
        env
    }

    fn run_phase(
        &self,
        phase: &str,
        args: &[PathBuf],
        env: &EnvMap,
        log: &mut String,
    ) -> Result<i32, LifecycleError> {
        let log_path = self.root.join(format!("{phase}.log"));
        let log_file = File::create(&log_path).map_err(io_error(log_path.display()))?;
        let status = Command::new(self.buildpack.dir.join("bin").join(phase))
            .args(args)
            .env_clear()
            .envs(env)
            .current_dir(self.app_dir())
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().map_err(io_error("log"))?)
            .stderr(log_file)
            .status()
            .map_err(io_error(format!("run bin/{phase}")))?;
        log.push_str(&std::fs::read_to_string(&log_path).unwrap_or_default());
        Ok(status.code().unwrap_or(-1))
    }

    /// Builds `app_source` with the platform environment `platform_env` (written as
    /// `<platform>/env/NAME` files, and so in the buildpack's environment).
    ///
    /// # Errors
    /// When the runner itself fails; a failing detect or build is a report, not an error.
    pub fn build(
        &self,
        app_source: &Path,
        platform_env: &[(&str, &str)],
    ) -> Result<BuildReport, LifecycleError> {
        // The workspace and layers start fresh; only the cache and the image carry over.
        remove_dir(&self.app_dir())?;
        copy_tree(app_source, &self.app_dir())?;
        remove_dir(&self.layers_dir())?;
        std::fs::create_dir_all(self.buildpack_layers_dir()).map_err(io_error("create layers"))?;
        remove_dir(&self.home_dir())?;
        std::fs::create_dir_all(self.home_dir()).map_err(io_error("create home"))?;
        remove_dir(&self.platform_dir())?;
        let platform_env_dir = self.platform_dir().join("env");
        std::fs::create_dir_all(&platform_env_dir).map_err(io_error("create platform"))?;
        for (name, value) in platform_env {
            std::fs::write(platform_env_dir.join(name), value)
                .map_err(io_error("write platform env"))?;
        }

        let mut env = self.build_env();
        for (name, value) in platform_env {
            env.insert((*name).to_string(), (*value).to_string());
        }

        let mut report = BuildReport {
            detect_passed: false,
            succeeded: false,
            log: String::new(),
            image_layers: Vec::new(),
            cache_layers: Vec::new(),
            home_entries: Vec::new(),
        };

        // detect
        let build_plan = self.layers_dir().join("detect-plan.toml");
        let code = self.run_phase(
            "detect",
            &[self.platform_dir(), build_plan.clone()],
            &env,
            &mut report.log,
        )?;
        match code {
            0 => report.detect_passed = true,
            100 => return Ok(report),
            other => {
                let _ = write!(
                    report.log,
                    "\n[local-lifecycle] detect errored with exit code {other}\n"
                );
                return Ok(report);
            }
        }
        let buildpack_plan = self.layers_dir().join("plan.toml");
        std::fs::write(&buildpack_plan, resolve_plan(&build_plan)?)
            .map_err(io_error("write plan"))?;

        // restore
        self.restore()?;

        // build
        let code = self.run_phase(
            "build",
            &[
                self.buildpack_layers_dir(),
                self.platform_dir(),
                buildpack_plan,
            ],
            &env,
            &mut report.log,
        )?;
        report.home_entries = entries_under(&self.home_dir())
            .iter()
            .map(|p| {
                p.strip_prefix(self.home_dir())
                    .unwrap_or(p)
                    .display()
                    .to_string()
            })
            .collect();
        if code != 0 {
            let _ = write!(
                report.log,
                "\n[local-lifecycle] build failed with exit code {code}; nothing exported\n"
            );
            return Ok(report);
        }

        // export
        match self.export() {
            Ok((image_layers, cache_layers)) => {
                report.image_layers = image_layers;
                report.cache_layers = cache_layers;
                report.succeeded = true;
            }
            Err(LifecycleError(reason)) => {
                let _ = write!(
                    report.log,
                    "\n[local-lifecycle] export rejected the build: {reason}\n"
                );
            }
        }
        Ok(report)
    }

    fn restore(&self) -> Result<(), LifecycleError> {
        let layers_dir = self.buildpack_layers_dir();
        let image_layers = self.image_dir().join("layers");
        let cached = layer_tomls(&self.cache_dir())?;
        let launched = layer_tomls(&image_layers)?;
        let mut names: Vec<&String> = cached.iter().chain(&launched).map(|(n, _)| n).collect();
        names.sort();
        names.dedup();
        for name in names {
            let from_cache = cached.iter().find(|(n, _)| n == name).map(|(_, l)| l);
            let from_image = launched.iter().find(|(n, _)| n == name).map(|(_, l)| l);
            let Some(previous) = from_image.or(from_cache) else {
                continue;
            };
            match restore_for(previous.types) {
                Restore::MetadataAndContents => {
                    let contents = self.cache_dir().join(name);
                    if contents.is_dir() {
                        copy_tree(&contents, &layers_dir.join(name))?;
                    }
                }
                Restore::MetadataOnly => {}
                Restore::Nothing => continue,
            }
            std::fs::write(
                layers_dir.join(format!("{name}.toml")),
                restored_layer_toml(previous),
            )
            .map_err(io_error("write restored layer toml"))?;
        }
        Ok(())
    }

    /// Writes the new image and cache, or nothing when the build is rejected.
    fn export(&self) -> Result<(Vec<String>, Vec<String>), LifecycleError> {
        let layers_dir = self.buildpack_layers_dir();
        let built = layer_tomls(&layers_dir)?;
        let launch_toml =
            std::fs::read_to_string(layers_dir.join("launch.toml")).unwrap_or_default();
        check_launch_toml(&launch_toml).map_err(LifecycleError)?;
        for (name, layer) in &built {
            check_built_layer(name, layer, &layers_dir.join(name)).map_err(LifecycleError)?;
        }

        let new_image = self.root.join("image.new");
        let new_cache = self.root.join("cache.new");
        remove_dir(&new_image)?;
        remove_dir(&new_cache)?;
        std::fs::create_dir_all(new_image.join("layers")).map_err(io_error("create image"))?;
        std::fs::create_dir_all(&new_cache).map_err(io_error("create cache"))?;

        let mut image_layers = Vec::new();
        let mut cache_layers = Vec::new();
        for (name, layer) in built.iter().filter(|(_, l)| l.types.any()) {
            let contents = layers_dir.join(name);
            let record = std::fs::read_to_string(layers_dir.join(format!("{name}.toml")))
                .map_err(io_error("read layer toml"))?;
            if layer.types.launch {
                let source = if contents.is_dir() {
                    contents.clone()
                } else {
                    // Metadata-only launch layer: the previous image's copy is reused.
                    let previous = self.image_dir().join("layers").join(name);
                    if !previous.is_dir() {
                        return Err(LifecycleError(format!(
                            "launch layer `{name}` has no contents and the previous image has none to reuse"
                        )));
                    }
                    previous
                };
                copy_tree(&source, &new_image.join("layers").join(name))?;
                std::fs::write(
                    new_image.join("layers").join(format!("{name}.toml")),
                    &record,
                )
                .map_err(io_error("write image layer toml"))?;
                image_layers.push(name.clone());
            }
            if layer.types.cache {
                if contents.is_dir() {
                    // The layers directory is discarded after the build: moving is enough.
                    std::fs::rename(&contents, new_cache.join(name))
                        .map_err(io_error("move cache layer"))?;
                }
                std::fs::write(new_cache.join(format!("{name}.toml")), &record)
                    .map_err(io_error("write cache layer toml"))?;
                cache_layers.push(name.clone());
            }
        }
        std::fs::write(new_image.join("launch.toml"), &launch_toml)
            .map_err(io_error("write launch.toml"))?;
        copy_tree(&self.app_dir(), &new_image.join("app"))?;

        remove_dir(&self.image_dir())?;
        std::fs::rename(&new_image, self.image_dir()).map_err(io_error("replace image"))?;
        remove_dir(&self.cache_dir())?;
        std::fs::rename(&new_cache, self.cache_dir()).map_err(io_error("replace cache"))?;
        Ok((image_layers, cache_layers))
    }

    /// The processes of the last exported image.
    ///
    /// # Errors
    /// When there is no image or its launch.toml is invalid.
    pub fn processes(&self) -> Result<Vec<Process>, LifecycleError> {
        let launch_toml = std::fs::read_to_string(self.image_dir().join("launch.toml"))
            .map_err(io_error("no image has been exported yet"))?;
        check_launch_toml(&launch_toml).map_err(LifecycleError)
    }

    /// The `[metadata]` of a layer in the cache, for tests to look at.
    #[must_use]
    pub fn cached_layer_metadata(&self, name: &str) -> Option<toml::Table> {
        let contents =
            std::fs::read_to_string(self.cache_dir().join(format!("{name}.toml"))).ok()?;
        parse_layer_toml(&contents, name).ok()?.metadata
    }

    /// Starts a process of the last image as the launcher would: layers back at their build
    /// paths, `bin/` on PATH, `env/` and `env.launch/` applied, the command executed directly.
    /// `process_type` `None` runs the default process.
    ///
    /// # Errors
    /// When there is no such process or it cannot be started.
    pub fn launch(
        &self,
        process_type: Option<&str>,
        extra_env: &[(&str, &str)],
    ) -> Result<RunningProcess, LifecycleError> {
        let processes = self.processes()?;
        let process = match process_type {
            Some(wanted) => processes.iter().find(|p| p.process_type == wanted),
            None => processes.iter().find(|p| p.default),
        }
        .ok_or_else(|| {
            LifecycleError(format!(
                "no process {} in the image (it has: {})",
                process_type.unwrap_or("marked default"),
                processes
                    .iter()
                    .map(|p| p.process_type.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;

        // The image's layers go back to the paths they were built at.
        remove_dir(&self.layers_dir())?;
        let image_layers = self.image_dir().join("layers");
        let mut env = EnvMap::new();
        env.insert(String::from("PATH"), String::from(LAUNCH_PATH));
        env.insert(String::from("HOME"), self.home_dir().display().to_string());
        env.insert(
            String::from("CNB_APP_DIR"),
            self.app_dir().display().to_string(),
        );
        env.insert(
            String::from("CNB_LAYERS_DIR"),
            self.layers_dir().display().to_string(),
        );
        for (name, _) in layer_tomls(&image_layers)? {
            let layer_dir = self.buildpack_layers_dir().join(&name);
            copy_tree(&image_layers.join(&name), &layer_dir)?;
            if layer_dir.join("bin").is_dir() {
                prepend_path(&mut env, "PATH", &layer_dir.join("bin"));
            }
            if layer_dir.join("lib").is_dir() {
                prepend_path(&mut env, "LD_LIBRARY_PATH", &layer_dir.join("lib"));
            }
            apply_env_dir(&mut env, &layer_dir.join("env")).map_err(io_error("apply env/"))?;
            apply_env_dir(&mut env, &layer_dir.join("env.launch"))
                .map_err(io_error("apply env.launch/"))?;
        }
        remove_dir(&self.app_dir())?;
        copy_tree(&self.image_dir().join("app"), &self.app_dir())?;
        for (key, value) in extra_env {
            env.insert((*key).to_string(), (*value).to_string());
        }

        let program = resolve_command(&process.command[0], &env)?;
        let log_path = self
            .root
            .join(format!("launch-{}.log", process.process_type));
        let log_file = File::create(&log_path).map_err(io_error(log_path.display()))?;
        let working_dir = process
            .working_dir
            .as_ref()
            .map_or_else(|| self.app_dir(), PathBuf::from);
        let child = Command::new(program)
            .args(&process.command[1..])
            .args(&process.args)
            .env_clear()
            .envs(&env)
            .current_dir(working_dir)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().map_err(io_error("log"))?)
            .stderr(log_file)
            .spawn()
            .map_err(io_error(format!("start process {}", process.process_type)))?;
        Ok(RunningProcess { child, log_path })
    }
}

/// Finds `command` on the launch PATH unless it is a path already.
fn resolve_command(command: &str, env: &EnvMap) -> Result<PathBuf, LifecycleError> {
    if command.contains('/') {
        return Ok(PathBuf::from(command));
    }
    env.get("PATH")
        .into_iter()
        .flat_map(|path| path.split(':'))
        .map(|dir| Path::new(dir).join(command))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| LifecycleError(format!("`{command}` is not on the launch PATH")))
}

/// Turns the detect output into the build's buildpack plan: every `requires` entry, if the
/// buildpack also `provides` it (one buildpack in the group, so nothing else can).
fn resolve_plan(build_plan: &Path) -> Result<String, LifecycleError> {
    let contents = std::fs::read_to_string(build_plan).unwrap_or_default();
    let table: toml::Table = toml::from_str(&contents)
        .map_err(|e| LifecycleError(format!("detect wrote an invalid build plan: {e}")))?;
    let names = |key: &str| -> Vec<String> {
        table
            .get(key)
            .and_then(toml::Value::as_array)
            .map(|entries| {
                entries
                    .iter()
                    .filter_map(|e| {
                        e.get("name")
                            .and_then(toml::Value::as_str)
                            .map(String::from)
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let provides = names("provides");
    let mut plan = String::new();
    for required in names("requires") {
        if !provides.contains(&required) {
            return Err(LifecycleError(format!(
                "the build plan requires `{required}`, which nothing provides"
            )));
        }
        let _ = write!(
            plan,
            "[[entries]]\nname = \"{required}\"\n\n[entries.metadata]\n\n"
        );
    }
    Ok(plan)
}

/// Every file and directory below `dir`, sorted.
#[must_use]
pub fn entries_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path.clone());
            }
            found.push(path);
        }
    }
    found.sort();
    found
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
