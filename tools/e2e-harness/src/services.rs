//! The services builds use, on this machine only: the Go toolchain mirror with a matching
//! inventory, the GOPROXY of `test-fixtures/goproxy`, and a GOPROXY of real modules (downloaded
//! on the host once, from the Go module proxy) for fixtures that look like real apps — all on one
//! server at the Docker bridge address, which build containers reach without any NAT.

use crate::docker::bridge_gateway;
use crate::go_mirror::{
    cache_dir, inventory_toml, mirror_dir, provision, MirrorArchive, TEST_GO_VERSIONS,
};
use crate::goproxy::build_goproxy;
use crate::serve::StaticServer;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

/// The fixtures whose modules are real ones, fetched from the Go module proxy on the host.
pub const REAL_MODULE_FIXTURES: &[&str] = &["chi-web", "cobra-cli", "migrate-install"];

/// The address of this machine that build containers reach (the Docker bridge's gateway).
///
/// # Panics
/// When no Docker daemon answers: the message says how to start one.
#[must_use]
pub fn services_address() -> &'static str {
    static ADDRESS: OnceLock<String> = OnceLock::new();
    ADDRESS.get_or_init(|| {
        bridge_gateway().unwrap_or_else(|error| {
            panic!(
                "The end-to-end tests need a Docker daemon, and none answers: {error}\n\
                 Start one and make the builder with `tools/platform/setup.sh` (as root)."
            )
        })
    })
}

/// A module download cache (`$GOMODCACHE/cache/download`, which is laid out as a GOPROXY) holding
/// every module of the real-module fixtures, filled on the host with `go mod download` once.
///
/// # Errors
/// When the machine's go command fails (no network to the Go module proxy, say).
pub fn real_module_proxy(workspace_root: &Path) -> Result<PathBuf, String> {
    for fixture in REAL_MODULE_FIXTURES {
        download_real_modules(
            &workspace_root.join("test-fixtures").join(fixture),
            &["all"],
        )?;
    }
    Ok(real_modules_dir().join("cache").join("download"))
}

fn real_modules_dir() -> PathBuf {
    cache_dir().join("real-modules")
}

/// Fills the real-module cache with `go mod download <modules>` run in `app` (a module whose
/// go.sum is complete, or any directory for `module@version` arguments), once for each go.sum
/// and arguments.
///
/// # Errors
/// When the machine's go command fails (no network to the Go module proxy, say).
pub fn download_real_modules(app: &Path, modules: &[&str]) -> Result<(), String> {
    let mut args = vec!["mod", "download", "-x"];
    args.extend(modules);
    fill_real_modules(app, &args)
}

/// Fills the real-module cache with the modules a build of every package of `app` reads (`go
/// list -deps ./...`), not the test dependencies of its dependencies that `all` takes in: a big
/// app's module graph can name versions the Go module proxy no longer serves.
///
/// # Errors
/// When the machine's go command fails (no network to the Go module proxy, say).
pub fn download_build_modules(app: &Path) -> Result<(), String> {
    fill_real_modules(app, &["list", "-deps", "./..."])
}

/// Runs the machine's `go <args>` in `app` against the real-module cache, once for each go.sum
/// and arguments.
fn fill_real_modules(app: &Path, args: &[&str]) -> Result<(), String> {
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().map_err(|_| String::from("lock poisoned"))?;
    let modcache = real_modules_dir();
    let mut key = std::fs::read(app.join("go.sum")).unwrap_or_default();
    key.extend(args.join(" ").as_bytes());
    let name = app
        .file_name()
        .map_or_else(String::new, |name| name.to_string_lossy().into_owned());
    // The marker names what it was filled for: a changed fixture is downloaded again.
    let marker = modcache.join(format!(
        ".{name}-{}",
        crate::hex(&<sha2::Sha256 as sha2::Digest>::digest(&key))
    ));
    if marker.is_file() {
        return Ok(());
    }
    let output = Command::new("go")
        .args(args)
        .current_dir(app)
        .env("GOMODCACHE", &modcache)
        .env("GOFLAGS", "-mod=mod -modcacherw")
        .env("GOTOOLCHAIN", "local")
        .output()
        .map_err(|e| format!("run the machine's go: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "go {} in {} failed:\n{}",
            args.join(" "),
            app.display(),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    std::fs::create_dir_all(&modcache)
        .map_err(|e| format!("create {}: {e}", modcache.display()))?;
    std::fs::write(&marker, "").map_err(|e| format!("write {}: {e}", marker.display()))
}

pub struct LocalServices {
    pub server: StaticServer,
    pub archives: Vec<MirrorArchive>,
    dir: PathBuf,
}

impl LocalServices {
    /// Provisions the mirror (cached), builds the GOPROXY into `dir` and serves:
    /// `/mirror/go<v>.linux-<arch>.tar.gz`, `/inventory.toml` (URLs pointing at the mirror),
    /// `/goproxy/…` and `/real-modules/…`.
    ///
    /// # Errors
    /// When provisioning, building or serving fails.
    pub fn start(workspace_root: &Path, dir: &Path) -> Result<Self, String> {
        let archives = provision(TEST_GO_VERSIONS)?;
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
        std::os::unix::fs::symlink(mirror_dir(), dir.join("mirror"))
            .map_err(|e| format!("link mirror: {e}"))?;
        std::os::unix::fs::symlink(real_module_proxy(workspace_root)?, dir.join("real-modules"))
            .map_err(|e| format!("link real modules: {e}"))?;
        build_goproxy(
            &workspace_root.join("test-fixtures").join("goproxy"),
            &dir.join("goproxy"),
        )?;
        let server = StaticServer::start(dir, services_address())
            .map_err(|e| format!("start server: {e}"))?;
        let services = LocalServices {
            server,
            archives,
            dir: dir.to_path_buf(),
        };
        services.write_inventory(
            "inventory.toml",
            &services.archives,
            &format!("{}/mirror", services.server.url()),
        )?;
        Ok(services)
    }

    /// Writes another inventory next to the default one and returns its URL.
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn write_inventory(
        &self,
        name: &str,
        archives: &[MirrorArchive],
        url_base: &str,
    ) -> Result<String, String> {
        std::fs::write(self.dir.join(name), inventory_toml(archives, url_base))
            .map_err(|e| format!("write {name}: {e}"))?;
        Ok(format!("{}/{name}", self.server.url()))
    }

    /// Path of a file served at `/<name>`.
    #[must_use]
    pub fn served_path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    #[must_use]
    pub fn inventory_url(&self) -> String {
        format!("{}/inventory.toml", self.server.url())
    }

    #[must_use]
    pub fn goproxy_url(&self) -> String {
        format!("{}/goproxy", self.server.url())
    }

    /// The GOPROXY of real modules, for the fixtures of [`REAL_MODULE_FIXTURES`].
    #[must_use]
    pub fn real_goproxy_url(&self) -> String {
        format!("{}/real-modules", self.server.url())
    }

    /// The platform environment that points a build at these services.
    #[must_use]
    pub fn platform_env(&self) -> Vec<(String, String)> {
        vec![
            (String::from("GO_INVENTORY"), self.inventory_url()),
            (String::from("GOPROXY"), self.goproxy_url()),
            // The test modules are not in the public checksum database; go.sum covers them.
            (String::from("GONOSUMDB"), String::from("example.test")),
        ]
    }

    /// Requests for toolchain archives or modules since the last `clear_requests`.
    #[must_use]
    pub fn downloads(&self) -> Vec<String> {
        self.server
            .requests()
            .into_iter()
            .filter(|r| {
                r.starts_with("/mirror/")
                    || r.starts_with("/goproxy/")
                    || r.starts_with("/real-modules/")
            })
            .collect()
    }
}
