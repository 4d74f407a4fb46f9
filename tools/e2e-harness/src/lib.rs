//! The end-to-end harness of the Go buildpack: it packages the buildpack for a builder image,
//! serves what builds need on this machine (a Go toolchain mirror, GOPROXYs) at the Docker
//! bridge address, and gives tests a view of an app built with `pack` through libcnb-test: its
//! image, processes, containers and build cache volume.

pub mod bench;
pub mod cyclonedx;
pub mod docker;
pub mod go_binary;
pub mod go_mirror;
pub mod goproxy;
pub mod layer_tar;
pub mod pack_cli;
pub mod package;
pub mod registry;
pub mod serve;
pub mod services;
pub mod test_app;

pub use package::package_buildpack;
pub use serve::{free_port, http_get, wait_for_http, Fault, Response, StaticServer};
pub use services::LocalServices;

use std::path::{Path, PathBuf};

/// The buildpack's repository: the workspace this harness is a member of.
#[must_use]
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("..")
}

pub use go_cnb_common::hex;

/// Output without terminal colour codes.
#[must_use]
pub fn plain(log: &str) -> String {
    let mut out = String::with_capacity(log.len());
    let mut chars = log.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for next in chars.by_ref() {
                if next.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
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
            if path.is_dir() && !path.is_symlink() {
                stack.push(path.clone());
            }
            found.push(path);
        }
    }
    found.sort();
    found
}
