//! Packages the buildpack as `cargo libcnb package` does: built for the musl target of this
//! machine's architecture (what a builder image runs), in release mode, into
//! `target/buildpack/<triple>/<id>` with buildpack.toml and bin/build, bin/detect.

use libcnb_package::cross_compile::{cross_compile_assistance, CrossCompileAssistance};
use libcnb_package::CargoProfile;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The Rust target a buildpack for this machine's architecture is built for.
#[must_use]
pub fn target_triple() -> &'static str {
    if cfg!(target_arch = "aarch64") {
        "aarch64-unknown-linux-musl"
    } else {
        "x86_64-unknown-linux-musl"
    }
}

/// Packages the buildpack crate at `workspace_root` and returns the buildpack directory.
///
/// # Errors
/// When the musl toolchain is missing, cargo fails or the directory cannot be written.
pub fn package_buildpack(workspace_root: &Path) -> Result<PathBuf, String> {
    let triple = target_triple();
    let cargo_env = match cross_compile_assistance(triple) {
        CrossCompileAssistance::HelpText(help) => return Err(help),
        CrossCompileAssistance::NoAssistance => Vec::new(),
        CrossCompileAssistance::Configuration { cargo_env } => cargo_env,
    };
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace_root.join("target"), PathBuf::from);
    let dir = target_dir.join("buildpack").join(triple).join("gocnb_go");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    libcnb_package::package::package_buildpack(
        workspace_root,
        CargoProfile::Release,
        triple,
        &cargo_env,
        &dir,
        &BTreeMap::new(),
    )
    .map_err(|e| format!("packaging the buildpack: {e}"))?;
    Ok(dir)
}
