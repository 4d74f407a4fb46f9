//! Packages the buildpack as `cargo libcnb package` does: built for the musl target of this
//! machine's architecture (what a builder image runs), in release mode, into
//! `target/buildpack/<triple>/gocnb_go-<digest>` with buildpack.toml, bin/build, bin/detect and
//! the additional binaries (`.libcnb-cargo/additional-bin/`).
//! The directory is named by its contents and never changed once there, so that a build still
//! reading one packaging is never broken by another (a test run beside the set-up, say).

use libcnb_package::cross_compile::{cross_compile_assistance, CrossCompileAssistance};
use libcnb_package::CargoProfile;
use sha2::{Digest, Sha256};
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
    let mut cargo_env = match cross_compile_assistance(triple) {
        CrossCompileAssistance::HelpText(help) => return Err(help),
        CrossCompileAssistance::NoAssistance => Vec::new(),
        CrossCompileAssistance::Configuration { cargo_env } => cargo_env,
    };
    // The cargo that runs this passes its package's CARGO_* variables on to the cargo started
    // here, and ring's build script reruns when one of them changes: with fixed values, the
    // same as tools/release/package.sh sets, `cargo test`, `cargo run` and the release
    // packaging share one cached build.
    let manifest_dir = workspace_root
        .canonicalize()
        .map_err(|e| format!("{}: {e}", workspace_root.display()))?;
    cargo_env.push(("CARGO_MANIFEST_DIR".into(), manifest_dir.into_os_string()));
    for name in [
        "CARGO_MANIFEST_PATH",
        "CARGO_MANIFEST_LINKS",
        "CARGO_PKG_NAME",
        "CARGO_PKG_VERSION",
        "CARGO_PKG_VERSION_MAJOR",
        "CARGO_PKG_VERSION_MINOR",
        "CARGO_PKG_VERSION_PATCH",
        "CARGO_PKG_VERSION_PRE",
        "CARGO_CRATE_NAME",
        "CARGO_PRIMARY_PACKAGE",
    ] {
        cargo_env.push((name.into(), "".into()));
    }
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace_root.join("target"), PathBuf::from);
    let parent = target_dir.join("buildpack").join(triple);
    let staging = parent.join(format!(".staging-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(|e| format!("create {}: {e}", staging.display()))?;
    libcnb_package::package::package_buildpack(
        workspace_root,
        CargoProfile::Release,
        triple,
        &cargo_env,
        &staging,
        &BTreeMap::new(),
    )
    .map_err(|e| format!("packaging the buildpack: {e}"))?;
    // Every file: buildpack.toml, bin/build and the additional binaries (the exec.d program).
    let mut digest = Sha256::new();
    for file in crate::entries_under(&staging)
        .iter()
        .filter(|path| path.is_file())
    {
        let bytes = std::fs::read(file).map_err(|e| format!("read {}: {e}", file.display()))?;
        digest.update(
            file.strip_prefix(&staging)
                .unwrap_or(file)
                .as_os_str()
                .as_encoded_bytes(),
        );
        digest.update(&bytes);
    }
    let dir = parent.join(format!(
        "gocnb_go-{}",
        &crate::hex(&digest.finalize())[..16]
    ));
    if dir.is_dir() {
        std::fs::remove_dir_all(&staging)
            .map_err(|e| format!("remove {}: {e}", staging.display()))?;
    } else {
        std::fs::rename(&staging, &dir).map_err(|e| format!("rename to {}: {e}", dir.display()))?;
    }
    Ok(dir)
}
