//! Packages the buildpack as the platform sees it: a directory with buildpack.toml and
//! bin/build, bin/detect (libcnb picks the phase from the program name).

use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, Clone)]
pub struct PackagedBuildpack {
    pub id: String,
    pub version: String,
    pub dir: PathBuf,
}

/// Builds the buildpack crate in release mode and assembles
/// `<target>/buildpack/<id>/{buildpack.toml,bin/build,bin/detect}`.
///
/// # Errors
/// When cargo fails or the files cannot be written.
pub fn package_buildpack(workspace_root: &Path) -> Result<PackagedBuildpack, String> {
    let descriptor_path = workspace_root.join("buildpack.toml");
    let descriptor = std::fs::read_to_string(&descriptor_path)
        .map_err(|e| format!("read {}: {e}", descriptor_path.display()))?;
    let table: toml::Table =
        toml::from_str(&descriptor).map_err(|e| format!("buildpack.toml: {e}"))?;
    let id = table
        .get("buildpack")
        .and_then(|b| b.get("id"))
        .and_then(toml::Value::as_str)
        .ok_or("buildpack.toml has no buildpack.id")?
        .to_string();
    let version = table
        .get("buildpack")
        .and_then(|b| b.get("version"))
        .and_then(toml::Value::as_str)
        .ok_or("buildpack.toml has no buildpack.version")?
        .to_string();

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| String::from("cargo"));
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--package",
            "go-buildpack",
            "--bin",
            "go-buildpack",
        ])
        .current_dir(workspace_root)
        .status()
        .map_err(|e| format!("run cargo: {e}"))?;
    if !status.success() {
        return Err(String::from(
            "cargo build --release of the buildpack failed",
        ));
    }
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace_root.join("target"), PathBuf::from);
    let binary = target_dir.join("release").join("go-buildpack");

    let dir = target_dir.join("buildpack").join(id.replace('/', "_"));
    let _ = std::fs::remove_dir_all(&dir);
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).map_err(|e| format!("create {}: {e}", bin.display()))?;
    std::fs::copy(&descriptor_path, dir.join("buildpack.toml"))
        .map_err(|e| format!("copy buildpack.toml: {e}"))?;
    std::fs::copy(&binary, bin.join("build"))
        .map_err(|e| format!("copy {}: {e}", binary.display()))?;
    std::os::unix::fs::symlink("build", bin.join("detect"))
        .map_err(|e| format!("link bin/detect: {e}"))?;
    Ok(PackagedBuildpack { id, version, dir })
}
