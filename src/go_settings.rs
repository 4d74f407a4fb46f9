//! The Go settings that shape the build: the GOFLAGS the buildpack completes (`-trimpath`, the
//! `heroku` build tag, VCS stamping only where git can do it), the user's GO* variables shown
//! before the first go command (credentials redacted), and those the buildpack overrides.

use crate::config::Config;
use crate::download::redact_url;
use crate::netrc::NETRC_ENV;
use crate::private_credentials::CredentialFiles;
use crate::truncate::for_display;
use bullet_stream::global::print;
use libcnb::Env;
use std::path::Path;

/// The build tag both Heroku Go buildpacks set, so apps can keep platform-only files apart.
const HEROKU_BUILD_TAG: &str = "heroku";

/// Variables that change what the go command builds or where it fetches modules from, shown
/// when set. Others stay unshown: they hold nothing that changes the binaries.
const SHOWN_VARIABLES: &[&str] = &[
    "GOEXPERIMENT",
    "GODEBUG",
    "GOFIPS140",
    "CGO_ENABLED",
    "CGO_CFLAGS",
    "CGO_CPPFLAGS",
    "CGO_CXXFLAGS",
    "CGO_LDFLAGS",
    "GOOS",
    "GOARCH",
    "GOAMD64",
    "GOARM64",
    "GOARM",
    "GO386",
    "GOPPC64",
    "GORISCV64",
    "GO111MODULE",
    "GOWORK",
    "GOPROXY",
    "GOPRIVATE",
    "GONOPROXY",
    "GONOSUMDB",
    "GOSUMDB",
    "GOINSECURE",
    "GOAUTH",
    "GOCACHEPROG",
];

/// Variables the buildpack sets to its layers, whatever the user set.
const LAYER_VARIABLES: &[&str] = &["GOROOT", "GOCACHE", "GOBIN"];
/// Set to the module cache layer, except for vendored apps (which have none).
const MODULE_CACHE_VARIABLES: &[&str] = &["GOPATH", "GOMODCACHE"];

/// Whether the go command can stamp version control information into the binaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VcsStamping {
    /// No `.git` at the root of the app: nothing to stamp.
    NoRepository,
    /// A `.git` and a `git` on PATH: the go command stamps the commit (`vcs.revision`).
    WithGit,
    /// A `.git` but no `git`: the go command would fail, so stamping is turned off.
    GitMissing,
}

/// What shapes the build, decided before any go command runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GoSettings {
    /// GOFLAGS for every go command of the build.
    pub(crate) goflags: String,
    /// The user's settings from [`SHOWN_VARIABLES`], credentials redacted.
    pub(crate) shown: Vec<(String, String)>,
    /// Variables the user set that the buildpack replaces, with their values redacted.
    pub(crate) overridden: Vec<(String, String)>,
    pub(crate) vcs: VcsStamping,
}

impl GoSettings {
    pub(crate) fn from_env(env: &Env, app_dir: &Path, vendored: bool) -> Self {
        let value = |name: &str| {
            env.get_string_lossy(name)
                .filter(|value| !value.trim().is_empty())
        };
        let vcs = if !app_dir.join(".git").exists() {
            VcsStamping::NoRepository
        } else if program_on_path("git", value("PATH").as_deref().unwrap_or_default()) {
            VcsStamping::WithGit
        } else {
            VcsStamping::GitMissing
        };
        let shown = SHOWN_VARIABLES
            .iter()
            .filter_map(|name| Some((name.to_string(), redact_url(&value(name)?))))
            .collect();
        let overridden = LAYER_VARIABLES
            .iter()
            .chain(if vendored {
                &[][..]
            } else {
                MODULE_CACHE_VARIABLES
            })
            .filter_map(|name| Some((name.to_string(), redact_url(&value(name)?))))
            .collect();
        GoSettings {
            goflags: goflags(value("GOFLAGS").as_deref(), vcs),
            shown,
            overridden,
            vcs,
        }
    }

    /// The lines printed before the first go command.
    pub(crate) fn describe(&self) -> Vec<String> {
        let mut lines = vec![format!(
            "GOFLAGS={} (the buildpack adds -trimpath, the `{HEROKU_BUILD_TAG}` build tag and -modcacherw to yours)",
            for_display(&self.goflags)
        )];
        lines.extend(
            self.shown
                .iter()
                .map(|(name, value)| format!("{name}={}", for_display(value))),
        );
        match self.vcs {
            VcsStamping::NoRepository => {}
            VcsStamping::WithGit => lines.push(String::from(
                "Stamping the git commit into the binaries (the app has a .git directory)",
            )),
            VcsStamping::GitMissing => lines.push(String::from(
                "Not stamping version control information (-buildvcs=false): the app has a .git directory, but git is not installed in the build image",
            )),
        }
        lines
    }

    pub(crate) fn print(&self) {
        for line in self.describe() {
            print::sub_bullet(line);
        }
        if !self.overridden.is_empty() {
            let names: Vec<String> = self
                .overridden
                .iter()
                .map(|(name, value)| format!("{name}={}", for_display(value)))
                .collect();
            print::warning(format!(
                "{} overridden.\n\
                 The buildpack keeps the toolchain, the caches and the binaries in its own layers, \
                 so that they are cached between builds and launched. Remove {} from the app's \
                 configuration.",
                names.join(", ") + if names.len() == 1 { " is" } else { " are" },
                if names.len() == 1 { "it" } else { "them" }
            ));
        }
    }

    /// The environment every go command runs with: the user's (platform env vars included),
    /// with the toolchain pinned and GOFLAGS completed.
    pub(crate) fn command_env(
        &self,
        user_env: &Env,
        config: &Config,
        credentials: Option<&CredentialFiles>,
    ) -> Env {
        // GO_NETRC holds secrets: go commands read them from the netrc file only.
        let mut env = user_env
            .iter()
            .filter(|(name, _)| name.as_os_str() != NETRC_ENV)
            .fold(Env::new(), |mut env, (name, value)| {
                env.insert(name, value);
                env
            });
        if let Some(credentials) = credentials {
            // git, which the go command runs for direct fetches, reads `$HOME/.netrc`.
            env.insert("HOME", credentials.home());
            if let Some(netrc) = credentials.netrc() {
                env.insert("NETRC", netrc);
            }
            if let Some(git_config) = credentials.git_config() {
                env.insert("GIT_CONFIG_GLOBAL", git_config);
                // Module servers that want credentials get them from git too, unless the app
                // chose its own GOAUTH. The directory is where go runs `git credential fill`.
                if user_env.get("GOAUTH").is_none() {
                    let mut goauth = std::ffi::OsString::from("netrc;git ");
                    goauth.push(credentials.home());
                    env.insert("GOAUTH", goauth);
                }
            }
        }
        if let Some(user_value) = &config.user_gotoolchain {
            let user_value = for_display(user_value);
            print::warning(format!(
                "GOTOOLCHAIN={user_value} is overridden with GOTOOLCHAIN=local.\n\
                 The go command must build with the Go version resolved above, not download another. \
                 To choose the version, set GOVERSION or edit the `go`/`toolchain` line of go.mod."
            ));
        }
        env.insert("GOTOOLCHAIN", "local");
        env.insert("GOFLAGS", &self.goflags);
        // The go command stamps VCS information with `git status`, which rewrites .git/index
        // with the files' inodes and times: the app directory, and so the image, would differ
        // from build to build. Without optional locks git leaves the index alone.
        env.insert("GIT_OPTIONAL_LOCKS", "0");
        env
    }
}

/// The user's GOFLAGS completed by the buildpack: `-trimpath` first (so a user's
/// `-trimpath=false` still wins), `-buildvcs=false` when git is missing (unless the user chose),
/// the user's flags, their last `-tags` with `heroku` added, and `-modcacherw` (Go makes the
/// module cache read-only by default; a read-only cache layer cannot be replaced).
pub(crate) fn goflags(user: Option<&str>, vcs: VcsStamping) -> String {
    // Split as the go command splits GOFLAGS, so a quoted entry (`'-ldflags=-s -w'`) stays one.
    // A value it cannot split was refused before (build_flags.rs).
    let user = user.unwrap_or_default();
    let user_fields: Vec<String> = go_cnb_common::go_quoted::split(user)
        .unwrap_or_else(|_| user.split_whitespace().map(String::from).collect());
    let user_fields: Vec<&str> = user_fields.iter().map(String::as_str).collect();
    let is_tags = |field: &str| field.starts_with("-tags=") || field.starts_with("--tags=");
    let user_tags = user_fields
        .iter()
        .rfind(|field| is_tags(field))
        .and_then(|field| field.split_once('='))
        .map(|(_, tags)| tags);
    let user_chose_vcs = user_fields
        .iter()
        .any(|field| field.starts_with("-buildvcs") || field.starts_with("--buildvcs"));

    let mut fields = vec![String::from("-trimpath")];
    if vcs == VcsStamping::GitMissing && !user_chose_vcs {
        fields.push(String::from("-buildvcs=false"));
    }
    fields.extend(
        user_fields
            .iter()
            .filter(|field| !is_tags(field) && **field != "-modcacherw")
            .map(ToString::to_string),
    );
    fields.push(match user_tags {
        Some(tags) if tags.split(',').any(|tag| tag == HEROKU_BUILD_TAG) => format!("-tags={tags}"),
        Some(tags) if !tags.is_empty() => format!("-tags={tags},{HEROKU_BUILD_TAG}"),
        _ => format!("-tags={HEROKU_BUILD_TAG}"),
    });
    fields.push(String::from("-modcacherw"));
    go_cnb_common::go_quoted::join(&fields).unwrap_or_else(|| fields.join(" "))
}

/// Whether `program` is an executable file in one of PATH's directories (as the go command
/// looks git up).
fn program_on_path(program: &str, path: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::env::split_paths(path).any(|dir| {
        std::fs::metadata(dir.join(program))
            .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goflags_add_trimpath_the_heroku_tag_and_modcacherw() {
        assert_eq!(
            goflags(None, VcsStamping::NoRepository),
            "-trimpath -tags=heroku -modcacherw"
        );
        assert_eq!(
            goflags(Some("  "), VcsStamping::WithGit),
            "-trimpath -tags=heroku -modcacherw"
        );
    }

    #[test]
    fn quoted_goflags_entries_stay_whole() {
        assert_eq!(
            goflags(
                Some("'-ldflags=-s -X main.a=b'  -mod=mod"),
                VcsStamping::NoRepository
            ),
            "-trimpath '-ldflags=-s -X main.a=b' -mod=mod -tags=heroku -modcacherw"
        );
    }

    #[test]
    fn goflags_keep_the_users_flags_after_trimpath_so_they_win() {
        assert_eq!(
            goflags(
                Some("-trimpath=false -mod=mod -modcacherw"),
                VcsStamping::NoRepository
            ),
            "-trimpath -trimpath=false -mod=mod -tags=heroku -modcacherw"
        );
    }

    #[test]
    fn goflags_merge_the_users_last_tags_with_heroku() {
        assert_eq!(
            goflags(
                Some("-tags=old -v -tags=netgo,osusergo"),
                VcsStamping::NoRepository
            ),
            "-trimpath -v -tags=netgo,osusergo,heroku -modcacherw"
        );
        assert_eq!(
            goflags(Some("--tags=heroku,x"), VcsStamping::NoRepository),
            "-trimpath -tags=heroku,x -modcacherw"
        );
        assert_eq!(
            goflags(Some("-tags="), VcsStamping::NoRepository),
            "-trimpath -tags=heroku -modcacherw"
        );
    }

    #[test]
    fn goflags_turn_vcs_stamping_off_only_when_git_is_missing_and_the_user_did_not_choose() {
        assert_eq!(
            goflags(None, VcsStamping::GitMissing),
            "-trimpath -buildvcs=false -tags=heroku -modcacherw"
        );
        assert_eq!(
            goflags(Some("-buildvcs=true"), VcsStamping::GitMissing),
            "-trimpath -buildvcs=true -tags=heroku -modcacherw"
        );
        assert_eq!(
            goflags(None, VcsStamping::WithGit),
            "-trimpath -tags=heroku -modcacherw"
        );
    }

    #[test]
    fn credentials_in_urls_are_redacted() {
        assert_eq!(
            redact_url("https://user:s3cret@proxy.example.com/go,https://proxy.golang.org|direct"),
            "https://[redacted]@proxy.example.com/go,https://proxy.golang.org|direct"
        );
        assert_eq!(
            redact_url("https://token@a.example,http://b:c@d.example"),
            "https://[redacted]@a.example,http://[redacted]@d.example"
        );
        assert_eq!(redact_url("off"), "off");
        assert_eq!(redact_url("*.corp.example.com"), "*.corp.example.com");
    }

    fn settings(vars: &[(&str, &str)], vendored: bool, with_git_dir: bool) -> GoSettings {
        let app = tempfile::tempdir().expect("tempdir");
        if with_git_dir {
            std::fs::create_dir(app.path().join(".git")).expect("mkdir");
        }
        let mut env = Env::new();
        for (name, value) in vars {
            env.insert(name, value);
        }
        GoSettings::from_env(&env, app.path(), vendored)
    }

    #[test]
    fn settings_show_what_shapes_the_build_redacted_and_in_a_fixed_order() {
        let settings = settings(
            &[
                ("GOPROXY", "https://me:tok@goproxy.corp.example"),
                ("GOEXPERIMENT", "jsonv2"),
                ("GOFLAGS", "-tags=netgo"),
                ("GO_NETRC", "machine x login y password z"),
                ("CGO_ENABLED", "0"),
            ],
            false,
            false,
        );
        insta::assert_snapshot!(settings.describe().join("\n"));
    }

    #[test]
    fn settings_name_the_variables_the_buildpack_overrides() {
        let overridden = settings(
            &[("GOCACHE", "/tmp/c"), ("GOPATH", "/go"), ("GOBIN", "/bin")],
            false,
            false,
        )
        .overridden;
        assert_eq!(
            overridden,
            vec![
                (String::from("GOCACHE"), String::from("/tmp/c")),
                (String::from("GOBIN"), String::from("/bin")),
                (String::from("GOPATH"), String::from("/go")),
            ]
        );
        // A vendored app has no module cache layer: its GOPATH stays the user's.
        let vendored = settings(&[("GOPATH", "/go")], true, false).overridden;
        assert_eq!(vendored, vec![]);
    }

    #[test]
    fn vcs_stamping_depends_on_a_git_directory_and_git_on_path() {
        assert_eq!(settings(&[], false, false).vcs, VcsStamping::NoRepository);
        let bin = tempfile::tempdir().expect("tempdir");
        let path = bin.path().display().to_string();
        assert_eq!(
            settings(&[("PATH", &path)], false, true).vcs,
            VcsStamping::GitMissing
        );
        let git = bin.path().join("git");
        std::fs::write(&git, "#!/bin/sh\n").expect("write");
        assert_eq!(
            settings(&[("PATH", &path)], false, true).vcs,
            VcsStamping::GitMissing,
            "a git that cannot be executed is no git"
        );
        std::fs::set_permissions(&git, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .expect("chmod");
        assert_eq!(
            settings(&[("PATH", &path)], false, true).vcs,
            VcsStamping::WithGit
        );
    }
}
