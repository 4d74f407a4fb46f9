//! Every message a user reads when the build fails: a heading, the facts and what to do, the
//! underlying error apart as details for debugging, and a stable id to search for or quote.

use crate::config::ConfigError;
use crate::download::DownloadError;
use crate::go_mod::GoModError;
use crate::go_packages::{GoCommandError, PackageSource};
use crate::inventory::{InventoryError, ResolveError, VersionSource};
use crate::layers::go_dist::GoDistError;
use crate::layers::gopath::GoPathError;
use crate::netrc::NetrcError;
use crate::truncate::for_display;
use crate::GoBuildpackError;
use bullet_stream::global::print;

pub(crate) fn print_error(error: &libcnb::Error<GoBuildpackError>) {
    print::error(error_message(error));
}

/// A message: what happened and what to do, then its id.
fn message(id: &str, heading: &str, body: &str) -> String {
    format!("{heading}\n\n{}\n\nError id: {id}", body.trim_end())
}

/// A message with the underlying error (an I/O error, a command's status) apart, for debugging.
fn message_with_details(
    id: &str,
    heading: &str,
    body: &str,
    details: &dyn std::fmt::Display,
) -> String {
    format!(
        "{heading}\n\n{}\n\nDetails for debugging:\n{}\n\nError id: {id}",
        body.trim_end(),
        details.to_string().trim_end()
    )
}

pub(crate) fn error_message(error: &libcnb::Error<GoBuildpackError>) -> String {
    match error {
        libcnb::Error::BuildpackError(error) => buildpack_error_message(error),
        other => message_with_details(
            "go/internal",
            "Internal buildpack error",
            "The buildpack failed while talking to the CNB platform (writing a layer or its metadata, or reading the build plan).\n\n\
             This is not caused by the app. Retry the build; if it fails again, report it with this output.",
            other,
        ),
    }
}

#[allow(clippy::too_many_lines)]
fn buildpack_error_message(error: &GoBuildpackError) -> String {
    match error {
        GoBuildpackError::GoMod(GoModError::Read { path, source }) => message_with_details(
            "go/go-mod/unreadable",
            &format!("Could not read {}", path.display()),
            &format!(
                "Reading {} at the root of the app failed.\n\n\
                 Make sure it is a readable text file, committed with the app.",
                path.display()
            ),
            source,
        ),
        GoBuildpackError::GoMod(GoModError::Malformed { path, line, content, problem }) => message(
            "go/go-mod/malformed",
            &format!("{} is malformed", path.display()),
            &format!(
                "{}:{line}: {}\n\n    {}\n\n\
                 Fix that line (`go {} edit -fmt` reformats the file) and build again.",
                path.display(),
                crate::truncate::quoted_for_display(problem),
                for_display(content),
                if path.ends_with("go.work") { "work" } else { "mod" },
            ),
        ),
        GoBuildpackError::GoMod(GoModError::NoModuleLine { path }) => message(
            "go/go-mod/no-module-line",
            "go.mod has no module line",
            &format!(
                "{} does not declare the module path.\n\n\
                 Add a line such as `module example.com/myapp` at the top, or recreate the file with `go mod init <module path>`.",
                path.display()
            ),
        ),
        GoBuildpackError::Config(error) => config_message(error),
        GoBuildpackError::Inventory(error) => inventory_message(error),
        GoBuildpackError::Resolve(error) => resolve_message(error),
        GoBuildpackError::GoDist(error) => go_dist_message(error),
        GoBuildpackError::GoCommand(error) => go_command_message(error),
        GoBuildpackError::PackagePattern(error) => {
            let fix = match error.package_source {
                PackageSource::InstallPackageSpecEnv => "Set GO_INSTALL_PACKAGE_SPEC to package paths only (such as `./cmd/web ./cmd/worker`).",
                _ => "Change `// +heroku install` in go.mod to list package paths only (such as `./cmd/web ./cmd/worker`).",
            };
            message(
                "go/packages/flag-like-pattern",
                "A package pattern looks like a go flag",
                &format!(
                    "The package pattern `{}` (from {}) starts with `-`, so the go command would read it as a flag, not as packages to build. \
                     Flags are never taken from package lists: they could run programs during the build.\n\n{fix} \
                     Build flags go in GOFLAGS; linker values in GO_LINKER_SYMBOL and GO_LINKER_VALUE.",
                    for_display(&error.pattern),
                    error.package_source
                ),
            )
        }
        GoBuildpackError::CreateGobin(source) => message_with_details(
            "go/target/create-bin",
            "Could not create the directory for the binaries",
            "Creating the target layer's bin directory failed.\n\nRetry the build.",
            source,
        ),
        GoBuildpackError::PrepareBuildCache(source) => message_with_details(
            "go/build-cache/prepare",
            "Could not prepare the Go build cache",
            "Preparing the go-build-cache layer (the go command's configuration, and the entries' ages used to prune what a build does not use) failed.\n\n\
             Retry the build; if it fails again, clear the build cache (`pack build --clear-cache`, or your platform's equivalent).",
            source,
        ),
        GoBuildpackError::RemoveStaleBinaries(source) => message_with_details(
            "go/target/remove-stale",
            "Could not remove binaries of the last build",
            "Removing binaries that no main package builds any more from the target layer failed.\n\n\
             Retry the build; if it fails again, clear the build cache (`pack build --clear-cache`, or your platform's equivalent).",
            source,
        ),
        GoBuildpackError::GoPath(GoPathError::UnsafeModulePath(module_path)) => message(
            "go/gopath/unsafe-module-path",
            "The module path cannot be a GOPATH directory",
            &format!(
                "GO_SETUP_GOPATH_IN_IMAGE places the app at $GOPATH/src/<module path>, but the module path `{}` in go.mod has an empty, `.` or `..` element, which would place it elsewhere.\n\n\
                 Fix the `module` line of go.mod (the go command refuses such paths too), or unset GO_SETUP_GOPATH_IN_IMAGE.",
                for_display(module_path)
            ),
        ),
        GoBuildpackError::GoPath(GoPathError::Link(source)) => message_with_details(
            "go/gopath/link",
            "Could not set up the Go workspace",
            "Creating $GOPATH/src/<module path> in the gopath layer (GO_SETUP_GOPATH_IN_IMAGE) failed.\n\nRetry the build.",
            source,
        ),
        GoBuildpackError::Netrc(error) => netrc_message(error),
        GoBuildpackError::Sbom(error) => message_with_details(
            "go/sbom/write",
            "Could not write the SBOM of the binaries",
            "Making the CycloneDX SBOM of the image's binaries from their embedded Go build information failed. \
             The binaries were built; the SBOM describes them.\n\n\
             Retry the build; if it fails again, report it with this output.",
            error,
        ),
        GoBuildpackError::InvalidProcessType(name) => message(
            "go/processes/invalid-type",
            "Invalid process name",
            &format!(
                "`{name}` cannot be a process type: process types may only contain letters, digits, `.`, `_` and `-`.\n\n\
                 Rename the package directory, or add a Procfile that runs the binary."
            ),
        ),
    }
}

fn config_message(error: &ConfigError) -> String {
    match error {
        ConfigError::GoVersion(parse_error) => message(
            "go/config/goversion",
            "GOVERSION is not a Go version",
            &format!(
                "{}.\n\n\
                 Set GOVERSION to a release line (`go1.26`), an exact release (`1.26.3`) or a requirement (`>=1.25, <1.27`), or unset it to use go.mod.",
                for_display(&parse_error.to_string())
            ),
        ),
        ConfigError::NotABoolean { name, value } => message(
            "go/config/not-a-boolean",
            &format!("{name} must be true or false"),
            &format!(
                "{name} is set to `{}`.\n\nSet it to `true` or `false`, or unset it.",
                for_display(value)
            ),
        ),
        ConfigError::LinkerValueMissing => message(
            "go/config/linker-value-missing",
            "GO_LINKER_SYMBOL has no value",
            "GO_LINKER_SYMBOL names the variable to set with `-ldflags -X`, but neither GO_LINKER_VALUE nor SOURCE_VERSION is set.\n\n\
             Set GO_LINKER_VALUE to the value to embed, or unset GO_LINKER_SYMBOL.",
        ),
        ConfigError::NotAPositiveNumber { name, value } => message(
            "go/config/not-a-number",
            &format!("{name} must be a whole number"),
            &format!(
                "{name} is set to `{}`.\n\n\
                 Set it to a whole number of at least 1 (seconds, or attempts for GO_DOWNLOAD_ATTEMPTS), or unset it for the default.",
                for_display(value)
            ),
        ),
    }
}

fn inventory_message(error: &InventoryError) -> String {
    match error {
        InventoryError::Unreadable { location, reason } => message_with_details(
            "go/inventory/unreadable",
            "Could not read the Go inventory",
            &format!(
                "Reading {location} failed.\n\n\
                 Check that GO_INVENTORY names a readable file or a reachable http(s) URL, or unset it to use the built-in inventory."
            ),
            reason,
        ),
        InventoryError::Malformed { location, reason } => message(
            "go/inventory/malformed",
            "The Go inventory is malformed",
            &format!(
                "{location} is not a valid inventory:\n\n{reason}\n\n\
                 Each entry needs version, os, arch, url and checksum (`sha256:<hex>`); regenerate it with the inventory updater or fix the entry named above."
            ),
        ),
    }
}

fn resolve_message(error: &ResolveError) -> String {
    match error {
        ResolveError::UnsupportedArch { arch } => message(
            "go/resolve/unsupported-arch",
            "Unsupported architecture",
            &format!(
                "The build targets linux/{arch}, but Go releases are only installed for linux/amd64 and linux/arm64.\n\n\
                 Build for one of those (for example with a builder image for amd64 or arm64)."
            ),
        ),
        ResolveError::NoMatchingRelease { request, arch, location, nearest } => {
            let listed = if nearest.is_empty() {
                format!("{location} lists no release for linux/{arch}.")
            } else {
                format!(
                    "The nearest releases in {location} for linux/{arch}: {}.",
                    nearest.iter().map(|v| format!("go{v}")).collect::<Vec<_>>().join(", ")
                )
            };
            // Suggest a release the inventory really has.
            let example = nearest.first().map(ToString::to_string).unwrap_or_default();
            let fix = match request.source {
                _ if nearest.is_empty() => format!("Use an inventory that lists linux/{arch} releases: point GO_INVENTORY at one, or unset it to use the built-in inventory."),
                VersionSource::GoVersionEnv => format!("Set GOVERSION to a release or line the inventory lists (for example `go{example}`), or unset it to use go.mod."),
                VersionSource::HerokuGoVersionComment => format!("Change the `// +heroku goVersion` comment in go.mod to a release or line the inventory lists (for example `// +heroku goVersion go{example}`)."),
                VersionSource::WorkToolchainLine => format!("Change the `toolchain` line of go.work to a release listed (`go work edit -toolchain=go{example}`), or remove it."),
                VersionSource::WorkGoLine => format!("Change the `go` line of go.work to a release listed (`go work edit -go={example}`), or set GOWORK=off to build the module alone. If this is a new Go release, the buildpack's inventory may not list it yet: update the buildpack."),
                VersionSource::ToolchainLine => format!("Change the `toolchain` line of go.mod to a release listed (`go mod edit -toolchain=go{example}`), or remove it."),
                VersionSource::GoLine => format!("Change the `go` line of go.mod to a release listed (`go mod edit -go={example}`). If this is a new Go release, the buildpack's inventory may not list it yet: update the buildpack."),
                VersionSource::NoRequest => format!("Add a `go` line to go.mod (`go mod edit -go={example}`)."),
            };
            message(
                "go/resolve/no-matching-release",
                "No matching Go release",
                &format!(
                    "Requested: {} (from {}), which means {}.\n{listed}\n\n{fix}",
                    for_display(&request.written), request.source, for_display(&request.requirement.to_string())
                ),
            )
        }
    }
}

fn go_dist_message(error: &GoDistError) -> String {
    match error {
        GoDistError::Download(DownloadError::ChecksumMismatch { url, expected, actual }) => message(
            "go/download/checksum",
            "The Go download failed verification",
            &format!(
                "The archive from {url} does not match the inventory's checksum.\n\n\
                 Expected: sha256:{expected}\n\
                 Received: sha256:{actual}\n\n\
                 Nothing of it was installed. If GO_DIST_MIRROR is set, the mirror serves a different file than go.dev: fix the mirror. Otherwise retry; a repeated mismatch means the download is being tampered with."
            ),
        ),
        GoDistError::Download(DownloadError::Write { url, source }) => message_with_details(
            "go/download/write",
            "Could not save the Go download",
            &format!(
                "Writing the archive from {url} into the go-dist layer failed, so nothing of it was installed. \
                 The build's disk may be full.\n\n\
                 Free space on the builder (or ask the platform operator to), then retry the build."
            ),
            source,
        ),
        GoDistError::Download(error) => message(
            "go/download/failed",
            "Could not download Go",
            &format!(
                "{error}\n\n\
                 Nothing of it was installed. Check the network, or GO_DIST_MIRROR if it is set, and retry. \
                 On a slow or unreliable network, raise GO_DOWNLOAD_STALL_TIMEOUT, GO_DOWNLOAD_DEADLINE or GO_DOWNLOAD_ATTEMPTS."
            ),
        ),
        GoDistError::Unpack { url, reason } => message_with_details(
            "go/download/unpack",
            "Could not unpack the Go download",
            &format!(
                "The archive from {url} passed its checksum but could not be unpacked.\n\n\
                 The partial install is discarded by the next build. Retry; if the archive comes from your own inventory, check that it is a go.dev-shaped .tar.gz (everything under go/)."
            ),
            reason,
        ),
    }
}

fn netrc_message(error: &NetrcError) -> String {
    const WAYS: &str = "Credentials for private modules are netrc text (`machine <host> login <user> password <token>`), \
         given as a service binding of type `netrc` holding a `.netrc` file, or in the GO_NETRC config var.";
    match error {
        NetrcError::BindingWithoutNetrc { binding } => message(
            "go/netrc/binding-without-file",
            "A netrc binding has no .netrc file",
            &format!(
                "The service binding {} has type `netrc`, but no `.netrc` file.\n\n\
                 Put the netrc text in a file named `.netrc` in the binding, or remove the binding.\n\n{WAYS}",
                binding.display()
            ),
        ),
        NetrcError::Unreadable { what, source } => message_with_details(
            "go/netrc/unreadable",
            "Could not read the private module credentials",
            &format!("Reading the netrc of {what} failed.\n\nMake the binding's `.netrc` file readable, and build again."),
            source,
        ),
        NetrcError::NoMachine { source_name } => message(
            "go/netrc/no-machine",
            "The private module credentials name no host",
            &format!(
                "The netrc of {source_name} has no `machine <host>` (or `default`) entry, so the go command would send it to no server. Its contents are not shown.\n\n\
                 Start each entry with `machine <host>` (with `:<port>` if the module server's URL has one).\n\n{WAYS}"
            ),
        ),
        NetrcError::Write(source) => message_with_details(
            "go/netrc/write",
            "Could not write the private module credentials",
            "Writing the netrc file for the go commands (in the temporary directory, outside the layers) failed.\n\nRetry the build.",
            source,
        ),
    }
}

/// The go command's output of a failed command.
fn go_output(cmd_error: &fun_run::CmdError) -> String {
    match cmd_error {
        fun_run::CmdError::NonZeroExitAlreadyStreamed(output)
        | fun_run::CmdError::NonZeroExitNotStreamed(output) => {
            format!("{}{}", output.stdout_lossy(), output.stderr_lossy())
        }
        fun_run::CmdError::SystemError(..) => String::new(),
    }
}

/// Whether a module server or git refused the go command for lack of credentials.
fn refused_for_credentials(output: &str) -> bool {
    [
        "401 Unauthorized",
        "403 Forbidden",
        "terminal prompts disabled",
        "could not read Username",
        "Authentication failed",
    ]
    .iter()
    .any(|marker| output.contains(marker))
}

fn go_command_message(error: &GoCommandError) -> String {
    match error {
        GoCommandError::Failed(cmd_error) if refused_for_credentials(&go_output(cmd_error)) => message_with_details(
            "go/command/credentials",
            &format!("`{}` failed: a module server wants credentials", cmd_error.name()),
            "The go command's output above shows a module download refused for lack of credentials (HTTP 401 or 403, or git asking for a username).\n\n\
                 For private modules, set GOPRIVATE to their module paths (such as `GOPRIVATE=github.com/acme/*`): the go command then fetches them directly and does not look them up in the public checksum database. \
                 If they come through a module proxy of your own, set GONOSUMDB to their paths instead. \
                 Then give the credentials, in one of two ways:\n\n\
                 - a service binding of type `netrc` holding a `.netrc` file (under $CNB_PLATFORM_DIR/bindings or $SERVICE_BINDING_ROOT);\n\
                 - the GO_NETRC config var, holding the netrc text.\n\n\
                 Each entry reads `machine <host> login <user> password <token>`, with `:<port>` after the host if the server's URL has one. \
                 The credentials are used for this build only, and are never printed or stored in the image or the cache. \
                 If you gave credentials, check the host name and that the token may read the modules.",
            cmd_error,
        ),
        GoCommandError::Failed(cmd_error) => message_with_details(
            "go/command/failed",
            &format!("`{}` failed", cmd_error.name()),
            "The go command's output is shown above. Reproduce it locally with the same command and the Go version resolved above, fix the app, and build again.",
            cmd_error,
        ),
        GoCommandError::NoMainPackages { patterns, package_source: source } => {
            let fix = match source {
                PackageSource::InstallPackageSpecEnv => "Set GO_INSTALL_PACKAGE_SPEC to packages that declare `package main`, or unset it.",
                PackageSource::HerokuInstallComment => "Change `// +heroku install` in go.mod to name packages that declare `package main`.",
                PackageSource::AllPackages => "Add a `package main` with a `func main()` (at the module root, or under cmd/<name>/).",
                PackageSource::WorkspaceModules => "Add a `package main` with a `func main()` to one of the modules go.work uses, or name the packages to build in GO_INSTALL_PACKAGE_SPEC.",
            };
            message(
                "go/packages/no-main-package",
                "No main package to build",
                &format!(
                    "None of the packages matched by `{}` (from {source}) is a `main` package, so there is nothing to run.\n\n{fix}",
                    for_display(patterns)
                ),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::go_mod::parse_go_mod;
    use crate::inventory::{parse_inventory, resolve_release, version_request, InventoryLocation};
    use libherokubuildpack::inventory::artifact::Arch;
    use std::path::Path;

    fn buildpack_error(error: GoBuildpackError) -> String {
        error_message(&libcnb::Error::BuildpackError(error))
    }

    #[test]
    fn every_message_has_its_own_id() {
        let source = include_str!("errors.rs");
        let code = &source[..source.find("#[cfg(test)]").expect("tests")];
        let ids: Vec<&str> = code
            .lines()
            .map(str::trim)
            .filter_map(|line| line.strip_prefix("\"go/")?.strip_suffix("\","))
            .collect();
        let unique: std::collections::BTreeSet<&&str> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "an id is used twice: {ids:?}");
        assert!(ids.len() >= 30, "{ids:?}");
        assert_eq!(
            code.matches("message(\n").count() + code.matches("message_with_details(\n").count()
                - code.matches("fn message_with_details(\n").count(),
            ids.len(),
            "a message without an id"
        );
    }

    #[test]
    fn malformed_go_mod() {
        let error =
            parse_go_mod("module m\n\ngo 1.x\n", Path::new("go.mod")).expect_err("malformed");
        insta::assert_snapshot!(buildpack_error(GoBuildpackError::GoMod(error)));
    }

    #[test]
    fn unreadable_inputs() {
        insta::assert_snapshot!(buildpack_error(GoBuildpackError::GoMod(GoModError::Read {
            path: std::path::PathBuf::from("go.mod"),
            source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        })));
        insta::assert_snapshot!(buildpack_error(GoBuildpackError::Inventory(
            InventoryError::Unreadable {
                location: InventoryLocation::Configured(String::from(
                    "https://inventory.example/go.toml"
                )),
                reason: String::from(
                    "request to https://inventory.example/go.toml failed: HTTP 404"
                ),
            }
        )));
    }

    #[test]
    fn download_write_failure() {
        insta::assert_snapshot!(buildpack_error(GoBuildpackError::GoDist(
            GoDistError::Download(DownloadError::Write {
                url: String::from("https://go.dev/dl/go1.26.6.linux-amd64.tar.gz"),
                source: std::io::Error::from(std::io::ErrorKind::StorageFull),
            })
        )));
    }

    #[test]
    fn every_version_source_hint() {
        let inventory = crate::inventory::tests::inventory();
        let requirement = "1.24".parse().expect("requirement");
        let cases = [
            ("module m\ngo 1.24.2\n", None, None),
            ("module m\ngo 1.24.2\ntoolchain go1.24.3\n", None, None),
            ("module m\n// +heroku goVersion go1.24\n", None, None),
            ("module m\n", None, Some(&requirement)),
            ("module m\n", Some("go 1.24.0\nuse .\n"), None),
            (
                "module m\n",
                Some("go 1.24.0\ntoolchain go1.24.5\nuse .\n"),
                None,
            ),
        ];
        let mut shown = Vec::new();
        for (go_mod, go_work, env) in cases {
            let go_mod = parse_go_mod(go_mod, Path::new("go.mod")).expect("parses");
            let go_work = go_work.map(|text| {
                crate::go_work::parse_go_work(text, Path::new("go.work")).expect("go.work")
            });
            let request = version_request(&go_mod, go_work.as_ref(), env);
            let error = resolve_release(
                &inventory,
                &InventoryLocation::BuiltIn,
                &request,
                Arch::Amd64,
            )
            .expect_err("no 1.24");
            shown.push(buildpack_error(GoBuildpackError::Resolve(error)));
        }
        insta::assert_snapshot!(shown.join("\n\n----\n\n"));
    }

    #[test]
    fn malformed_go_work() {
        let error = crate::go_work::parse_go_work("go 1.25.0\nuse ./a ./b\n", Path::new("go.work"))
            .expect_err("malformed");
        insta::assert_snapshot!(buildpack_error(GoBuildpackError::GoMod(error)));
    }

    #[test]
    fn unknown_goversion_env() {
        let inventory = parse_inventory(
            "artifacts = []\n",
            &InventoryLocation::Configured(String::from("/srv/go.toml")),
        )
        .expect("parses");
        let go_mod = parse_go_mod("module m\ngo 1.24.2\n", Path::new("go.mod")).expect("parses");
        let requirement = "1.99".parse().expect("requirement");
        let request = version_request(&go_mod, None, Some(&requirement));
        let error = resolve_release(
            &inventory,
            &InventoryLocation::Configured(String::from("/srv/go.toml")),
            &request,
            Arch::Arm64,
        )
        .expect_err("empty inventory");
        insta::assert_snapshot!(buildpack_error(GoBuildpackError::Resolve(error)));
    }

    #[test]
    fn malformed_inventory() {
        let error = parse_inventory(
            "[[artifacts]]\nversion = \"1.26.6\"\n",
            &InventoryLocation::Configured(String::from(
                "https://[redacted]@inventory.example/go.toml",
            )),
        )
        .expect_err("malformed");
        insta::assert_snapshot!(buildpack_error(GoBuildpackError::Inventory(error)));
    }

    #[test]
    fn checksum_mismatch() {
        insta::assert_snapshot!(buildpack_error(GoBuildpackError::GoDist(
            GoDistError::Download(DownloadError::ChecksumMismatch {
                url: String::from("https://go.dev/dl/go1.26.6.linux-amd64.tar.gz"),
                expected: String::from("aa"),
                actual: String::from("bb"),
            })
        )));
    }

    #[test]
    fn unsupported_arch() {
        insta::assert_snapshot!(buildpack_error(GoBuildpackError::Resolve(
            ResolveError::UnsupportedArch {
                arch: String::from("riscv64")
            }
        )));
    }

    #[test]
    fn no_main_packages() {
        insta::assert_snapshot!(buildpack_error(GoBuildpackError::GoCommand(
            GoCommandError::NoMainPackages {
                patterns: String::from("./..."),
                package_source: PackageSource::AllPackages,
            }
        )));
    }

    #[test]
    fn go_mod_without_module_line() {
        let error = parse_go_mod("go 1.25.0\n", Path::new("go.mod")).expect_err("no module");
        insta::assert_snapshot!(buildpack_error(GoBuildpackError::GoMod(error)));
    }

    #[test]
    fn configuration_errors() {
        insta::assert_snapshot!(buildpack_error(GoBuildpackError::Config(
            ConfigError::NotABoolean {
                name: "GO_INSTALL_TOOLS_IN_IMAGE",
                value: String::from("maybe"),
            }
        )));
        insta::assert_snapshot!(buildpack_error(GoBuildpackError::Config(
            ConfigError::LinkerValueMissing
        )));
        insta::assert_snapshot!(buildpack_error(GoBuildpackError::Config(
            ConfigError::NotAPositiveNumber {
                name: "GO_DOWNLOAD_STALL_TIMEOUT",
                value: String::from("0.5"),
            }
        )));
    }

    #[test]
    fn download_and_unpack_failures() {
        insta::assert_snapshot!(buildpack_error(GoBuildpackError::GoDist(
            GoDistError::Download(DownloadError::Request {
                url: String::from("https://[redacted]@mirror.example/go1.26.6.linux-amd64.tar.gz"),
                reason: String::from("the server answered HTTP 404"),
            })
        )));
        insta::assert_snapshot!(buildpack_error(GoBuildpackError::GoDist(
            GoDistError::Unpack {
                url: String::from("https://go.dev/dl/go1.26.6.linux-amd64.tar.gz"),
                reason: String::from("the archive has no go/bin/go (3 entries unpacked)"),
            }
        )));
    }

    #[test]
    fn truncated_download_after_retries() {
        insta::assert_snapshot!(buildpack_error(GoBuildpackError::GoDist(
            GoDistError::Download(DownloadError::AttemptsExhausted {
                attempts: 4,
                last: Box::new(DownloadError::Truncated {
                    url: String::from("https://go.dev/dl/go1.26.6.linux-amd64.tar.gz"),
                    received: 1024,
                    expected: 65_536,
                }),
            })
        )));
    }

    #[test]
    fn flag_like_package_pattern() {
        let error = crate::go_packages::package_patterns(
            &[],
            &[String::from("-toolexec=./hook.sh"), String::from("./...")],
            None,
        )
        .expect_err("refused");
        insta::assert_snapshot!(buildpack_error(GoBuildpackError::PackagePattern(error)));
    }

    #[test]
    fn a_huge_go_line_is_echoed_cut_short() {
        let contents = format!("module myapp\n\ngo 1.2{}\n", "6".repeat(5_000_000));
        let error = parse_go_mod(&contents, Path::new("go.mod")).expect_err("malformed");
        let shown = buildpack_error(GoBuildpackError::GoMod(error));
        assert!(shown.len() < 2_000, "{} bytes", shown.len());
        insta::assert_snapshot!(shown);
    }

    #[test]
    fn layer_file_errors() {
        let denied = || std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        insta::assert_snapshot!(buildpack_error(GoBuildpackError::PrepareBuildCache(
            denied()
        )));
        insta::assert_snapshot!(buildpack_error(GoBuildpackError::RemoveStaleBinaries(
            denied()
        )));
    }

    fn failed_go_command(name: &str, stderr: &str) -> GoBuildpackError {
        let output = std::process::Output {
            status: std::os::unix::process::ExitStatusExt::from_raw(256),
            stdout: Vec::new(),
            stderr: stderr.as_bytes().to_vec(),
        };
        let error = fun_run::nonzero_streamed(name.to_string(), output).expect_err("exit 1");
        GoBuildpackError::GoCommand(GoCommandError::Failed(error))
    }

    #[test]
    fn failing_go_command() {
        insta::assert_snapshot!(buildpack_error(failed_go_command(
            "go install -- ./...",
            "main.go:3:1: syntax error: non-declaration statement outside function body\n"
        )));
    }

    #[test]
    fn go_command_refused_for_credentials() {
        insta::assert_snapshot!(buildpack_error(failed_go_command(
            "go install -- ./...",
            "go: example.com/private@v1.0.0: reading https://goproxy.corp.example/example.com/private/@v/v1.0.0.mod: 401 Unauthorized\n"
        )));
        let git_prompt = buildpack_error(failed_go_command(
            "go install -- ./...",
            "fatal: could not read Username for 'https://github.com': terminal prompts disabled\n",
        ));
        assert!(
            git_prompt.contains("a module server wants credentials"),
            "{git_prompt}"
        );
    }

    #[test]
    fn netrc_errors() {
        insta::assert_snapshot!(buildpack_error(GoBuildpackError::Netrc(
            NetrcError::BindingWithoutNetrc {
                binding: std::path::PathBuf::from("/platform/bindings/modules")
            }
        )));
        insta::assert_snapshot!(buildpack_error(GoBuildpackError::Netrc(
            NetrcError::Unreadable {
                what: String::from("the binding `modules`"),
                source: std::io::Error::from(std::io::ErrorKind::PermissionDenied)
            }
        )));
        insta::assert_snapshot!(buildpack_error(GoBuildpackError::Netrc(
            NetrcError::NoMachine {
                source_name: String::from("GO_NETRC")
            }
        )));
        insta::assert_snapshot!(buildpack_error(GoBuildpackError::Netrc(NetrcError::Write(
            std::io::Error::from(std::io::ErrorKind::StorageFull)
        ))));
    }

    #[test]
    fn sbom_errors() {
        insta::assert_snapshot!(buildpack_error(GoBuildpackError::Sbom(
            crate::sbom::SbomError::NoBuildInfo(String::from("web"))
        )));
        insta::assert_snapshot!(buildpack_error(GoBuildpackError::Sbom(
            crate::sbom::SbomError::ReadBinary {
                name: String::from("web"),
                source: std::io::Error::from(std::io::ErrorKind::PermissionDenied)
            }
        )));
    }

    #[test]
    fn unsafe_module_path_for_gopath() {
        insta::assert_snapshot!(buildpack_error(GoBuildpackError::GoPath(
            GoPathError::UnsafeModulePath(String::from("example.com/../../etc"))
        )));
    }

    #[test]
    fn gopath_link_failure() {
        insta::assert_snapshot!(buildpack_error(GoBuildpackError::GoPath(
            GoPathError::Link(std::io::Error::from(std::io::ErrorKind::PermissionDenied))
        )));
    }

    #[test]
    fn bad_goversion_env() {
        let error = "newest"
            .parse::<go_cnb_common::go_version::GoVersionRequirement>()
            .expect_err("bad");
        insta::assert_snapshot!(buildpack_error(GoBuildpackError::Config(
            ConfigError::GoVersion(error)
        )));
    }
}
