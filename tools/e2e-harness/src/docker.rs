//! What the tests read from, and do to, the Docker daemon that `pack` builds on: images'
//! config and files, the build cache volume that `pack` keeps between builds, the bridge
//! address that build containers reach this machine at. Everything goes through the `docker`
//! CLI (as `pack` and libcnb-test do), never through the daemon's files.

use serde_json::Value;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

/// Runs `docker <args>` and returns its standard output.
///
/// # Errors
/// When docker cannot be started or exits unsuccessfully (with its standard error).
pub fn docker(args: &[&str]) -> Result<Vec<u8>, String> {
    docker_with_input(args, None)
}

fn docker_with_input(args: &[&str], input: Option<&[u8]>) -> Result<Vec<u8>, String> {
    let mut child = Command::new("docker")
        .args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("run docker: {e} (is Docker installed? tools/platform/setup.sh)"))?;
    if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
        stdin
            .write_all(input)
            .map_err(|e| format!("write to docker {}: {e}", args.join(" ")))?;
    }
    let output = child
        .wait_with_output()
        .map_err(|e| format!("wait for docker: {e}"))?;
    if output.status.success() {
        Ok(output.stdout)
    } else {
        Err(format!(
            "docker {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// The address of this machine on Docker's default bridge (`docker0`): what a build container
/// reaches the test services at.
///
/// # Errors
/// When the daemon does not answer or has no bridge network.
pub fn bridge_gateway() -> Result<String, String> {
    let out = docker(&[
        "network",
        "inspect",
        "bridge",
        "--format",
        "{{range .IPAM.Config}}{{.Gateway}}{{end}}",
    ])?;
    let address = String::from_utf8_lossy(&out).trim().to_string();
    if !address.is_empty() {
        return Ok(address);
    }
    // Some daemons leave the default bridge's gateway out of its IPAM config: the bridge
    // interface's own address is the gateway.
    let output = Command::new("ip")
        .args(["-4", "-o", "addr", "show", "dev", "docker0"])
        .output()
        .map_err(|e| format!("run ip: {e}"))?;
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .skip_while(|word| *word != "inet")
        .nth(1)
        .and_then(|cidr| cidr.split('/').next())
        .map(String::from)
        .ok_or_else(|| String::from("the Docker bridge (docker0) has no IPv4 address"))
}

/// An image of the daemon, by name.
#[derive(Debug, Clone)]
pub struct Image(pub String);

impl Image {
    /// The image's config (`Env`, `Entrypoint`, `Labels`, `WorkingDir`…).
    ///
    /// # Errors
    /// When the image does not exist.
    pub fn config(&self) -> Result<Value, String> {
        let out = docker(&["image", "inspect", "--format", "{{json .Config}}", &self.0])?;
        serde_json::from_slice(&out).map_err(|e| format!("image config of {}: {e}", self.0))
    }

    /// A label holding JSON, parsed.
    #[must_use]
    pub fn json_label(&self, label: &str) -> Option<Value> {
        let config = self.config().ok()?;
        serde_json::from_str(config["Labels"][label].as_str()?).ok()
    }

    /// Copies each of `paths` (absolute, in the image) to the same path under `dest`.
    ///
    /// # Errors
    /// When a path is not in the image or cannot be written under `dest`.
    pub fn copy_out(&self, paths: &[&str], dest: &Path) -> Result<(), String> {
        let container = Container::create(&self.0, &[])?;
        for path in paths {
            let parent = Path::new(path).parent().unwrap_or(Path::new("/"));
            let target = dest.join(parent.strip_prefix("/").unwrap_or(parent));
            std::fs::create_dir_all(&target)
                .map_err(|e| format!("create {}: {e}", target.display()))?;
            let tar = container.copy_from(path)?;
            tar::Archive::new(tar.as_slice())
                .unpack(&target)
                .map_err(|e| format!("unpack {path} of {}: {e}", self.0))?;
        }
        Ok(())
    }

    /// The image's whole file system as one tar stream (`docker export`).
    ///
    /// # Errors
    /// When the image does not exist.
    pub fn export(&self) -> Result<Vec<u8>, String> {
        let container = Container::create(&self.0, &[])?;
        docker(&["export", &container.0])
    }
}

/// A container that is created (never started) for copying files, removed when dropped.
struct Container(String);

impl Container {
    fn create(image: &str, volumes: &[String]) -> Result<Self, String> {
        let mut args = vec!["create"];
        for volume in volumes {
            args.extend(["--volume", volume.as_str()]);
        }
        // The command is never run; an image without a default command needs one to be created.
        args.extend([image, "true"]);
        let id = String::from_utf8_lossy(&docker(&args)?).trim().to_string();
        Ok(Container(id))
    }

    /// A tar stream of `path` (`docker cp <container>:<path> -`).
    fn copy_from(&self, path: &str) -> Result<Vec<u8>, String> {
        docker(&["cp", &format!("{}:{path}", self.0), "-"])
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = docker(&["rm", "--force", "--volumes=false", &self.0]);
    }
}

/// The build cache `pack` keeps in a volume between builds of one image (`/cache` in the build
/// container): the lifecycle's `committed/` directory with a tarball per cached layer and the
/// cache metadata.
#[derive(Debug, Clone)]
pub struct CacheVolume {
    pub name: String,
    /// An image with `tar` to create the helper containers from.
    pub helper_image: String,
}

const CACHE_MOUNT: &str = "/cache";

impl CacheVolume {
    fn container(&self) -> Result<Container, String> {
        Container::create(
            &self.helper_image,
            &[format!("{}:{CACHE_MOUNT}", self.name)],
        )
    }

    /// The contents of a file of the cache (`committed/<name>`), with its tar header.
    ///
    /// # Errors
    /// When the file is not there.
    fn read_with_header(&self, relative: &str) -> Result<(tar::Header, Vec<u8>), String> {
        let tar = self
            .container()?
            .copy_from(&format!("{CACHE_MOUNT}/{relative}"))?;
        let mut archive = tar::Archive::new(tar.as_slice());
        let mut entries = archive.entries().map_err(|e| format!("read tar: {e}"))?;
        let mut entry = entries
            .next()
            .ok_or_else(|| format!("{relative} is not in the cache volume"))?
            .map_err(|e| format!("read tar: {e}"))?;
        let header = entry.header().clone();
        let mut contents = Vec::new();
        entry
            .read_to_end(&mut contents)
            .map_err(|e| format!("read {relative}: {e}"))?;
        Ok((header, contents))
    }

    /// The contents of a file of the cache, by its path below `/cache`.
    ///
    /// # Errors
    /// When the file is not there.
    pub fn read(&self, relative: &str) -> Result<Vec<u8>, String> {
        self.read_with_header(relative)
            .map(|(_, contents)| contents)
    }

    /// Writes files into the cache with the owner and mode of `like` (a file already there),
    /// as the lifecycle would have written them.
    ///
    /// # Errors
    /// When `like` is missing or the files cannot be written.
    pub fn write(&self, like: &str, files: &[(&str, &[u8])]) -> Result<(), String> {
        let (template, _) = self.read_with_header(like)?;
        let mut builder = tar::Builder::new(Vec::new());
        for (relative, contents) in files {
            let mut header = template.clone();
            header.set_size(contents.len() as u64);
            builder
                .append_data(&mut header, relative, *contents)
                .map_err(|e| format!("tar {relative}: {e}"))?;
        }
        let tar = builder.into_inner().map_err(|e| format!("tar: {e}"))?;
        // Unpacked by `tar` in a container running as the owner of `like` (the build user), so
        // that the lifecycle may link and replace the files as it does its own.
        let user = format!(
            "{}:{}",
            template.uid().map_err(|e| e.to_string())?,
            template.gid().map_err(|e| e.to_string())?
        );
        let volume = format!("{}:{CACHE_MOUNT}", self.name);
        docker_with_input(
            &[
                "run",
                "--rm",
                "--interactive",
                "--network",
                "none",
                "--user",
                &user,
                "--volume",
                &volume,
                "--entrypoint",
                "tar",
                &self.helper_image,
                "-x",
                "-C",
                CACHE_MOUNT,
                "-f",
                "-",
            ],
            Some(&tar),
        )
        .map(|_| ())
    }

    /// The whole cache as one tar stream.
    ///
    /// # Errors
    /// When the volume cannot be read.
    pub fn export(&self) -> Result<Vec<u8>, String> {
        self.container()?.copy_from(&format!("{CACHE_MOUNT}/."))
    }

    /// Removes the volume, as `pack build --clear-cache` empties it.
    ///
    /// # Errors
    /// When the volume is in use.
    pub fn remove(&self) -> Result<(), String> {
        docker(&["volume", "rm", "--force", &self.name]).map(|_| ())
    }
}
