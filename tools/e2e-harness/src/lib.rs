//! The end-to-end harness of the Go buildpack: it packages the buildpack, installs the real
//! CNB lifecycle, drives its phases as a platform does (sandboxed at a builder container's
//! paths, exporting OCI layouts), launches apps from the exported images with the real
//! launcher, and serves what builds need on a closed network (a Go toolchain mirror, a GOPROXY).

pub mod bench;
pub mod cnb_lifecycle;
pub mod cyclonedx;
pub mod go_binary;
pub mod go_mirror;
pub mod goproxy;
pub mod oci;
pub mod package;
pub mod platform;
pub mod sandbox;
pub mod serve;
pub mod services;
pub mod test_app;

pub use cnb_lifecycle::InstalledLifecycle;
pub use package::{package_buildpack, PackagedBuildpack};
pub use platform::{BuildReport, Platform, PlatformError, Process, RunningProcess};
pub use serve::{free_port, http_get, wait_for_http, Fault, StaticServer};
pub use services::LocalServices;

use std::path::{Path, PathBuf};

/// The buildpack's repository: the workspace this harness is a member of.
#[must_use]
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("..")
}

pub use go_cnb_common::hex;

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
            if path.is_dir() && !path.is_symlink() {
                stack.push(path.clone());
            }
            found.push(path);
        }
    }
    found.sort();
    found
}
