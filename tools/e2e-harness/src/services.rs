//! The services a build needs on a machine without internet: the Go toolchain mirror with a
//! matching inventory, and the GOPROXY of `test-fixtures/goproxy`, all on one 127.0.0.1 server.

use crate::go_mirror::{inventory_toml, mirror_dir, provision, MirrorArchive, TEST_GO_VERSIONS};
use crate::goproxy::build_goproxy;
use crate::serve::StaticServer;
use std::path::{Path, PathBuf};

pub struct LocalServices {
    pub server: StaticServer,
    pub archives: Vec<MirrorArchive>,
    dir: PathBuf,
}

impl LocalServices {
    /// Provisions the mirror (cached), builds the GOPROXY into `dir` and serves:
    /// `/mirror/go<v>.linux-<arch>.tar.gz`, `/inventory.toml` (URLs pointing at the mirror),
    /// `/goproxy/…`.
    ///
    /// # Errors
    /// When provisioning, building or serving fails.
    pub fn start(workspace_root: &Path, dir: &Path) -> Result<Self, String> {
        let archives = provision(TEST_GO_VERSIONS)?;
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
        std::os::unix::fs::symlink(mirror_dir(), dir.join("mirror"))
            .map_err(|e| format!("link mirror: {e}"))?;
        build_goproxy(
            &workspace_root.join("test-fixtures").join("goproxy"),
            &dir.join("goproxy"),
        )?;
        let server = StaticServer::start(dir).map_err(|e| format!("start server: {e}"))?;
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
            .filter(|r| r.starts_with("/mirror/") || r.starts_with("/goproxy/"))
            .collect()
    }
}
