//! The buildpack's configuration: platform environment variables.

use crate::download::DownloadPolicy;
use crate::keep_files::{KeepFiles, KeepFilesError};
use crate::linker::LinkerDefinition;
use go_cnb_common::go_version::{GoVersionRequirement, RequirementParseError};
use libcnb::Env;
use std::time::Duration;

// Each switch is its own user variable, independent of the others: no state machine hides here.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Config {
    /// `GOVERSION`: overrides every request in go.mod (classic Heroku buildpack compatibility).
    pub(crate) go_version: Option<GoVersionRequirement>,
    /// `GO_INSTALL_PACKAGE_SPEC`: the packages to build, instead of go.mod's or `./...`.
    pub(crate) install_package_spec: Vec<String>,
    /// `GO_LINKER_SYMBOL` with its value (`GO_LINKER_VALUE`, else `SOURCE_VERSION`).
    pub(crate) linker: Option<LinkerDefinition>,
    /// `GO_INSTALL_TOOLS_IN_IMAGE`: keep the Go toolchain in the image.
    pub(crate) install_tools_in_image: bool,
    /// `GO_INSTALL_MODULE_TOOLS`: build the tools of go.mod's `tool` lines into the image.
    pub(crate) install_module_tools: bool,
    /// `GO_SETUP_GOPATH_IN_IMAGE`: a Go workspace in the image, the app in `$GOPATH/src`.
    pub(crate) setup_gopath_in_image: bool,
    /// `GO_DIST_MIRROR`: base URL replacing `https://go.dev/dl/`.
    pub(crate) dist_mirror: Option<String>,
    /// `GO_INVENTORY`: path or URL of an inventory replacing the built-in one.
    pub(crate) inventory: Option<String>,
    /// A `GOTOOLCHAIN` the user set; reported, then overridden with `local`.
    pub(crate) user_gotoolchain: Option<String>,
    /// `GO_MEMLIMIT_FROM_CGROUP` (default true): set GOMEMLIMIT from the container's memory
    /// limit at launch.
    pub(crate) memlimit_from_cgroup: bool,
    /// `GO_KEEP_FILES`: the app directory of the image keeps only these globs' files.
    pub(crate) keep_files: Option<KeepFiles>,
    /// `GO_DOWNLOAD_*`: time limits and attempts of the toolchain and inventory downloads.
    pub(crate) download_policy: DownloadPolicy,
}

impl Default for Config {
    /// What an empty environment means.
    fn default() -> Self {
        Config {
            go_version: None,
            install_package_spec: Vec::new(),
            linker: None,
            install_tools_in_image: false,
            install_module_tools: false,
            setup_gopath_in_image: false,
            dist_mirror: None,
            inventory: None,
            user_gotoolchain: None,
            memlimit_from_cgroup: true,
            keep_files: None,
            download_policy: DownloadPolicy::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum ConfigError {
    #[error("GOVERSION: {0}")]
    GoVersion(RequirementParseError),
    #[error("{name}={value} is not true or false")]
    NotABoolean { name: &'static str, value: String },
    #[error("GO_LINKER_SYMBOL is set but neither GO_LINKER_VALUE nor SOURCE_VERSION is")]
    LinkerValueMissing,
    #[error("{name}={value} is not a whole number of at least 1")]
    NotAPositiveNumber { name: &'static str, value: String },
    #[error(transparent)]
    KeepFiles(KeepFilesError),
    /// The Go workspace in the image is the app's source: it cannot be cleared.
    #[error("GO_KEEP_FILES and GO_SETUP_GOPATH_IN_IMAGE are both set")]
    KeepFilesWithGopath,
}

fn non_empty(env: &Env, name: &str) -> Option<String> {
    env.get_string_lossy(name)
        .map(|value| value.trim().to_string())
        .filter(|value| !value.is_empty())
}

fn boolean(env: &Env, name: &'static str) -> Result<bool, ConfigError> {
    boolean_or(env, name, false)
}

fn boolean_or(env: &Env, name: &'static str, default: bool) -> Result<bool, ConfigError> {
    match non_empty(env, name)
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None => Ok(default),
        Some("false" | "0" | "no") => Ok(false),
        Some("true" | "1" | "yes") => Ok(true),
        Some(_) => Err(ConfigError::NotABoolean {
            name,
            value: non_empty(env, name).unwrap_or_default(),
        }),
    }
}

fn positive_number(env: &Env, name: &'static str) -> Result<Option<u32>, ConfigError> {
    non_empty(env, name)
        .map(|value| {
            value
                .parse::<u32>()
                .ok()
                .filter(|number| *number >= 1)
                .ok_or(ConfigError::NotAPositiveNumber { name, value })
        })
        .transpose()
}

fn download_policy(env: &Env) -> Result<DownloadPolicy, ConfigError> {
    let defaults = DownloadPolicy::default();
    let seconds = |name, default: Duration| -> Result<Duration, ConfigError> {
        Ok(positive_number(env, name)?.map_or(default, |s| Duration::from_secs(s.into())))
    };
    Ok(DownloadPolicy {
        connect_timeout: seconds("GO_DOWNLOAD_CONNECT_TIMEOUT", defaults.connect_timeout)?,
        stall_timeout: seconds("GO_DOWNLOAD_STALL_TIMEOUT", defaults.stall_timeout)?,
        deadline: seconds("GO_DOWNLOAD_DEADLINE", defaults.deadline)?,
        attempts: positive_number(env, "GO_DOWNLOAD_ATTEMPTS")?.unwrap_or(defaults.attempts),
        first_retry_delay: defaults.first_retry_delay,
        min_speed: positive_number(env, "GO_DOWNLOAD_MIN_SPEED")?.unwrap_or(defaults.min_speed),
        speed_window: defaults.speed_window,
        go_stall_timeout: seconds("GO_COMMAND_STALL_TIMEOUT", defaults.go_stall_timeout)?,
    })
}

impl Config {
    pub(crate) fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let go_version = non_empty(env, "GOVERSION")
            .map(|value| value.parse().map_err(ConfigError::GoVersion))
            .transpose()?;
        let linker = match non_empty(env, "GO_LINKER_SYMBOL") {
            Some(symbol) => Some(LinkerDefinition::new(
                &symbol,
                &non_empty(env, "GO_LINKER_VALUE")
                    .or_else(|| non_empty(env, "SOURCE_VERSION"))
                    .ok_or(ConfigError::LinkerValueMissing)?,
            )),
            None => None,
        };
        let keep_files = non_empty(env, "GO_KEEP_FILES")
            .map(|value| KeepFiles::parse(&value).map_err(ConfigError::KeepFiles))
            .transpose()?;
        let setup_gopath_in_image = boolean(env, "GO_SETUP_GOPATH_IN_IMAGE")?;
        if keep_files.is_some() && setup_gopath_in_image {
            return Err(ConfigError::KeepFilesWithGopath);
        }
        Ok(Config {
            go_version,
            install_package_spec: non_empty(env, "GO_INSTALL_PACKAGE_SPEC")
                .map(|spec| spec.split_whitespace().map(String::from).collect())
                .unwrap_or_default(),
            linker,
            install_tools_in_image: boolean(env, "GO_INSTALL_TOOLS_IN_IMAGE")?,
            install_module_tools: boolean(env, "GO_INSTALL_MODULE_TOOLS")?,
            setup_gopath_in_image,
            dist_mirror: non_empty(env, "GO_DIST_MIRROR"),
            inventory: non_empty(env, "GO_INVENTORY"),
            user_gotoolchain: non_empty(env, "GOTOOLCHAIN").filter(|value| value != "local"),
            memlimit_from_cgroup: boolean_or(env, "GO_MEMLIMIT_FROM_CGROUP", true)?,
            keep_files,
            download_policy: download_policy(env)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        let mut env = Env::new();
        for (key, value) in pairs {
            env.insert(key, value);
        }
        env
    }

    #[test]
    fn empty_environment_is_the_default() {
        assert_eq!(Config::from_env(&env(&[])).ok(), Some(Config::default()));
    }

    #[test]
    fn reads_every_variable() {
        let config = Config::from_env(&env(&[
            ("GOVERSION", "go1.26"),
            ("GO_INSTALL_PACKAGE_SPEC", " ./cmd/web  ./cmd/worker "),
            ("GO_LINKER_SYMBOL", "main.version"),
            ("SOURCE_VERSION", "abc123"),
            ("GO_INSTALL_TOOLS_IN_IMAGE", "true"),
            ("GO_DIST_MIRROR", "https://mirror.example/go/"),
            ("GO_INVENTORY", "/etc/go-inventory.toml"),
            ("GOTOOLCHAIN", "go1.27.0+auto"),
            ("GO_MEMLIMIT_FROM_CGROUP", "false"),
            ("GO_INSTALL_MODULE_TOOLS", "yes"),
        ]))
        .expect("valid config");
        assert_eq!(
            config.go_version.map(|r| r.to_string()).as_deref(),
            Some("go1.26")
        );
        assert_eq!(
            config.install_package_spec,
            vec!["./cmd/web", "./cmd/worker"]
        );
        assert_eq!(
            config.linker,
            Some(LinkerDefinition::LdFlags(String::from(
                "-X main.version=abc123"
            )))
        );
        assert!(config.install_tools_in_image);
        assert!(!config.setup_gopath_in_image);
        assert_eq!(
            config.dist_mirror.as_deref(),
            Some("https://mirror.example/go/")
        );
        assert_eq!(config.inventory.as_deref(), Some("/etc/go-inventory.toml"));
        assert_eq!(config.user_gotoolchain.as_deref(), Some("go1.27.0+auto"));
        assert!(!config.memlimit_from_cgroup);
        assert!(config.install_module_tools);
    }

    #[test]
    fn linker_value_beats_source_version() {
        let config = Config::from_env(&env(&[
            ("GO_LINKER_SYMBOL", "main.version"),
            ("GO_LINKER_VALUE", "v1"),
            ("SOURCE_VERSION", "abc123"),
        ]))
        .expect("valid config");
        assert_eq!(
            config.linker,
            Some(LinkerDefinition::LdFlags(String::from(
                "-X main.version=v1"
            )))
        );
    }

    #[test]
    fn rejects_bad_values() {
        assert!(matches!(
            Config::from_env(&env(&[("GOVERSION", "newest")])),
            Err(ConfigError::GoVersion(_))
        ));
        assert!(matches!(
            Config::from_env(&env(&[("GO_INSTALL_TOOLS_IN_IMAGE", "maybe")])),
            Err(ConfigError::NotABoolean { .. })
        ));
        assert!(matches!(
            Config::from_env(&env(&[("GO_MEMLIMIT_FROM_CGROUP", "off")])),
            Err(ConfigError::NotABoolean {
                name: "GO_MEMLIMIT_FROM_CGROUP",
                ..
            })
        ));
        assert!(matches!(
            Config::from_env(&env(&[("GO_LINKER_SYMBOL", "main.version")])),
            Err(ConfigError::LinkerValueMissing)
        ));
        for bad in ["0", "-5", "1.5", "soon"] {
            assert!(
                matches!(
                    Config::from_env(&env(&[("GO_DOWNLOAD_STALL_TIMEOUT", bad)])),
                    Err(ConfigError::NotAPositiveNumber {
                        name: "GO_DOWNLOAD_STALL_TIMEOUT",
                        ..
                    })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn download_limits_can_be_raised_for_slow_networks() {
        let config = Config::from_env(&env(&[
            ("GO_DOWNLOAD_CONNECT_TIMEOUT", "60"),
            ("GO_DOWNLOAD_STALL_TIMEOUT", "120"),
            ("GO_DOWNLOAD_DEADLINE", "3600"),
            ("GO_DOWNLOAD_ATTEMPTS", "8"),
            ("GO_DOWNLOAD_MIN_SPEED", "100"),
            ("GO_COMMAND_STALL_TIMEOUT", "600"),
        ]))
        .expect("valid config");
        assert_eq!(
            config.download_policy,
            DownloadPolicy {
                connect_timeout: Duration::from_mins(1),
                stall_timeout: Duration::from_mins(2),
                deadline: Duration::from_hours(1),
                attempts: 8,
                first_retry_delay: Duration::from_secs(1),
                min_speed: 100,
                speed_window: Duration::from_secs(20),
                go_stall_timeout: Duration::from_mins(10),
            }
        );
    }
}
