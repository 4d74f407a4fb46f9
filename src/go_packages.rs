//! Which packages to build, and the go commands that build and find them.

use crate::build_flags::BuildFlags;
use crate::go_watchdog::{stream_watched, Stall, Watchdog, WatchedFailure};
use crate::linker::{LinkerDefinition, TOOLEXEC_DEFINITION_ENV};
use bullet_stream::global::print;
use fun_run::{CmdError, CommandWithName};
use libcnb::Env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the package patterns came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PackageSource {
    InstallPackageSpecEnv,
    HerokuInstallComment,
    AllPackages,
    WorkspaceModules,
    /// The `tool` lines of go.mod (`GO_INSTALL_MODULE_TOOLS`).
    ModuleTools,
}

impl std::fmt::Display for PackageSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PackageSource::InstallPackageSpecEnv => "GO_INSTALL_PACKAGE_SPEC",
            PackageSource::HerokuInstallComment => "`// +heroku install` in go.mod",
            PackageSource::AllPackages => "the default, every package of the module",
            PackageSource::WorkspaceModules => {
                "the default in workspace mode, every package of the modules go.work uses"
            }
            PackageSource::ModuleTools => "the `tool` lines of go.mod",
        })
    }
}

/// A package pattern that the go command would read as a flag (`-toolexec=./hook.sh` would run
/// a program of the repository during the build).
#[derive(Debug, thiserror::Error)]
#[error("the package pattern `{pattern}` (from {package_source}) starts with `-`")]
pub(crate) struct FlagLikePattern {
    pub(crate) pattern: String,
    pub(crate) package_source: PackageSource,
}

/// The packages to build: `GO_INSTALL_PACKAGE_SPEC`, else `// +heroku install`, else every
/// package of the used modules in workspace mode, else `./...`. Patterns are only ever
/// packages: anything starting with `-` is refused (and patterns are passed after `--` as well).
pub(crate) fn package_patterns(
    spec_env: &[String],
    heroku_install: &[String],
    workspace: Option<&go_cnb_common::go_work::GoWork>,
) -> Result<(Vec<String>, PackageSource), FlagLikePattern> {
    let (patterns, source) = if !spec_env.is_empty() {
        (spec_env.to_vec(), PackageSource::InstallPackageSpecEnv)
    } else if !heroku_install.is_empty() {
        (heroku_install.to_vec(), PackageSource::HerokuInstallComment)
    } else if let Some(work) = workspace.filter(|work| !work.uses.is_empty()) {
        (work.package_patterns(), PackageSource::WorkspaceModules)
    } else {
        (vec![String::from("./...")], PackageSource::AllPackages)
    };
    match patterns.iter().find(|pattern| pattern.starts_with('-')) {
        Some(pattern) => Err(FlagLikePattern {
            pattern: pattern.clone(),
            package_source: source,
        }),
        None => Ok((patterns, source)),
    }
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum GoCommandError {
    #[error("{0}")]
    Failed(CmdError),
    #[error("`{}` made no progress for {}s and was stopped", stall.name, stall.window.as_secs())]
    Stalled {
        stall: Stall,
        /// The module proxies it fetches from (GOPROXY, credentials redacted).
        goproxy: String,
    },
    #[error("no main package matches {patterns}")]
    NoMainPackages {
        patterns: String,
        package_source: PackageSource,
    },
}

/// What a failed go command printed, stdout then stderr (nothing, if it could not run).
pub(crate) fn output_of(error: &CmdError) -> String {
    match error {
        CmdError::NonZeroExitAlreadyStreamed(output) | CmdError::NonZeroExitNotStreamed(output) => {
            format!("{}{}", output.stdout_lossy(), output.stderr_lossy())
        }
        CmdError::SystemError(..) => String::new(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MainPackage {
    pub(crate) import_path: String,
    pub(crate) binary: String,
}

/// A go command in the app directory with exactly `env` (see `GoSettings::command_env`).
pub(crate) fn go_command(env: &Env, app_dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new("go");
    command
        .args(args)
        .env_clear()
        .envs(env)
        .current_dir(app_dir);
    command
}

const LIST_FORMAT: &str = "{{if eq .Name \"main\"}}{{.ImportPath}}\t{{.Target}}{{end}}";

/// The main packages the patterns match, with the binary name `go install` gave each. Run after
/// `go install`, so every module it reads is already downloaded. `-find`: only the names and
/// targets are needed, so imports are not resolved.
/// `go list <mode> -f <format> -- <patterns>`: the patterns only ever as packages.
pub(crate) fn go_list(
    env: &Env,
    app_dir: &Path,
    mode: &str,
    format: &str,
    patterns: &[String],
) -> Command {
    let mut args = vec!["list", mode, "-f", format, "--"];
    args.extend(patterns.iter().map(String::as_str));
    go_command(env, app_dir, &args)
}

pub(crate) fn list_main_packages(
    env: &Env,
    app_dir: &Path,
    patterns: &[String],
    source: PackageSource,
) -> Result<Vec<MainPackage>, GoCommandError> {
    let name = format!(
        "go list {}",
        crate::truncate::for_display(&patterns.join(" "))
    );
    let output = go_list(env, app_dir, "-find", LIST_FORMAT, patterns)
        .named(name)
        .named_output()
        .map_err(GoCommandError::Failed)?;
    main_packages(&output.stdout_lossy(), patterns, source)
}

fn main_packages(
    list_output: &str,
    patterns: &[String],
    source: PackageSource,
) -> Result<Vec<MainPackage>, GoCommandError> {
    let packages: Vec<MainPackage> = list_output
        .lines()
        .filter_map(|line| line.split_once('\t'))
        .map(|(import_path, target)| MainPackage {
            import_path: import_path.to_string(),
            binary: Path::new(target).file_name().map_or_else(
                || import_path.to_string(),
                |n| n.to_string_lossy().into_owned(),
            ),
        })
        .collect();
    if packages.is_empty() {
        return Err(GoCommandError::NoMainPackages {
            patterns: patterns.join(" "),
            package_source: source,
        });
    }
    Ok(packages)
}

/// `go install` of the patterns: it downloads the modules it needs (reporting each), compiles
/// what changed and links only binaries that are out of date in GOBIN.
pub(crate) fn install_packages(
    env: &Env,
    app_dir: &Path,
    patterns: &[String],
    flags: &BuildFlags,
    linker: Option<&LinkerDefinition>,
    stall_timeout: std::time::Duration,
) -> Result<(), GoCommandError> {
    // Only for a linker value -ldflags cannot carry: the buildpack's own binary adds it.
    let toolexec = match linker {
        Some(LinkerDefinition::Toolexec(_)) => std::env::current_exe()
            .map(|exe| format!("-toolexec={}", exe.display()))
            .ok(),
        _ => None,
    };
    let flag_args = flags.install_args();
    let mut args = vec!["install"];
    args.extend(flag_args.iter().map(String::as_str));
    args.extend(toolexec.as_deref());
    args.push("--");
    args.extend(patterns.iter().map(String::as_str));
    let name = format!("go {}", crate::truncate::for_display(&args.join(" ")));
    let mut command = go_command(env, app_dir, &args);
    if let Some(LinkerDefinition::Toolexec(definition)) = linker {
        print::sub_bullet(
            "The linker value holds whitespace and both kinds of quote, which -ldflags cannot carry: \
             the buildpack hands it to the linker itself, as the go command's -toolexec",
        );
        command.env(TOOLEXEC_DEFINITION_ENV, definition);
    }
    let watchdog = Watchdog {
        window: stall_timeout,
        downloads: env
            .get("GOMODCACHE")
            .map(|cache| PathBuf::from(cache).join("cache")),
    };
    stream_watched(command, &name, &watchdog).map_err(|failure| match failure {
        WatchedFailure::Failed(error) => GoCommandError::Failed(error),
        WatchedFailure::Stalled(stall) => GoCommandError::Stalled {
            stall,
            goproxy: crate::download::redact_url(
                &env.get_string_lossy("GOPROXY")
                    .unwrap_or_else(|| String::from("https://proxy.golang.org,direct")),
            ),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(binaries: &[&str]) -> Vec<String> {
        binaries.iter().map(|b| (*b).to_string()).collect()
    }

    #[test]
    fn patterns_come_from_env_then_go_mod_then_everything() {
        let env = names(&["./cmd/web"]);
        let comment = names(&["./cmd/worker"]);
        assert_eq!(
            package_patterns(&env, &comment, None).map(|p| p.1).ok(),
            Some(PackageSource::InstallPackageSpecEnv)
        );
        assert_eq!(
            package_patterns(&[], &comment, None).ok(),
            Some((comment.clone(), PackageSource::HerokuInstallComment))
        );
        assert_eq!(
            package_patterns(&[], &[], None).ok(),
            Some((names(&["./..."]), PackageSource::AllPackages))
        );
        let work = go_cnb_common::go_work::parse_go_work(
            "go 1.25.0\nuse (\n\t.\n\t./tools/admin\n)\n",
            std::path::Path::new("go.work"),
        )
        .expect("go.work");
        assert_eq!(
            package_patterns(&[], &[], Some(&work)).ok(),
            Some((
                names(&["./...", "./tools/admin/..."]),
                PackageSource::WorkspaceModules
            ))
        );
        assert_eq!(
            package_patterns(&[], &comment, Some(&work)).ok(),
            Some((comment.clone(), PackageSource::HerokuInstallComment))
        );
    }

    #[test]
    fn patterns_that_look_like_flags_are_refused() {
        let error = package_patterns(&[], &names(&["-toolexec=./hook.sh", "./..."]), None)
            .expect_err("refused");
        assert_eq!(error.pattern, "-toolexec=./hook.sh");
        assert_eq!(error.package_source, PackageSource::HerokuInstallComment);
        let error =
            package_patterns(&names(&["./cmd/web", "-exec=sh"]), &[], None).expect_err("refused");
        assert_eq!(
            error.to_string(),
            "the package pattern `-exec=sh` (from GO_INSTALL_PACKAGE_SPEC) starts with `-`"
        );
    }
}
