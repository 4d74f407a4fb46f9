//! `pack build` and `docker run` driven directly, for the harness's own commands (`run`,
//! `bench`); the tests drive pack through libcnb-test.

use crate::docker::docker;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// One `pack build` of `app` into `image` on `builder` with `buildpacks` (directories) and
/// the build cache in the volume `<image>.build-cache`, `volumes` (`pack build --volume`) mounted. Returns pack's output and how long it
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
