//! The Go version and build settings a binary was built with, read from the build information
//! the go command embeds (what `go version -m <binary>` prints), so tests need no host Go.

use go_cnb_common::build_info::{build_info, build_info_of_file};
use std::path::Path;

/// The Go version (`go1.26.6`, with ` X:<experiments>` when built with GOEXPERIMENT) recorded
/// in a binary, or `None` when the file is not a Go binary of Go 1.18 or later.
#[must_use]
pub fn go_version_of(bytes: &[u8]) -> Option<String> {
    build_info(bytes).map(|info| info.go_version)
}

/// [`go_version_of`] for a file.
#[must_use]
pub fn go_version_of_file(path: &Path) -> Option<String> {
    build_info_of_file(path).map(|info| info.go_version)
}

/// The value of a `build` setting (`-trimpath`, `vcs.revision`, `GOEXPERIMENT`…) recorded in
/// a binary.
#[must_use]
pub fn build_setting_of_file(path: &Path, key: &str) -> Option<String> {
    build_info_of_file(path)?.setting(key).map(String::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_pack_that_the_platform_set_up_built() {
        // tools/platform/setup.sh builds pack with the machine's Go, -trimpath, onto PATH.
        let binary = std::env::var_os("PATH")
            .iter()
            .flat_map(std::env::split_paths)
            .map(|dir| dir.join("pack"))
            .find(|path| path.is_file())
            .expect("pack on PATH (tools/platform/setup.sh)");
        let version = go_version_of_file(&binary).expect("a Go binary");
        assert!(version.starts_with("go1."), "{version}");
        let info = build_info_of_file(&binary).expect("info");
        assert_eq!(
            info.main.map(|module| module.path).as_deref(),
            Some("github.com/buildpacks/pack")
        );
        assert!(!info.deps.is_empty());
        assert_eq!(
            build_setting_of_file(&binary, "-trimpath").as_deref(),
            Some("true")
        );
    }
}
