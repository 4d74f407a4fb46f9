//! The end-to-end tests' view of an app on the platform users run: each build is a `pack
//! build` with a builder image on the Docker daemon, driven by libcnb-test (`TestRunner::build`,
//! then `TestContext::rebuild` for every later build of the same app, so that pack restores the
//! previous image and its build cache volume); each process runs in a container started by
//! libcnb-test and is asked over HTTP on a published port.
//!
//! libcnb-test hands a build's context to a closure; a test here is a sequence of builds with
//! edits between them, so the context is kept between calls and the next build rebuilds from it.
//! Every image, container and volume is removed when the app is dropped (libcnb-test does it).
//!
//! These helpers assert: a failure panics with what went wrong, as a test wants.
#![allow(clippy::missing_panics_doc)]

use crate::docker::{docker, CacheVolume, Image};
use crate::go_binary::go_version_of_file;
use crate::package::package_buildpack;
use crate::services::LocalServices;
use crate::{wait_for_http, workspace_root, Response};
use libcnb_test::{
    BuildConfig, BuildpackReference, ContainerConfig, PackResult, TestContext, TestRunner,
};
use serde_json::Value;
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

/// The builder `tools/platform/setup.sh` makes; `INTEGRATION_TEST_BUILDER` names another
/// (`heroku/builder:24`, say).
pub const DEFAULT_BUILDER: &str = "gocnb/builder:bookworm";
/// The same builder on a build image without git.
pub const BUILDER_WITHOUT_GIT: &str = "gocnb/builder:bookworm-no-git";
/// The builder whose run image is for `arch` (made by `tools/platform/setup.sh` for arm64 and
/// ppc64le): the lifecycle takes the build's target from the run image.
#[must_use]
pub fn builder_for_run_arch(arch: &str) -> String {
    format!("{DEFAULT_BUILDER}-run-{arch}")
}

/// The port apps listen on in their containers (`PORT`).
pub const APP_PORT: u16 = 8080;
/// Runs the arguments as a command of its own in the image's environment (what `docker run
/// --entrypoint launcher <image> <command>` does), rather than a process of the image.
pub const LAUNCHER_COMMAND: &str = "launcher";

static RUNNER: TestRunner = TestRunner {};

#[must_use]
pub fn builder() -> String {
    std::env::var("INTEGRATION_TEST_BUILDER")
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| String::from(DEFAULT_BUILDER))
}

/// The buildpack, packaged once per test run (pack is given its directory).
pub fn buildpack_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| package_buildpack(&workspace_root()).expect("packaging the buildpack"))
}

/// A helper buildpack of the tests (`tools/e2e-harness/buildpacks/<name>`).
#[must_use]
pub fn test_buildpack_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("buildpacks")
        .join(name)
}

/// A buildpack that runs after this one and lists what the build left in HOME, which a
/// buildpack must not write to (HOME is not a layer: nothing there is kept or exported).
fn home_probe_dir() -> PathBuf {
    test_buildpack_dir("home-probe")
}

/// What a build did, as pack and the daemon tell.
#[derive(Debug, Clone)]
pub struct BuildReport {
    pub succeeded: bool,
    pub detect_passed: bool,
    /// pack's output (standard output, then standard error).
    pub log: String,
    /// Layers of the image (from its lifecycle metadata), sorted; empty after a failure.
    pub image_layers: Vec<String>,
    /// Layers in the build cache after the build, sorted; empty after a failure.
    pub cache_layers: Vec<String>,
    /// What the build left in HOME, as the probe buildpack after this one saw it.
    pub home_entries: Vec<String>,
}

/// A process of the image (`io.buildpacks.build.metadata`).
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

pub struct TestApp {
    dir: tempfile::TempDir,
    pub services: LocalServices,
    builder: String,
    /// The context of the last build: the next build is its rebuild.
    context: RefCell<Option<TestContext<'static>>>,
    /// The image libcnb-test named, once a build succeeded.
    image_name: RefCell<Option<String>>,
    /// Copies of the image's files made for the test, removed with the app.
    unpacked: RefCell<Vec<tempfile::TempDir>>,
    /// Mounted into the build container (`pack build --volume`), which libcnb-test cannot do:
    /// builds with volumes run pack directly, into an image of the harness's own naming.
    volumes: Vec<String>,
    /// Helper buildpacks ([`test_buildpack_dir`]) before and after this one in the group.
    before: Vec<PathBuf>,
    after: Vec<PathBuf>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if !self.volumes.is_empty() {
            if let Some(image) = self.image_name.borrow().as_deref() {
                crate::pack_cli::remove_image(image);
            }
        }
    }
}

/// Copies `test-fixtures/<fixture>` so the test may edit it, and starts its services.
#[must_use]
pub fn app(fixture: &str) -> TestApp {
    app_on(fixture, &builder())
}

/// [`app`] built with another builder.
#[must_use]
pub fn app_on(fixture: &str, builder: &str) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = workspace_root().join("test-fixtures").join(fixture);
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(&source)
        .arg(dir.path().join("app"))
        .status()
        .expect("cp");
    assert!(status.success(), "copy {}", source.display());
    let services = LocalServices::start(&workspace_root(), &dir.path().join("services"))
        .expect("local services");
    TestApp {
        dir,
        services,
        builder: builder.to_string(),
        context: RefCell::new(None),
        image_name: RefCell::new(None),
        unpacked: RefCell::new(Vec::new()),
        volumes: Vec::new(),
        before: Vec::new(),
        after: Vec::new(),
    }
}

/// [`app`] whose builds see `files` (path in the build container, contents) at `/platform/…`
/// paths, as a platform mounts service bindings: `pack build --volume` of a directory per
/// binding. libcnb-test cannot mount volumes, so these builds run `pack build` directly and
/// their processes run with `docker run`.
#[must_use]
pub fn app_with_bindings(fixture: &str, files: &[(&str, String)]) -> TestApp {
    let mut app = app(fixture);
    let bindings = app.dir.path().join("bindings");
    let mut mounts = std::collections::BTreeSet::new();
    for (path, contents) in files {
        let relative = path
            .strip_prefix("/platform/")
            .expect("binding files are under /platform");
        let (binding_root, rest) = relative.split_once('/').expect("<root>/<binding>/<file>");
        let (binding, _) = rest.split_once('/').expect("<binding>/<file>");
        let host = bindings.join(relative);
        std::fs::create_dir_all(host.parent().expect("parent")).expect("binding dir");
        std::fs::write(&host, contents).expect("binding file");
        mounts.insert(format!(
            "{}:/platform/{binding_root}/{binding}:ro",
            bindings.join(binding_root).join(binding).display()
        ));
    }
    // The build user (another uid) must be able to read them.
    let status = std::process::Command::new("chmod")
        .args(["-R", "a+rX"])
        .arg(&bindings)
        .status()
        .expect("chmod");
    assert!(status.success());
    app.volumes = mounts.into_iter().collect();
    app
}

/// The ID of an image, if it exists.
fn image_id(name: &str) -> Option<String> {
    docker(&["image", "inspect", "--format", "{{.Id}}", name])
        .ok()
        .map(|out| String::from_utf8_lossy(&out).trim().to_string())
}

/// Removes the image with this ID unless a name still points at it. Builds are reproducible, so
/// another test's image may have the very ID this app's previous image had: removing by ID
/// would take that image away from the test that is using it.
fn remove_if_untagged(id: &str) {
    let tags = docker(&["image", "inspect", "--format", "{{len .RepoTags}}", id])
        .map(|out| String::from_utf8_lossy(&out).trim().to_string());
    if tags.as_deref() == Ok("0") {
        let _ = docker(&["image", "rm", id]);
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

/// A layer's entry in lifecycle metadata (`buildpacks[].layers.<name>`).
fn layer_entry_mut<'a>(metadata: &'a mut Value, name: &str) -> Option<&'a mut Value> {
    metadata["buildpacks"]
        .as_array_mut()?
        .iter_mut()
        .find_map(|buildpack| buildpack["layers"].get_mut(name))
}

const CACHE_METADATA: &str = "committed/io.buildpacks.lifecycle.cache.metadata";

impl TestApp {
    /// The app built in a group: the test buildpacks named `before` this buildpack and `after`
    /// it (the home probe stays last).
    #[must_use]
    pub fn in_group(mut self, before: &[&str], after: &[&str]) -> Self {
        self.before = before.iter().map(|name| test_buildpack_dir(name)).collect();
        self.after = after.iter().map(|name| test_buildpack_dir(name)).collect();
        self
    }

    /// The buildpacks of each build, in order.
    pub fn buildpacks(&self) -> Vec<PathBuf> {
        let mut buildpacks = self.before.clone();
        buildpacks.push(buildpack_dir().clone());
        buildpacks.extend(self.after.iter().cloned());
        buildpacks.push(home_probe_dir());
        buildpacks
    }

    pub fn source(&self) -> PathBuf {
        self.dir.path().join("app")
    }

    pub fn write(&self, relative: &str, contents: &str) {
        let path = self.source().join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create app dir");
        }
        std::fs::write(path, contents).expect("write app file");
    }

    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.source().join(relative)).expect("read app file")
    }

    /// The services' platform env, with `extra` added or replacing its values.
    pub fn build_env(&self, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut env = self.services.platform_env();
        for (key, value) in extra {
            env.retain(|(k, _)| k != key);
            env.push(((*key).to_string(), (*value).to_string()));
        }
        env
    }

    /// `pack build` with the services' platform env plus `extra`, expecting `expected`.
    fn build(&self, extra: &[(&str, &str)], expected: PackResult) -> BuildReport {
        let env = self.build_env(extra);
        if !self.volumes.is_empty() {
            return self.build_with_volumes(&env, expected);
        }
        let mut config = BuildConfig::new(&self.builder, self.source());
        config
            .buildpacks(
                self.buildpacks()
                    .iter()
                    .map(|dir| BuildpackReference::Other(dir.display().to_string()))
                    .collect::<Vec<_>>(),
            )
            .target_triple(crate::package::target_triple())
            .envs(env)
            .expected_pack_result(expected.clone());
        // A rebuild leaves the image it replaces without a name: it is removed after the build.
        let replaced = self.image_name.borrow().as_deref().and_then(image_id);
        let mut next = None;
        let keep = |context: TestContext<'_>| {
            // SAFETY: the only borrow a TestContext holds is of the TestRunner that made it,
            // which is RUNNER, a static: the context may live as long as the program. (The
            // closure's type is generic over that lifetime, which is why it must be restated.)
            next = Some(unsafe {
                std::mem::transmute::<TestContext<'_>, TestContext<'static>>(context)
            });
        };
        match self.context.borrow_mut().take() {
            Some(previous) => previous.rebuild(config, keep),
            None => RUNNER.build(config, keep),
        }
        let context = next.expect("libcnb-test returns a context");
        let log = format!("{}{}", context.pack_stdout, context.pack_stderr);
        let succeeded = matches!(expected, PackResult::Success);
        if succeeded {
            let name = crate::plain(&context.pack_stdout)
                .lines()
                .find_map(|line| line.split("Successfully built image ").nth(1))
                .map_or_else(
                    || panic!("pack named no image:\n{log}"),
                    |name| name.trim().trim_matches('\'').to_string(),
                );
            *self.image_name.borrow_mut() = Some(name);
        }
        *self.context.borrow_mut() = Some(context);
        if let Some(replaced) = replaced {
            if self.image_name.borrow().as_deref().and_then(image_id) != Some(replaced.clone()) {
                remove_if_untagged(&replaced);
            }
        }
        self.report(log, succeeded)
    }

    /// A build `pack` runs with [`Self::volumes`] mounted, into an image named for the app.
    fn build_with_volumes(&self, env: &[(String, String)], expected: PackResult) -> BuildReport {
        let image = format!(
            "gocnb-e2e-{}",
            self.dir
                .path()
                .file_name()
                .map(|n| n.to_string_lossy().to_lowercase())
                .unwrap_or_default()
                .trim_start_matches('.')
        );
        let buildpacks = self.buildpacks();
        let result = crate::pack_cli::pack_build(
            &image,
            &self.builder,
            &self.source(),
            &buildpacks.iter().map(PathBuf::as_path).collect::<Vec<_>>(),
            env,
            &self.volumes,
        );
        let (log, succeeded) = match (result, expected) {
            (Ok((log, _)), PackResult::Success) => (log, true),
            (Err(log), PackResult::Failure) => (log, false),
            (Ok((log, _)), PackResult::Failure) => panic!("the build should have failed:\n{log}"),
            (Err(log), PackResult::Success) => panic!("{log}"),
        };
        if succeeded {
            *self.image_name.borrow_mut() = Some(image);
        }
        self.report(log, succeeded)
    }

    fn report(&self, log: String, succeeded: bool) -> BuildReport {
        let home_entries = crate::plain(&log)
            .lines()
            .filter_map(|line| line.split("[home-probe] ").nth(1))
            .filter(|entry| *entry != "done")
            .map(String::from)
            .collect();
        let mut report = BuildReport {
            succeeded,
            detect_passed: !log.contains("No buildpack groups passed detection"),
            log,
            image_layers: Vec::new(),
            cache_layers: Vec::new(),
            home_entries,
        };
        if succeeded {
            report.image_layers = self
                .image()
                .json_label("io.buildpacks.lifecycle.metadata")
                .map(|metadata| layer_names(&metadata))
                .unwrap_or_default();
            report.cache_layers = layer_names(&self.cache_metadata().unwrap_or_default());
        }
        report
    }

    pub fn build_ok(&self, extra: &[(&str, &str)]) -> BuildReport {
        let report = self.build(extra, PackResult::Success);
        assert!(
            report.log.contains("[home-probe] done"),
            "the probe after the buildpack did not run:\n{}",
            report.log
        );
        assert!(
            report.home_entries.is_empty(),
            "the build wrote outside its layers, into HOME: {:?}",
            report.home_entries
        );
        self.assert_binaries_built_with_resolved_go(&report);
        report
    }

    pub fn build_fails(&self, extra: &[(&str, &str)]) -> BuildReport {
        self.build(extra, PackResult::Failure)
    }

    /// A rebuild whose build container is killed as soon as the output shows `marker`; its
    /// output. The next build uses the same cache volume and image name.
    pub fn build_killed_at(&self, extra: &[(&str, &str)], marker: &str) -> String {
        let env = self.build_env(extra);
        let buildpacks = self.buildpacks();
        crate::pack_cli::pack_build_killed_at(
            &self.image().0,
            &self.builder,
            &self.source(),
            &buildpacks.iter().map(PathBuf::as_path).collect::<Vec<_>>(),
            &env,
            marker,
        )
        .unwrap_or_else(|error| panic!("{error}"))
    }

    /// The image of the last successful build.
    pub fn image(&self) -> Image {
        Image(
            self.image_name
                .borrow()
                .clone()
                .expect("no build of this app succeeded yet"),
        )
    }

    /// The build cache volume pack keeps for this app (libcnb-test names it after the image).
    pub fn cache(&self) -> CacheVolume {
        let image = self.image();
        CacheVolume {
            name: format!("{}.build-cache", image.0),
            helper_image: image.0,
        }
    }

    /// Every binary of the image reports the Go release the buildpack resolved (and so never
    /// the machine's own Go).
    pub fn assert_binaries_built_with_resolved_go(&self, report: &BuildReport) {
        let log = crate::plain(&report.log);
        let resolved = log
            .lines()
            .find_map(|line| line.split("Resolved Go `").nth(1))
            .and_then(|rest| rest.split('`').next())
            .unwrap_or_else(|| panic!("no resolved Go version in:\n{log}"));
        let image = self.unpack_image().expect("unpack image");
        let bin = image.join("layers/gocnb_go/target/bin");
        let binaries = std::fs::read_dir(&bin).expect("target/bin in the image");
        let mut count = 0;
        for entry in binaries {
            let path = entry.expect("entry").path();
            // After the version come the experiments it was built with (`go1.25.5 X:jsonv2`).
            assert_eq!(
                go_version_of_file(&path)
                    .as_deref()
                    .and_then(|version| version.split(' ').next()),
                Some(format!("go{resolved}").as_str()),
                "{} was not built with the resolved Go {resolved}",
                path.display()
            );
            count += 1;
        }
        assert!(count > 0, "no binaries in the image");
    }

    /// The image's `/layers` and `/workspace`, copied into a fresh directory (kept until the
    /// app is dropped) that stands for the image's root.
    ///
    /// # Errors
    /// When there is no image.
    pub fn unpack_image(&self) -> Result<PathBuf, String> {
        let dir = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
        self.image()
            .copy_out(&["/layers", "/workspace"], dir.path())?;
        let root = dir.path().to_path_buf();
        self.unpacked.borrow_mut().push(dir);
        Ok(root)
    }

    /// The SBOM of a layer of this buildpack in the image, as `pack sbom download` gives it,
    /// validated against the `CycloneDX` 1.5 schema.
    pub fn sbom(&self, layer: &str) -> Value {
        let dir = tempfile::tempdir().expect("tempdir");
        let output = std::process::Command::new("pack")
            .args(["sbom", "download", &self.image().0, "--output-dir"])
            .arg(dir.path())
            .output()
            .expect("run pack");
        assert!(output.status.success(), "pack sbom download: {output:?}");
        crate::cyclonedx::exported_sbom(dir.path(), layer)
    }

    /// The image's SBOM of the binaries lists exactly `names`, each with the SHA-256 and Go
    /// build ID of the image's binary.
    pub fn assert_sbom_describes_binaries(&self, names: &[&str]) {
        let image = self.unpack_image().expect("unpack image");
        crate::cyclonedx::assert_sbom_describes_binaries(&self.sbom("target"), &image, names);
    }

    /// The processes of the image.
    ///
    /// # Errors
    /// When the image has no build metadata.
    pub fn processes(&self) -> Result<Vec<Process>, String> {
        let image = self.image();
        let config = image.config()?;
        let entrypoint = config["Entrypoint"][0]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let metadata = image
            .json_label("io.buildpacks.build.metadata")
            .ok_or("the image has no build metadata")?;
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
                    default: entrypoint == format!("/cnb/process/{process_type}"),
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

    /// Asserts the image's processes: type and whether it is the default, by type.
    pub fn assert_processes(&self, expected: &[(&str, bool)]) {
        let processes = self.processes().expect("processes");
        let types: Vec<(&str, bool)> = processes
            .iter()
            .map(|p| (p.process_type.as_str(), p.default))
            .collect();
        assert_eq!(types, expected);
    }

    /// The names of the binaries in the image.
    pub fn image_binaries(&self) -> std::collections::BTreeSet<String> {
        let image = self.unpack_image().expect("unpack image");
        std::fs::read_dir(image.join("layers/gocnb_go/target/bin"))
            .expect("target/bin in the image")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect()
    }

    fn context<R>(&self, f: impl FnOnce(&TestContext<'static>) -> R) -> R {
        let context = self.context.borrow();
        f(context.as_ref().expect("no build of this app yet"))
    }

    /// Starts a web process (the default one, or `process`) in a container with `PORT` set,
    /// waits until it answers `/`, and calls `f` with its address on this machine and that
    /// answer; the container is removed afterwards.
    pub fn serve<R>(
        &self,
        process: Option<&str>,
        f: impl FnOnce(std::net::SocketAddr, Response) -> R,
    ) -> R {
        let first_answer = |port: u16, logs: &dyn Fn() -> String| {
            let response = wait_for_http(port, "/", Duration::from_secs(30))
                .unwrap_or_else(|error| panic!("the app did not answer: {error}\n{}", logs()));
            assert_eq!(response.status, 200, "{}", response.body);
            (std::net::SocketAddr::from(([127, 0, 0, 1], port)), response)
        };
        if self.context.borrow().is_none() {
            // Built by pack directly (with volumes): run it as a user would.
            let port = crate::free_port().expect("port");
            let running = crate::pack_cli::RunningContainer::start(&self.image().0, process, port)
                .expect("docker run");
            let (address, response) = first_answer(port, &|| running.logs());
            return f(address, response);
        }
        let mut container = ContainerConfig::new();
        container
            .expose_port(APP_PORT)
            .env("PORT", APP_PORT.to_string());
        if let Some(process) = process {
            container.entrypoint(process);
        }
        let mut result = None;
        self.context(|context| {
            context.start_container(container, |container| {
                let port = container.address_for_port(APP_PORT).port();
                let (address, response) = first_answer(port, &|| container.logs_now().stderr);
                result = Some(f(address, response));
            });
        });
        result.expect("the container ran")
    }

    /// What the default process (or `process`) answers on `/`.
    pub fn get(&self, process: Option<&str>) -> String {
        self.serve(process, |_, response| response.body)
    }

    /// Runs a process to completion and returns its output.
    pub fn run_to_exit(&self, process: Option<&str>) -> String {
        self.run_with(process, &[], &[])
    }

    /// Runs a process with arguments appended to its own, to completion; returns its output.
    pub fn run_with_args(&self, process: Option<&str>, args: &[&str]) -> String {
        self.run_with(process, args, &[])
    }

    /// [`Self::run_with_args`] with extra environment variables; asserts that it exits with 0.
    pub fn run_with(&self, process: Option<&str>, args: &[&str], env: &[(&str, &str)]) -> String {
        let mut container = ContainerConfig::new();
        if let Some(process) = process {
            container.entrypoint(process);
        }
        if !args.is_empty() {
            container.command(args.iter().copied());
        }
        container.envs(env.iter().copied());
        let mut output = None;
        self.context(|context| {
            context.start_container(container, |container| {
                let logs = container.logs_wait();
                let code = docker(&[
                    "inspect",
                    "--format",
                    "{{.State.ExitCode}}",
                    &container.container_name,
                ])
                .map(|out| String::from_utf8_lossy(&out).trim().to_string())
                .expect("docker inspect");
                assert_eq!(code, "0", "process output:\n{}{}", logs.stdout, logs.stderr);
                output = Some(format!("{}{}", logs.stdout, logs.stderr));
            });
        });
        output.expect("the container ran")
    }

    fn cache_metadata(&self) -> Option<Value> {
        serde_json::from_slice(&self.cache().read(CACHE_METADATA).ok()?).ok()
    }

    /// The `[metadata]` the buildpack wrote for a cached layer, as the cache holds it.
    #[must_use]
    pub fn cached_layer_metadata(&self, name: &str) -> Option<Value> {
        self.cached_layer_entry(name)
            .map(|layer| layer["data"].clone())
    }

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

    /// The paths of a cached layer's files relative to the layer (`bin/go`), as the build cache
    /// holds them, those of its tree archive in place of the archive; empty when the layer is
    /// not cached.
    #[must_use]
    pub fn cached_layer_files(&self, name: &str) -> Vec<String> {
        let Some(digest) = self.cached_layer_digest(name) else {
            return Vec::new();
        };
        let tarball = self
            .cache()
            .read(&format!("committed/{digest}.tar"))
            .expect("read the cached layer");
        let in_layer = format!("/{name}/");
        let mut files = Vec::new();
        let mut archive = tar::Archive::new(tarball.as_slice());
        for mut entry in archive.entries().expect("layer tar").flatten() {
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let Some(file) = entry.path().ok().and_then(|path| {
                let path = path.to_string_lossy().into_owned();
                path.split_once(&in_layer).map(|(_, file)| file.to_string())
            }) else {
                continue;
            };
            if file == go_cnb_common::tree_archive::TREE_ARCHIVE_FILE {
                // The layer keeps its tree as one archive: its files are the tree's.
                let mut archive = Vec::new();
                std::io::Read::read_to_end(&mut entry, &mut archive).expect("read the archive");
                let tree_tar =
                    go_cnb_common::tree_archive::tar_of(&archive).expect("the tree archive");
                let mut tree = tar::Archive::new(tree_tar.as_slice());
                files.extend(
                    tree.entries()
                        .expect("tree archive")
                        .flatten()
                        .filter_map(|entry| {
                            entry
                                .header()
                                .entry_type()
                                .is_file()
                                .then(|| entry.path().ok())
                                .flatten()
                                .map(|path| path.to_string_lossy().into_owned())
                        }),
                );
            } else {
                files.push(file);
            }
        }
        files.sort();
        files
    }

    /// The bytes each cached layer takes in the build cache, by layer name.
    #[must_use]
    pub fn cached_layer_sizes(&self) -> std::collections::BTreeMap<String, u64> {
        let mut sizes = std::collections::BTreeMap::new();
        let cache = self.cache().export().expect("export the cache");
        let mut archive = tar::Archive::new(cache.as_slice());
        let by_digest: std::collections::BTreeMap<String, String> =
            layer_names(&self.cache_metadata().unwrap_or_default())
                .into_iter()
                .filter_map(|name| {
                    Some((format!("{}.tar", self.cached_layer_digest(&name)?), name))
                })
                .collect();
        for entry in archive.entries().expect("cache tar").flatten() {
            let path = entry
                .path()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            let file = path.rsplit('/').next().unwrap_or_default();
            if let Some(name) = by_digest.get(file) {
                sizes.insert(name.clone(), entry.header().size().unwrap_or_default());
            }
        }
        sizes
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
        edit: impl FnMut(&str, Vec<u8>) -> Option<Vec<u8>>,
    ) -> Result<(), String> {
        let cache = self.cache();
        let digest = self
            .cached_layer_digest(name)
            .ok_or_else(|| format!("no cached layer {name}"))?;
        let original = cache.read(&format!("committed/{digest}.tar"))?;
        let rewritten = crate::layer_tar::edit_files(&original, edit)?;
        let new_digest = format!(
            "sha256:{}",
            crate::hex(&<sha2::Sha256 as sha2::Digest>::digest(&rewritten))
        );
        let mut metadata = self.cache_metadata().ok_or("no cache metadata")?;
        layer_entry_mut(&mut metadata, name).ok_or_else(|| format!("no cached layer {name}"))?
            ["sha"] = Value::String(new_digest.clone());
        let metadata = serde_json::to_vec(&metadata).map_err(|e| e.to_string())?;
        cache.write(
            CACHE_METADATA,
            &[
                (&format!("committed/{new_digest}.tar"), &rewritten),
                (CACHE_METADATA, &metadata),
            ],
        )
    }

    /// Rewrites the files inside a cached layer's tree archive as `edit` says, as
    /// [`Self::damage_cached_layer`] does for a layer's own files; paths are relative to the tree
    /// (`bin/go`).
    ///
    /// # Errors
    /// When the layer or its archive is missing or cannot be rewritten.
    pub fn damage_cached_tree(
        &self,
        name: &str,
        mut edit: impl FnMut(&str, Vec<u8>) -> Option<Vec<u8>>,
    ) -> Result<(), String> {
        let archive_path = format!("/{name}/{}", go_cnb_common::tree_archive::TREE_ARCHIVE_FILE);
        let mut outcome = Err(format!("no {archive_path} in the cached layer"));
        self.damage_cached_layer(name, |path, contents| {
            if !path.ends_with(&archive_path) {
                return Some(contents);
            }
            let rewritten = rewrite_tree_archive(&contents, &mut edit);
            let kept = rewritten.as_ref().map_or(contents, Clone::clone);
            outcome = rewritten.map(|_| ());
            Some(kept)
        })?;
        outcome
    }

    /// Changes a file of the app that no go command reads (`CHANGED.txt`): the build's inputs
    /// change, so the next build compiles (reusing every cache), while what go builds and the
    /// entries it uses stay the same.
    pub fn change_an_input(&self) {
        let previous =
            std::fs::read_to_string(self.source().join("CHANGED.txt")).unwrap_or_default();
        self.write("CHANGED.txt", &format!("{previous}changed\n"));
    }

    /// Replaces the `[metadata]` the build cache holds for a layer, as a buildpack of another
    /// shape (or a damaged cache) would have left it.
    ///
    /// # Errors
    /// When the cache has no metadata or it cannot be written.
    pub fn replace_cached_layer_metadata(&self, name: &str, data: Value) -> Result<(), String> {
        let mut metadata = self.cache_metadata().ok_or("no cache metadata")?;
        layer_entry_mut(&mut metadata, name).ok_or_else(|| format!("no cached layer {name}"))?
            ["data"] = data;
        let metadata = serde_json::to_vec(&metadata).map_err(|e| e.to_string())?;
        self.cache()
            .write(CACHE_METADATA, &[(CACHE_METADATA, &metadata)])
    }

    /// Empties the build cache, as `pack build --clear-cache` does.
    ///
    /// # Errors
    /// When the volume cannot be removed.
    pub fn discard_cache(&self) -> Result<(), String> {
        self.cache().remove()
    }

    /// Every file that holds `needle`, in the image (`/image/<path>`) or the build cache
    /// (`/cache/<path>`, and `/cache/<layer tarball>/<path>` inside a cached layer).
    ///
    /// # Errors
    /// When the image or the cache cannot be read.
    pub fn files_containing(&self, needle: &[u8]) -> Result<Vec<String>, String> {
        let mut found = Vec::new();
        crate::layer_tar::find_in_tar(&self.image().export()?, needle, "/image", &mut found)?;
        if let Ok(cache) = self.cache().export() {
            crate::layer_tar::find_in_tar(&cache, needle, "/cache", &mut found)?;
        }
        Ok(found)
    }
}

pub use crate::plain;

/// Decodes a tree archive, edits its files and encodes it again.
fn rewrite_tree_archive(
    archive: &[u8],
    edit: &mut impl FnMut(&str, Vec<u8>) -> Option<Vec<u8>>,
) -> Result<Vec<u8>, String> {
    use go_cnb_common::tree_archive::{archive_of, tar_of};
    let tar = tar_of(archive).map_err(|e| format!("decode the tree archive: {e}"))?;
    let edited = crate::layer_tar::edit_files(&tar, |path, contents| edit(path, contents))?;
    archive_of(&edited).map_err(|e| e.to_string())
}

pub fn assert_contains(log: &str, expected: &str) {
    let log = plain(log);
    assert!(log.contains(expected), "expected {expected:?} in:\n{log}");
}

/// The buildpack's whole output of a build (from its `## Go` header to its last line), with
/// what changes from run to run filtered: durations become `<time>`, the test services'
/// address `<services>`, SHA-256 digests `<sha256>`, progress dots `...`, the architecture
/// `<arch>` and distribution `<distro>` (of the builder), and how much the build cache's
/// pruning removed (`<entries>`, which the Go release decides).
#[must_use]
pub fn go_output(log: &str) -> String {
    static FILTERS: OnceLock<Vec<(regex::Regex, &'static str)>> = OnceLock::new();
    let filters = FILTERS.get_or_init(|| {
        [
            // bullet_stream writes a minute or more as `1m 36s`.
            (r"\((< )?(\d+m )?\d+(\.\d+)?s\)", "(<time>)"),
            (
                r"finished in (< )?(\d+m )?\d+(\.\d+)?s",
                "finished in <time>",
            ),
            (r"\b(amd64|arm64)\b", "<arch>"),
            (r"\b(debian-12|ubuntu-\d+\.\d+)\b", "<distro>"),
            (r"https?://\d+\.\d+\.\d+\.\d+:\d+", "<services>"),
            (r"[0-9a-f]{64}", "<sha256>"),
            (r" \.+ \(", " ... ("),
            (
                r"Pruned the build cache: \d+ entr(y|ies) \(\d+\.\d MB\)",
                "Pruned the build cache: <entries>",
            ),
        ]
        .into_iter()
        .map(|(pattern, replacement)| (regex::Regex::new(pattern).expect("filter"), replacement))
        .collect()
    });
    let plain = plain(log);
    let mut block: Vec<&str> = plain
        .lines()
        .skip_while(|line| *line != "## Go")
        .take_while(|line| !line.starts_with("[home-probe]") && !line.starts_with("===> "))
        .collect();
    while block.last().is_some_and(|line| line.is_empty()) {
        block.pop();
    }
    let mut text = block.join("\n");
    for (pattern, replacement) in filters {
        text = pattern.replace_all(&text, *replacement).into_owned();
    }
    text
}

/// The buildpack's error block: from the heading through its error id, the services'
/// address filtered (`<services>` in URLs, `<server>` as a bare `host:port`).
///
/// # Panics
/// When the log has no such heading or no error id after it.
#[must_use]
pub fn error_block(log: &str, heading: &str) -> String {
    let output = go_output(log).replace(
        &format!("{}:", crate::services::services_address()),
        "<server>:",
    );
    let start = output
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading:?} in:\n{output}"));
    let block = &output[start..];
    let end = block.find("\n! Error id: ").expect("an error id");
    let end = end
        + block[end + 1..]
            .find('\n')
            .map_or(block.len() - end, |n| n + 1);
    block[..end].to_string()
}

/// Where a file of the app is in the build container.
#[must_use]
pub fn in_workspace(relative: &str) -> String {
    Path::new("/workspace").join(relative).display().to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn go_output_filters_times_of_seconds_and_minutes() {
        let log = "## Go\n\n- Go packages\n  - Done (1m 36s)\n  - Unpacking ... (0.4s)\n  - Downloading (< 0.1s)\n- Done (finished in 2m 3s)\n- Done (finished in < 0.1s)\n===> EXPORTING";
        assert_eq!(
            super::go_output(log),
            "## Go\n\n- Go packages\n  - Done (<time>)\n  - Unpacking ... (<time>)\n  - Downloading (<time>)\n- Done (finished in <time>)\n- Done (finished in <time>)"
        );
    }
}
