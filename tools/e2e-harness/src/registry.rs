//! An OCI registry on loopback (Debian's `docker-registry`), for builds that publish their
//! image and cache image as kpack and Tekton do. The Docker daemon and the lifecycle speak
//! plain HTTP to a registry on 127.0.0.1, as they do to any loopback registry.

use crate::docker::docker;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct LocalRegistry {
    child: Option<Child>,
    port: u16,
    config: std::path::PathBuf,
    log: std::path::PathBuf,
}

impl LocalRegistry {
    /// Starts a registry keeping its blobs under `dir`.
    ///
    /// # Errors
    /// When it does not answer within 20 s.
    pub fn start(dir: &Path) -> Result<Self, String> {
        let port = crate::free_port().map_err(|e| format!("port: {e}"))?;
        let config = dir.join("config.yml");
        std::fs::create_dir_all(dir.join("storage")).map_err(|e| format!("mkdir: {e}"))?;
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
                dir.join("storage").display()
            ),
        )
        .map_err(|e| format!("write config: {e}"))?;
        let mut registry = LocalRegistry {
            child: None,
            port,
            config,
            log: dir.join("registry.log"),
        };
        registry.restart()?;
        Ok(registry)
    }

    /// `127.0.0.1:<port>`, the registry part of its image names.
    #[must_use]
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Stops it (its blobs stay), as a registry that goes away does.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port with the same blobs.
    ///
    /// # Errors
    /// When it does not answer within 20 s.
    pub fn restart(&mut self) -> Result<(), String> {
        self.stop();
        let log = std::fs::File::create(&self.log).map_err(|e| format!("log: {e}"))?;
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&self.config)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| {
                format!("run docker-registry: {e} (tools/platform/setup.sh installs it)")
            })?;
        self.child = Some(child);
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(20) {
            if crate::http_get(self.port, "/v2/").is_ok_and(|r| r.status == 200) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(format!(
            "the registry did not answer: {}",
            std::fs::read_to_string(&self.log).unwrap_or_default()
        ))
    }

    /// Pushes a local image into it; returns its name there.
    ///
    /// # Errors
    /// When docker fails.
    pub fn push(&self, image: &str) -> Result<String, String> {
        let name = format!("{}/{image}", self.address());
        docker(&["tag", image, &name])?;
        docker(&["push", &name])?;
        docker(&["image", "rm", &name])?;
        Ok(name)
    }
}

impl Drop for LocalRegistry {
    fn drop(&mut self) {
        self.stop();
    }
}
