//! `pack build` and `docker run` driven directly, for the harness's own commands (`run`,
//! `bench`); the tests drive pack through libcnb-test.

use crate::docker::docker;
use std::io::Read;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// The `pack build` of `app` into `image` on `builder` with `buildpacks` (directories), the
/// build cache in the volume `<image>.build-cache` (as libcnb-test names it, so that its
/// builds and these share the cache) and `volumes` (`pack build --volume`) mounted.
fn pack_build_command(
    image: &str,
    builder: &str,
    app: &Path,
    buildpacks: &[&Path],
    env: &[(String, String)],
    volumes: &[String],
) -> Command {
    let mut command = Command::new("pack");
    command
        .args([
            "build",
            image,
            "--builder",
            builder,
            "--pull-policy",
            "if-not-present",
        ])
        .args(["--trust-builder", "--trust-extra-buildpacks"])
        .arg("--cache")
        .arg(format!("type=build;format=volume;name={image}.build-cache"))
        .arg("--cache")
        .arg(format!(
            "type=launch;format=volume;name={image}.launch-cache"
        ))
        .arg("--path")
        .arg(app);
    for buildpack in buildpacks {
        command.arg("--buildpack").arg(buildpack);
    }
    for volume in volumes {
        command.args(["--volume", volume]);
    }
    for (name, value) in env {
        command.args(["--env", &format!("{name}={value}")]);
    }
    command
}

/// One `pack build` (see [`pack_build_command`]). Returns pack's output and how long it
/// took; a failed build is an error holding the output.
///
/// # Errors
/// When pack cannot be run or the build fails.
pub fn pack_build(
    image: &str,
    builder: &str,
    app: &Path,
    buildpacks: &[&Path],
    env: &[(String, String)],
    volumes: &[String],
) -> Result<(String, Duration), String> {
    run_pack_build(&mut pack_build_command(
        image, builder, app, buildpacks, env, volumes,
    ))
}

/// [`pack_build`] of `app` on `builder` alone, with `--verbose`: the lifecycle then prints each
/// phase's time (`Timer: Restorer ran for 1.2s …`).
///
/// # Errors
/// When pack cannot be run or the build fails.
pub fn pack_build_verbose(
    image: &str,
    builder: &str,
    app: &Path,
    env: &[(String, String)],
) -> Result<(String, Duration), String> {
    let mut command = pack_build_command(image, builder, app, &[], env, &[]);
    command.arg("--verbose");
    run_pack_build(&mut command)
}

/// Runs a `pack build` and returns its output (stdout, then stderr) and how long it took.
fn run_pack_build(command: &mut Command) -> Result<(String, Duration), String> {
    let started = Instant::now();
    let output = command
        .output()
        .map_err(|e| format!("run pack: {e} (set it up with tools/platform/setup.sh)"))?;
    let elapsed = started.elapsed();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if output.status.success() {
        Ok((log, elapsed))
    } else {
        Err(format!("pack build failed:\n{log}"))
    }
}

/// Where and how a `pack build --publish` builds: the image and its build cache both in a
/// registry, as kpack and Tekton build. `run_image` must be in a registry too.
pub struct Publish<'a> {
    pub image: &'a str,
    pub cache_image: &'a str,
    pub run_image: &'a str,
    pub builder: &'a str,
    pub app: &'a Path,
    pub buildpacks: &'a [std::path::PathBuf],
    pub env: &'a [(String, String)],
}

impl Publish<'_> {
    /// The `pack build --publish --cache-image` command; its containers use the host's network
    /// to reach a loopback registry.
    fn command(&self) -> Command {
        let mut command = Command::new("pack");
        command
            .args(["build", self.image, "--builder", self.builder])
            .args(["--run-image", self.run_image, "--publish"])
            .args(["--cache-image", self.cache_image, "--network", "host"])
            .args(["--pull-policy", "if-not-present"])
            .args(["--trust-builder", "--trust-extra-buildpacks"])
            .arg("--path")
            .arg(self.app);
        for buildpack in self.buildpacks {
            command.arg("--buildpack").arg(buildpack);
        }
        for (name, value) in self.env {
            command.args(["--env", &format!("{name}={value}")]);
        }
        command
    }

    /// Runs the build. Returns pack's output; a failed build is an error holding it.
    ///
    /// # Errors
    /// When pack cannot be run or the build fails.
    pub fn run(&self) -> Result<String, String> {
        let output = self
            .command()
            .output()
            .map_err(|e| format!("run pack: {e} (set it up with tools/platform/setup.sh)"))?;
        let log = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        if output.status.success() {
            Ok(log)
        } else {
            Err(log)
        }
    }

    /// Runs the build, calling `interrupt` as soon as its output shows `marker` (to take the
    /// registry away, say). Returns the output of the build, which must fail.
    ///
    /// # Errors
    /// When pack cannot be run, the marker never shows or the build succeeds.
    pub fn run_interrupted(
        &self,
        marker: &str,
        interrupt: impl FnOnce(),
    ) -> Result<String, String> {
        let log_file = tempfile::NamedTempFile::new().map_err(|e| format!("log file: {e}"))?;
        let out = log_file.reopen().map_err(|e| format!("log file: {e}"))?;
        let err = log_file.reopen().map_err(|e| format!("log file: {e}"))?;
        let mut child = self
            .command()
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("run pack: {e}"))?;
        let read = || std::fs::read_to_string(log_file.path()).unwrap_or_default();
        let mut interrupt = Some(interrupt);
        let status = loop {
            if let Some(status) = child.try_wait().map_err(|e| format!("wait: {e}"))? {
                break status;
            }
            if interrupt.is_some() && crate::plain(&read()).contains(marker) {
                if let Some(interrupt) = interrupt.take() {
                    interrupt();
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let log = read();
        match (interrupt.is_none(), status.success()) {
            (true, false) => Ok(log),
            (true, true) => Err(format!("the build succeeded although interrupted:\n{log}")),
            (false, _) => Err(format!("the build never showed {marker:?}:\n{log}")),
        }
    }
}

/// A `pack build` (see [`pack_build_command`]) whose build container is killed (`docker
/// kill`, as a platform's timeout or an evicted pod does) as soon as its output shows
/// `marker`. Returns pack's output.
///
/// # Errors
/// When pack cannot be run, the marker never shows, or the build ends before it is killed.
pub fn pack_build_killed_at(
    image: &str,
    builder: &str,
    app: &Path,
    buildpacks: &[&Path],
    env: &[(String, String)],
    marker: &str,
) -> Result<String, String> {
    let mut child = pack_build_command(image, builder, app, buildpacks, env, &[])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("run pack: {e}"))?;
    let output = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let readers: Vec<_> = [
        child
            .stdout
            .take()
            .map(|pipe| Box::new(pipe) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|pipe| Box::new(pipe) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .flatten()
    .map(|mut pipe| {
        let output = std::sync::Arc::clone(&output);
        std::thread::spawn(move || {
            let mut buffer = [0; 4096];
            while let Ok(read) = pipe.read(&mut buffer) {
                if read == 0 {
                    break;
                }
                if let Ok(mut output) = output.lock() {
                    output.extend_from_slice(&buffer[..read]);
                }
            }
        })
    })
    .collect();
    let seen = || {
        output
            .lock()
            .map(|o| crate::plain(&String::from_utf8_lossy(&o)))
            .unwrap_or_default()
    };
    let deadline = Instant::now() + Duration::from_mins(5);
    let killed = loop {
        if seen().contains(marker) {
            // The build's containers are the ones using its cache volume.
            let volume = format!("volume={image}.build-cache");
            let ids = docker(&["ps", "--quiet", "--filter", &volume])?;
            let ids = String::from_utf8_lossy(&ids).trim().to_string();
            let ids: Vec<&str> = ids.split_whitespace().collect();
            if ids.is_empty() {
                break false;
            }
            let mut args = vec!["kill"];
            args.extend(ids);
            docker(&args)?;
            break true;
        }
        if Instant::now() >= deadline || child.try_wait().ok().flatten().is_some() {
            break false;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let status = child.wait().map_err(|e| format!("wait for pack: {e}"))?;
    for reader in readers {
        let _ = reader.join();
    }
    let log = seen();
    match (killed, status.success()) {
        (true, false) => Ok(log),
        (true, true) => Err(format!(
            "the build succeeded although it was killed:\n{log}"
        )),
        (false, _) => Err(format!("the build was not killed at {marker:?}:\n{log}")),
    }
}

/// Removes an image and its cache volumes.
pub fn remove_image(image: &str) {
    let _ = docker(&["image", "rm", "--force", image]);
    for cache in ["build-cache", "launch-cache"] {
        let _ = docker(&["volume", "rm", "--force", &format!("{image}.{cache}")]);
    }
}

/// A container started with `docker run --detach`, removed when dropped.
pub struct RunningContainer(pub String);

impl RunningContainer {
    /// Starts `image` (its default process, or `process`) with `PORT=<port>` published on
    /// 127.0.0.1:`port`.
    ///
    /// # Errors
    /// When docker fails.
    pub fn start(image: &str, process: Option<&str>, port: u16) -> Result<Self, String> {
        let publish = format!("127.0.0.1:{port}:{port}");
        let port_env = format!("PORT={port}");
        let mut args = vec!["run", "--detach", "--publish", &publish, "--env", &port_env];
        if let Some(process) = process {
            args.extend(["--entrypoint", process]);
        }
        args.push(image);
        let id = String::from_utf8_lossy(&docker(&args)?).trim().to_string();
        Ok(RunningContainer(id))
    }

    /// What the container printed so far.
    #[must_use]
    pub fn logs(&self) -> String {
        Command::new("docker")
            .args(["logs", &self.0])
            .output()
            .map(|o| {
                format!(
                    "{}{}",
                    String::from_utf8_lossy(&o.stdout),
                    String::from_utf8_lossy(&o.stderr)
                )
            })
            .unwrap_or_default()
    }
}

impl Drop for RunningContainer {
    fn drop(&mut self) {
        let _ = docker(&["rm", "--force", &self.0]);
    }
}
