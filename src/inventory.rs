//! The inventory of Go releases, and choosing one for the app.

use go_cnb_common::go_mod::GoMod;
use go_cnb_common::go_version::{GoVersion, GoVersionRequirement};
use go_cnb_common::go_work::GoWork;
pub(crate) use go_cnb_common::inventory::{GoArtifact, GoInventory};
use libherokubuildpack::inventory::artifact::{Arch, Os};
use std::fmt::{self, Display, Formatter};
use std::str::FromStr;

const BUILT_IN_INVENTORY: &str = include_str!("../inventory.toml");

/// Where an inventory came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum InventoryLocation {
    BuiltIn,
    /// `GO_INVENTORY`: a path or an http(s) URL (with any credentials removed).
    Configured(String),
}

impl Display for InventoryLocation {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            InventoryLocation::BuiltIn => f.write_str("the buildpack's built-in inventory.toml"),
            InventoryLocation::Configured(location) => write!(f, "GO_INVENTORY ({location})"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum InventoryError {
    #[error("could not read {location}: {reason}")]
    Unreadable {
        location: InventoryLocation,
        reason: String,
    },
    #[error("could not parse {location}: {reason}")]
    Malformed {
        location: InventoryLocation,
        reason: String,
    },
}

pub(crate) fn parse_inventory(
    contents: &str,
    location: &InventoryLocation,
) -> Result<GoInventory, InventoryError> {
    GoInventory::from_str(contents).map_err(|error| InventoryError::Malformed {
        location: location.clone(),
        reason: match error {
            libherokubuildpack::inventory::ParseInventoryError::TomlError(e) => {
                e.to_string().trim_end().to_string()
            }
        },
    })
}

/// Loads the inventory named by `GO_INVENTORY`, or the built-in one.
pub(crate) fn load_inventory(
    configured: Option<&str>,
    download_policy: &crate::download::DownloadPolicy,
) -> Result<(GoInventory, InventoryLocation), InventoryError> {
    let Some(configured) = configured else {
        let location = InventoryLocation::BuiltIn;
        return parse_inventory(BUILT_IN_INVENTORY, &location).map(|inv| (inv, location));
    };
    let location = InventoryLocation::Configured(crate::download::redact_url(configured));
    let contents = if configured.starts_with("http://") || configured.starts_with("https://") {
        let mut report_retry = |notice: &crate::download::RetryNotice<'_>| {
            bullet_stream::global::print::sub_bullet(format!("Reading GO_INVENTORY: {notice}"));
        };
        crate::download::fetch_text(configured, download_policy, &mut report_retry).map_err(
            |error| InventoryError::Unreadable {
                location: location.clone(),
                reason: error.to_string(),
            },
        )?
    } else {
        let path = configured.strip_prefix("file://").unwrap_or(configured);
        std::fs::read_to_string(path).map_err(|error| InventoryError::Unreadable {
            location: location.clone(),
            reason: error.to_string(),
        })?
    };
    parse_inventory(&contents, &location).map(|inv| (inv, location))
}

/// Where the version request came from, in the order of precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VersionSource {
    GoVersionEnv,
    HerokuGoVersionComment,
    WorkToolchainLine,
    WorkGoLine,
    ToolchainLine,
    GoLine,
    NoRequest,
}

impl Display for VersionSource {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            VersionSource::GoVersionEnv => "the GOVERSION environment variable",
            VersionSource::HerokuGoVersionComment => "the `// +heroku goVersion` comment in go.mod",
            VersionSource::WorkToolchainLine => "the `toolchain` line in go.work",
            VersionSource::WorkGoLine => "the `go` line in go.work",
            VersionSource::ToolchainLine => "the `toolchain` line in go.mod",
            VersionSource::GoLine => "the `go` line in go.mod",
            VersionSource::NoRequest => "no request (go.mod has no `go` line)",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VersionRequest {
    pub(crate) requirement: GoVersionRequirement,
    /// What the user wrote, e.g. `go 1.25.0`.
    pub(crate) written: String,
    pub(crate) source: VersionSource,
}

/// Decides which request wins: GOVERSION, `// +heroku goVersion`, `toolchain`, `go`, none.
/// The Go version the app asks for. In workspace mode, go.work's `toolchain` and `go` lines
/// decide before go.mod's, as they do for the go command.
pub(crate) fn version_request(
    go_mod: &GoMod,
    go_work: Option<&GoWork>,
    goversion_env: Option<&GoVersionRequirement>,
) -> VersionRequest {
    if let Some(requirement) = goversion_env {
        return VersionRequest {
            requirement: requirement.clone(),
            written: format!("GOVERSION={requirement}"),
            source: VersionSource::GoVersionEnv,
        };
    }
    if let Some(requirement) = &go_mod.heroku_go_version {
        return VersionRequest {
            requirement: requirement.clone(),
            written: format!("// +heroku goVersion {requirement}"),
            source: VersionSource::HerokuGoVersionComment,
        };
    }
    let lines = [
        (
            go_work.and_then(|work| work.toolchain.as_ref()),
            "toolchain go",
            VersionSource::WorkToolchainLine,
        ),
        (
            go_work.and_then(|work| work.go_line.as_ref()),
            "go ",
            VersionSource::WorkGoLine,
        ),
        (
            go_mod.toolchain.as_ref(),
            "toolchain go",
            VersionSource::ToolchainLine,
        ),
        (go_mod.go_line.as_ref(), "go ", VersionSource::GoLine),
    ];
    if let Some((version, keyword, source)) = lines
        .into_iter()
        .find_map(|(version, keyword, source)| Some((version?, keyword, source)))
    {
        return VersionRequest {
            requirement: GoVersionRequirement::minimum_in_line(version),
            written: format!("{keyword}{version}"),
            source,
        };
    }
    VersionRequest {
        requirement: GoVersionRequirement::any(),
        written: String::from("(nothing)"),
        source: VersionSource::NoRequest,
    }
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum ResolveError {
    #[error("unsupported architecture {arch}")]
    UnsupportedArch { arch: String },
    #[error("no Go release matches {}", request.written)]
    NoMatchingRelease {
        request: VersionRequest,
        arch: String,
        location: InventoryLocation,
        nearest: Vec<GoVersion>,
    },
}

pub(crate) fn parse_target_arch(arch: &str) -> Result<Arch, ResolveError> {
    // The inventory format only knows these two Linux architectures.
    match arch {
        "amd64" => Ok(Arch::Amd64),
        "arm64" => Ok(Arch::Arm64),
        other => Err(ResolveError::UnsupportedArch {
            arch: other.to_string(),
        }),
    }
}

pub(crate) fn resolve_release<'a>(
    inventory: &'a GoInventory,
    location: &InventoryLocation,
    request: &VersionRequest,
    arch: Arch,
) -> Result<&'a GoArtifact, ResolveError> {
    inventory
        .resolve(Os::Linux, arch, &request.requirement)
        .ok_or_else(|| ResolveError::NoMatchingRelease {
            request: request.clone(),
            arch: arch.to_string(),
            location: location.clone(),
            nearest: nearest_releases(inventory, arch, request),
        })
}

/// The releases closest to what was asked: two below and two above its anchor version, newest
/// first, so the message can suggest a real alternative.
fn nearest_releases(
    inventory: &GoInventory,
    arch: Arch,
    request: &VersionRequest,
) -> Vec<GoVersion> {
    let mut versions: Vec<GoVersion> = inventory
        .artifacts
        .iter()
        .filter(|a| a.os == Os::Linux && a.arch == arch)
        .map(|a| a.version.clone())
        .collect();
    versions.sort();
    versions.dedup();
    let Some(anchor) = request.requirement.anchor() else {
        return versions.into_iter().rev().take(3).collect();
    };
    let split = versions.partition_point(|v| v < &anchor);
    let start = split.saturating_sub(2);
    let end = (split + 2).min(versions.len());
    versions[start..end].iter().rev().cloned().collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use go_cnb_common::go_mod::parse_go_mod;
    use std::path::Path;

    const TEST_INVENTORY: &str = r#"
[[artifacts]]
version = "1.27.0"
os = "linux"
arch = "amd64"
url = "https://go.dev/dl/go1.27.0.linux-amd64.tar.gz"
checksum = "sha256:675c26c449cbb18fc24b74650de1eabbae6e16f64326fd85a283fb3b58280685"

[[artifacts]]
version = "1.26.7"
os = "linux"
arch = "amd64"
url = "https://go.dev/dl/go1.26.7.linux-amd64.tar.gz"
checksum = "sha256:ffb5f8de10c62550dfddab66b36b57030721e0a44a3218e9e1181d7b59f121ca"

[[artifacts]]
version = "1.26.6"
os = "linux"
arch = "amd64"
url = "https://go.dev/dl/go1.26.6.linux-amd64.tar.gz"
checksum = "sha256:708effb774be8237570d0add163225abbdfaf4fca28b2611df167beba4feef89"

[[artifacts]]
version = "1.26.6"
os = "linux"
arch = "arm64"
url = "https://go.dev/dl/go1.26.6.linux-arm64.tar.gz"
checksum = "sha256:708effb774be8237570d0add163225abbdfaf4fca28b2611df167beba4feef89"

[[artifacts]]
version = "1.25.1"
os = "linux"
arch = "amd64"
url = "https://go.dev/dl/go1.25.1.linux-amd64.tar.gz"
checksum = "sha256:708effb774be8237570d0add163225abbdfaf4fca28b2611df167beba4feef89"

[[artifacts]]
version = "1.25.0"
os = "linux"
arch = "amd64"
url = "https://go.dev/dl/go1.25.0.linux-amd64.tar.gz"
checksum = "sha256:708effb774be8237570d0add163225abbdfaf4fca28b2611df167beba4feef89"
"#;

    /// A small inventory for tests: 1.25.0, 1.25.1, 1.26.6, 1.26.7, 1.27.0 (and 1.26.6 arm64).
    pub(crate) fn inventory() -> GoInventory {
        parse_inventory(TEST_INVENTORY, &InventoryLocation::BuiltIn).expect("test inventory parses")
    }

    fn resolve(go_mod: &str, goversion: Option<&str>, arch: Arch) -> Result<String, ResolveError> {
        let go_mod = parse_go_mod(go_mod, Path::new("go.mod")).expect("go.mod parses");
        let env = goversion.map(|g| g.parse().expect("requirement parses"));
        let request = version_request(&go_mod, None, env.as_ref());
        let inventory = inventory();
        resolve_release(&inventory, &InventoryLocation::BuiltIn, &request, arch)
            .map(|artifact| artifact.version.to_string())
    }

    #[test]
    fn built_in_inventory_parses_and_is_newest_first() {
        let inventory = parse_inventory(BUILT_IN_INVENTORY, &InventoryLocation::BuiltIn)
            .expect("built-in inventory parses");
        assert!(inventory.artifacts.len() > 400);
        assert!(inventory
            .artifacts
            .windows(2)
            .all(|pair| pair[0].version >= pair[1].version));
        assert!(
            inventory
                .artifacts
                .iter()
                .all(|a| a.url
                    == format!("https://go.dev/dl/go{}.linux-{}.tar.gz", a.version, a.arch))
        );
    }

    #[test]
    fn go_line_is_a_minimum_within_its_minor_line() {
        assert_eq!(
            resolve("module m\ngo 1.25.0\n", None, Arch::Amd64)
                .ok()
                .as_deref(),
            Some("1.25.1")
        );
        assert_eq!(
            resolve("module m\ngo 1.26\n", None, Arch::Amd64)
                .ok()
                .as_deref(),
            Some("1.26.7")
        );
    }

    #[test]
    fn no_go_line_means_newest() {
        assert_eq!(
            resolve("module m\n", None, Arch::Amd64).ok().as_deref(),
            Some("1.27.0")
        );
    }

    #[test]
    fn toolchain_beats_go_line() {
        let go_mod = "module m\ngo 1.25.0\ntoolchain go1.26.2\n";
        assert_eq!(
            resolve(go_mod, None, Arch::Amd64).ok().as_deref(),
            Some("1.26.7")
        );
    }

    #[test]
    fn heroku_comment_beats_toolchain_and_env_beats_all() {
        let go_mod = "// +heroku goVersion 1.26.6\nmodule m\ngo 1.25.0\ntoolchain go1.27.0\n";
        assert_eq!(
            resolve(go_mod, None, Arch::Amd64).ok().as_deref(),
            Some("1.26.6")
        );
        assert_eq!(
            resolve(go_mod, Some("go1.25"), Arch::Amd64).ok().as_deref(),
            Some("1.25.1")
        );
    }

    #[test]
    fn resolves_for_the_target_arch() {
        assert_eq!(
            resolve("module m\ngo 1.26\n", None, Arch::Arm64)
                .ok()
                .as_deref(),
            Some("1.26.6")
        );
        assert!(matches!(
            parse_target_arch("ppc64le"),
            Err(ResolveError::UnsupportedArch { .. })
        ));
        assert_eq!(parse_target_arch("arm64").ok(), Some(Arch::Arm64));
    }

    #[test]
    fn prerelease_go_line_resolves_to_a_release_of_its_line() {
        assert_eq!(
            resolve("module m\ngo 1.27rc1\n", None, Arch::Amd64)
                .ok()
                .as_deref(),
            Some("1.27.0")
        );
    }

    #[test]
    fn unknown_version_names_the_nearest_releases() {
        match resolve("module m\ngo 1.26.8\n", None, Arch::Amd64) {
            Err(ResolveError::NoMatchingRelease {
                nearest, request, ..
            }) => {
                let nearest: Vec<String> = nearest.iter().map(ToString::to_string).collect();
                assert_eq!(nearest, vec!["1.27.0", "1.26.7", "1.26.6"]);
                assert_eq!(request.source, VersionSource::GoLine);
            }
            other => panic!("expected no matching release, got {other:?}"),
        }
    }
}
