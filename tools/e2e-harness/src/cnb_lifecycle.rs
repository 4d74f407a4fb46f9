//! Installs the real Cloud Native Buildpacks lifecycle (`cmd/lifecycle` and `cmd/launcher`),
//! built with the machine's Go from the module pinned in `tools/cnb-lifecycle/go.mod`, into the
//! test cache. Every module it is built from is checked against the committed go.sum.

use crate::go_mirror::cache_dir;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

const LIFECYCLE_MODULE: &str = "github.com/buildpacks/lifecycle";

/// The names a builder image links to the lifecycle binary, which picks its phase from them.
const PHASES: &[&str] = &[
    "analyzer", "detector", "restorer", "builder", "exporter", "creator", "rebaser", "extender",
];

static INSTALL_LOCK: Mutex<()> = Mutex::new(());

/// An installed lifecycle: `dir` holds `lifecycle`, `launcher` and one link per phase, laid
/// out as a builder image's `/cnb/lifecycle`.
#[derive(Debug, Clone)]
pub struct InstalledLifecycle {
    pub version: String,
    pub dir: PathBuf,
}

fn pin_module_dir(workspace_root: &Path) -> PathBuf {
    workspace_root.join("tools").join("cnb-lifecycle")
}

/// The lifecycle version that `tools/cnb-lifecycle/go.mod` requires.
///
/// # Errors
/// When go.mod cannot be read or does not require the lifecycle module.
pub fn pinned_version(workspace_root: &Path) -> Result<String, String> {
    let go_mod_path = pin_module_dir(workspace_root).join("go.mod");
    let go_mod = std::fs::read_to_string(&go_mod_path)
        .map_err(|e| format!("read {}: {e}", go_mod_path.display()))?;
    go_mod
        .lines()
        .map(|line| line.trim().trim_start_matches("require").trim())
        .find_map(|line| {
            let mut words = line.split_whitespace();
            (words.next() == Some(LIFECYCLE_MODULE))
                .then(|| words.next().map(String::from))
                .flatten()
        })
        .ok_or_else(|| {
            format!(
                "{} does not require {LIFECYCLE_MODULE}",
                go_mod_path.display()
            )
        })
}

/// Builds the pinned lifecycle unless the cache already holds it; later calls take no time.
///
/// # Errors
/// When go is missing, a module cannot be downloaded or fails verification, or the build fails.
pub fn install(workspace_root: &Path) -> Result<InstalledLifecycle, String> {
    let _guard = INSTALL_LOCK
        .lock()
        .map_err(|_| String::from("install lock poisoned"))?;
    let version = pinned_version(workspace_root)?;
    let dir = cache_dir().join("lifecycle").join(&version);
    let installed = InstalledLifecycle {
        version: version.clone(),
        dir: dir.clone(),
    };
    // The marker is written last: a half-finished install is never taken for a complete one.
    if dir.join(".complete").is_file() {
        return Ok(installed);
    }

    let staging = cache_dir()
        .join("lifecycle")
        .join(format!(".{version}.{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(|e| format!("create {}: {e}", staging.display()))?;
    let ldflags = format!(
        "-s -w -X '{LIFECYCLE_MODULE}/cmd.Version={}'",
        version.trim_start_matches('v')
    );
    let output = Command::new("go")
        .args(["build", "-trimpath", "-ldflags", &ldflags, "-o"])
        .arg(&staging)
        .args([
            format!("{LIFECYCLE_MODULE}/cmd/lifecycle"),
            format!("{LIFECYCLE_MODULE}/cmd/launcher"),
        ])
        .current_dir(pin_module_dir(workspace_root))
        // Static binaries, like the released lifecycle: the launcher runs inside the image.
        .env("CGO_ENABLED", "0")
        .env("GOTOOLCHAIN", "local")
        // go.sum is complete and committed: every module is verified against it, and a module
        // missing from it is an error rather than a lookup (the checksum database is not
        // reachable from these machines).
        .env("GOFLAGS", "-mod=readonly")
        .env("GOSUMDB", "off")
        .output()
        .map_err(|e| format!("run go (the machine's Go builds the lifecycle): {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "building lifecycle {version} failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    for phase in PHASES {
        std::os::unix::fs::symlink("lifecycle", staging.join(phase))
            .map_err(|e| format!("link {phase}: {e}"))?;
    }
    std::fs::write(staging.join(".complete"), &version)
        .map_err(|e| format!("write marker: {e}"))?;
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::rename(&staging, &dir).map_err(|e| format!("move {}: {e}", dir.display()))?;
    Ok(installed)
}
