//! Every message a user reads when the build fails: a heading, the facts and what to do, the
//! underlying error apart as details for debugging, and a stable id to search for or quote.

use crate::build_flags::BuildFlagsError;
use crate::buildpack::GoBuildpackError;
use crate::config::ConfigError;
use crate::download::DownloadError;
use crate::git_credentials::GitCredentialsError;
use crate::go_archive::GoDistError;
use crate::go_failure::{GoFailure, NetworkFault, NetworkFaultKind};
use crate::go_packages::{GoCommandError, PackageSource};
use crate::go_watchdog::Stall;
use crate::inventory::{InventoryError, ResolveError, VersionSource};
use crate::keep_files::KeepFilesError;
use crate::netrc::NetrcError;
use crate::peer_variables::PeerVariableError;
use crate::processes::ProcfileReadError;
use crate::truncate::for_display;
use go_cnb_common::go_mod::GoModError;
use go_cnb_common::procfile::ProcfileError;

/// Declares the error ids: each variant and the id users read, quote and search for.
macro_rules! error_ids {
    ($($variant:ident => $id:literal,)*) => {
        /// The id of each message, printed at its end.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum ErrorId {
            $($variant,)*
        }

        impl ErrorId {
            #[cfg(test)]
            const ALL: &[ErrorId] = &[$(ErrorId::$variant,)*];

            fn as_str(self) -> &'static str {
                match self {
                    $(ErrorId::$variant => $id,)*
                }
            }
        }
    };
}

error_ids! {
    BuildCachePrepare => "go/build-cache/prepare",
    ToolchainArchive => "go/toolchain/archive",
    CommandCertificate => "go/command/certificate",
    CommandConnection => "go/command/connection",
    CommandCredentials => "go/command/credentials",
    CommandDns => "go/command/dns",
    CommandFailed => "go/command/failed",
    CommandProxyStatus => "go/command/proxy-status",
    CommandStalled => "go/command/stalled",
    CommandTimeout => "go/command/timeout",
    ConfigFlagsNotAFlagList => "go/config/flags-not-a-flag-list",
    ConfigFlagsPatternConflict => "go/config/flags-pattern-conflict",
    ConfigFlagsUnterminatedQuote => "go/config/flags-unterminated-quote",
    ConfigGoversion => "go/config/goversion",
    ConfigKeepFilesGlob => "go/config/keep-files-glob",
    ConfigKeepFilesWithGopath => "go/config/keep-files-with-gopath",
    ConfigLinkerValueMissing => "go/config/linker-value-missing",
    ConfigNotABoolean => "go/config/not-a-boolean",
    ConfigNotANumber => "go/config/not-a-number",
    CredentialsWrite => "go/credentials/write",
    KeepFilesRemove => "go/keep-files/remove",
    DownloadChecksum => "go/download/checksum",
    DownloadFailed => "go/download/failed",
    DownloadUnpack => "go/download/unpack",
    DownloadWrite => "go/download/write",
    GitCredentialsBindingWithoutFile => "go/git-credentials/binding-without-file",
    GitCredentialsMalformed => "go/git-credentials/malformed",
    GitCredentialsNoUrl => "go/git-credentials/no-url",
    GitCredentialsUnreadable => "go/git-credentials/unreadable",
    GoModMalformed => "go/go-mod/malformed",
    GoModNoModuleLine => "go/go-mod/no-module-line",
    GoModUnreadable => "go/go-mod/unreadable",
    GopathLink => "go/gopath/link",
    GopathUnsafeModulePath => "go/gopath/unsafe-module-path",
    Internal => "go/internal",
    InventoryMalformed => "go/inventory/malformed",
    InventoryUnreadable => "go/inventory/unreadable",
    NetrcBindingWithoutFile => "go/netrc/binding-without-file",
    NetrcNoMachine => "go/netrc/no-machine",
    NetrcUnreadable => "go/netrc/unreadable",
    PackagesFlagLikePattern => "go/packages/flag-like-pattern",
    PackagesNoMainPackage => "go/packages/no-main-package",
    PeerVariableConflict => "go/peer-variable/conflict",
    PeerVariableNotABoolean => "go/peer-variable/not-a-boolean",
    PeerVariableRefused => "go/peer-variable/refused",
    ProcfileMalformed => "go/procfile/malformed",
    ProcfileUnreadable => "go/procfile/unreadable",
    ResolveNoMatchingRelease => "go/resolve/no-matching-release",
    ResolveUnsupportedArch => "go/resolve/unsupported-arch",
    SbomWrite => "go/sbom/write",
    TargetCreateBin => "go/target/create-bin",
    TargetRemoveStale => "go/target/remove-stale",
}

/// A message: what happened and what to do, then its id.
fn message(id: ErrorId, heading: &str, body: &str) -> String {
    format!(
        "{heading}\n\n{}\n\nError id: {}",
        body.trim_end(),
        id.as_str()
    )
}

/// A message with the underlying error (an I/O error, a command's status) apart, for debugging.
fn message_with_details(
    id: ErrorId,
    heading: &str,
    body: &str,
    details: &dyn std::fmt::Display,
) -> String {
    format!(
        "{heading}\n\n{}\n\nDetails for debugging:\n{}\n\nError id: {}",
        body.trim_end(),
        details.to_string().trim_end(),
        id.as_str()
    )
}

pub(crate) fn error_message(error: &libcnb::Error<GoBuildpackError>) -> String {
    match error {
        libcnb::Error::BuildpackError(error) => buildpack_error_message(error),
        other => message_with_details(
            ErrorId::Internal,
            "Internal buildpack error",
            "The buildpack failed while talking to the CNB platform (writing a layer or its metadata, or reading the build plan).\n\n\
             This is not caused by the app. Retry the build; if it fails again, report it with this output.",
            other,
        ),
    }
}

// One arm per error, so that every message can be read in one place.
#[allow(clippy::too_many_lines)]
fn buildpack_error_message(error: &GoBuildpackError) -> String {
    match error {
        GoBuildpackError::GoMod(GoModError::Read { path, source }) => message_with_details(
            ErrorId::GoModUnreadable,
            &format!("Could not read {}", path.display()),
            &format!(
                "Reading {} at the root of the app failed.\n\n\
                 Make sure it is a readable text file, committed with the app.",
                path.display()
            ),
            source,
        ),
        GoBuildpackError::GoMod(GoModError::Malformed { path, line, content, problem }) => message(
            ErrorId::GoModMalformed,
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
            ErrorId::GoModNoModuleLine,
            "go.mod has no module line",
            &format!(
                "{} does not declare the module path.\n\n\
                 Add a line such as `module example.com/myapp` at the top, or recreate the file with `go mod init <module path>`.",
                path.display()
            ),
        ),
        GoBuildpackError::Config(error) => config_message(error),
        GoBuildpackError::BuildFlags(error) => build_flags_message(error),
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
                ErrorId::PackagesFlagLikePattern,
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
            ErrorId::TargetCreateBin,
            "Could not create the directory for the binaries",
            "Creating the target layer's bin directory failed.\n\nRetry the build.",
            source,
        ),
        GoBuildpackError::PrepareBuildCache(source) => message_with_details(
            ErrorId::BuildCachePrepare,
            "Could not prepare the Go build cache",
            "Preparing the go-build-cache layer (the go command's configuration, and the entries' ages used to prune what a build does not use) failed.\n\n\
             Retry the build; if it fails again, clear the build cache (`pack build --clear-cache`, or your platform's equivalent).",
            source,
        ),
        GoBuildpackError::ArchiveToolchain(source) => message_with_details(
            ErrorId::ToolchainArchive,
            "Could not keep the Go toolchain in the cache",
            "The toolchain was downloaded and verified, but writing its archive into the go-dist layer (what the next build reuses) failed; the disk may be full.\n\n\
             Retry the build; if it fails again, check the free space where the platform keeps its layers, and clear the build cache (`pack build --clear-cache`, or your platform's equivalent).",
            source,
        ),
        GoBuildpackError::RemoveStaleBinaries(source) => message_with_details(
            ErrorId::TargetRemoveStale,
            "Could not remove binaries of the last build",
            "Removing binaries that no main package builds any more from the target layer failed.\n\n\
             Retry the build; if it fails again, clear the build cache (`pack build --clear-cache`, or your platform's equivalent).",
            source,
        ),
        GoBuildpackError::UnsafeModulePath(module_path) => message(
            ErrorId::GopathUnsafeModulePath,
            "The module path cannot be a GOPATH directory",
            &format!(
                "GO_SETUP_GOPATH_IN_IMAGE places the app at $GOPATH/src/<module path>, but the module path `{}` in go.mod has an empty, `.` or `..` element, which would place it elsewhere.\n\n\
                 Fix the `module` line of go.mod (the go command refuses such paths too), or unset GO_SETUP_GOPATH_IN_IMAGE.",
                for_display(module_path)
            ),
        ),
        GoBuildpackError::GoPathLink(source) => message_with_details(
            ErrorId::GopathLink,
            "Could not set up the Go workspace",
            "Creating $GOPATH/src/<module path> in the gopath layer (GO_SETUP_GOPATH_IN_IMAGE) failed.\n\nRetry the build.",
            source,
        ),
        GoBuildpackError::Netrc(error) => netrc_message(error),
        GoBuildpackError::GitCredentials(error) => git_credentials_message(error),
        GoBuildpackError::CredentialsWrite(source) => message_with_details(
            ErrorId::CredentialsWrite,
            "Could not write the private module credentials",
            "Writing the credential files for the go commands and git (in the temporary directory, outside the layers) failed.\n\nRetry the build.",
            source,
        ),
        GoBuildpackError::Procfile(error) => procfile_message(error),
        GoBuildpackError::PeerVariable(error) => peer_variable_message(error),
        GoBuildpackError::KeepFiles(error) => keep_files_remove_message(error),
        GoBuildpackError::Sbom(error) => message_with_details(
            ErrorId::SbomWrite,
            "Could not write the SBOM of the binaries",
            "Making the CycloneDX SBOM of the image's binaries from their embedded Go build information failed. \
             The binaries were built; the SBOM describes them.\n\n\
             Retry the build; if it fails again, report it with this output.",
            error,
        ),
    }
}

fn procfile_message(error: &ProcfileReadError) -> String {
    match error {
        ProcfileReadError::Unreadable(path, source) => message_with_details(
            ErrorId::ProcfileUnreadable,
            "Could not read the Procfile",
            &format!(
                "Reading {} failed.\n\nMake sure it is a readable text file, committed with the app.",
                path.display()
            ),
            source,
        ),
        ProcfileReadError::Malformed(path, ProcfileError::Malformed { line, content, problem }) => message(
            ErrorId::ProcfileMalformed,
            "The Procfile is malformed",
            &format!(
                "{}:{line}: {problem}\n\n    {}\n\n\
                 Each line of a Procfile is `<process type>: <command>`, such as `web: myapp -port $PORT`; \
                 blank lines and lines starting with `#` are skipped. Fix that line and build again.",
                path.display(),
                for_display(content),
            ),
        ),
        ProcfileReadError::Malformed(path, ProcfileError::Duplicate { process_type, first_line, line }) => message(
            ErrorId::ProcfileMalformed,
            "The Procfile defines a process twice",
            &format!(
                "{}:{line}: `{}` is already defined on line {first_line}.\n\n\
                 A platform runs one command per process type. Keep one of the two lines and build again.",
                path.display(),
                for_display(process_type),
            ),
        ),
    }
}

fn build_flags_message(error: &BuildFlagsError) -> String {
    match error {
        BuildFlagsError::Unterminated { variable, value, error } => message(
            ErrorId::ConfigFlagsUnterminatedQuote,
            &format!("{variable} has a quote that is never closed"),
            &format!(
                "{variable} is set to `{}`: {error}.\n\n\
                 The go command splits flags at spaces; a flag holding spaces is wrapped whole in '…' or \"…\", \
                 such as `-X 'main.greeting=hello world'`. Close the quote and build again.",
                for_display(value)
            ),
        ),
        BuildFlagsError::NotAFlagList { variable, value } => message(
            ErrorId::ConfigFlagsNotAFlagList,
            &format!("{variable} must start with a flag"),
            &format!(
                "{variable} is set to `{}`, which does not start with `-`. The go command would read its first word as a package pattern (`pattern=flags`).\n\n\
                 Set {variable} to flags only, such as `{}`; for flags that apply to some packages only, use GOFLAGS (`-{}=pattern=flags`) and leave {variable} unset.",
                for_display(value),
                if *variable == "GO_GCFLAGS" { "-N -l" } else { "-s -w" },
                if *variable == "GO_GCFLAGS" { "gcflags" } else { "ldflags" },
            ),
        ),
        BuildFlagsError::PatternInGoflags { flag, value, others } => message(
            ErrorId::ConfigFlagsPatternConflict,
            &format!("GOFLAGS' {flag} cannot be merged with {others}"),
            &format!(
                "GOFLAGS sets `{flag}={}`, which applies to the packages matching a pattern only, and {others} also set {flag}. \
                 The go command keeps one {flag} per package, so one of them would be lost.\n\n\
                 Either move the flags from GOFLAGS into {} (they then apply to every package), or keep them in GOFLAGS alone and unset {others}.",
                for_display(value),
                if *flag == "-gcflags" { "GO_GCFLAGS" } else { "GO_LDFLAGS" },
            ),
        ),
    }
}

fn keep_files_remove_message(error: &KeepFilesError) -> String {
    message_with_details(
        ErrorId::KeepFilesRemove,
        "Could not clear the app directory",
        "GO_KEEP_FILES asked for the app directory of the image to keep only the files its globs match, and removing one of the others failed. \
         The binaries were built.\n\n\
         Retry the build; if it fails again, unset GO_KEEP_FILES and report it with this output.",
        error,
    )
}

fn peer_variable_message(error: &PeerVariableError) -> String {
    match error {
        PeerVariableError::Conflict { peer, peer_value, ours, our_value } => message(
            ErrorId::PeerVariableConflict,
            &format!("{peer} and {ours} disagree"),
            &format!(
                "{peer} (a variable of another Go buildpack) is set to `{}`, which this buildpack reads as {ours}, \
                 and {ours} is set to `{}`. Neither wins over the other: a build would silently ignore one of them.\n\n\
                 Keep one of the two: unset {peer}, or unset {ours}.",
                for_display(peer_value),
                for_display(our_value),
            ),
        ),
        PeerVariableError::Refused { peer, value, instead } => message(
            ErrorId::PeerVariableRefused,
            &format!("{peer} is not supported by this buildpack"),
            &format!(
                "{peer} (a variable of another Go buildpack) is set to `{}`, and this buildpack has no variable with the same meaning.\n\n{instead} Then unset {peer}.",
                for_display(value),
            ),
        ),
        PeerVariableError::NotABoolean { value } => message(
            ErrorId::PeerVariableNotABoolean,
            "GOOGLE_CLEAR_SOURCE must be true or false",
            &format!(
                "GOOGLE_CLEAR_SOURCE is set to `{}`. This buildpack reads `true` as GO_KEEP_FILES keeping only the Procfile and project.toml.\n\n\
                 Set it to `true` or `false`, or use GO_KEEP_FILES to keep templates and assets too.",
                for_display(value)
            ),
        ),
    }
}

fn config_message(error: &ConfigError) -> String {
    match error {
        ConfigError::GoVersion(parse_error) => message(
            ErrorId::ConfigGoversion,
            "GOVERSION is not a Go version",
            &format!(
                "{}.\n\n\
                 Set GOVERSION to a release line (`go1.26`), an exact release (`1.26.3`) or a requirement (`>=1.25, <1.27`), or unset it to use go.mod.",
                for_display(&parse_error.to_string())
            ),
        ),
        ConfigError::NotABoolean { name, value } => message(
            ErrorId::ConfigNotABoolean,
            &format!("{name} must be true or false"),
            &format!(
                "{name} is set to `{}`.\n\nSet it to `true` or `false`, or unset it.",
                for_display(value)
            ),
        ),
        ConfigError::LinkerValueMissing => message(
            ErrorId::ConfigLinkerValueMissing,
            "GO_LINKER_SYMBOL has no value",
            "GO_LINKER_SYMBOL names the variable to set with `-ldflags -X`, but neither GO_LINKER_VALUE nor SOURCE_VERSION is set.\n\n\
             Set GO_LINKER_VALUE to the value to embed, or unset GO_LINKER_SYMBOL.",
        ),
        ConfigError::KeepFiles(KeepFilesError::BadGlob { pattern, reason }) => message(
            ErrorId::ConfigKeepFilesGlob,
            "GO_KEEP_FILES has a glob that cannot be used",
            &format!(
                "`{}`: {reason}.\n\n\
                 Set GO_KEEP_FILES to globs relative to the app directory, separated by `:`, such as `templates/**:static/**:migrations/*.sql` \
                 (`*` matches within one directory, `**` across directories), or unset it to keep the whole app directory.",
                for_display(pattern)
            ),
        ),
        ConfigError::KeepFiles(error @ KeepFilesError::Remove { .. }) => keep_files_remove_message(error),
        ConfigError::KeepFilesWithGopath => message(
            ErrorId::ConfigKeepFilesWithGopath,
            "GO_KEEP_FILES cannot be used with GO_SETUP_GOPATH_IN_IMAGE",
            "GO_SETUP_GOPATH_IN_IMAGE puts the app's source in the image as a Go workspace, and GO_KEEP_FILES removes that source from the image.\n\n\
             Unset one of them.",
        ),
        ConfigError::NotAPositiveNumber { name, value } => message(
            ErrorId::ConfigNotANumber,
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
            ErrorId::InventoryUnreadable,
            "Could not read the Go inventory",
            &format!(
                "Reading {location} failed.\n\n\
                 Check that GO_INVENTORY names a readable file or a reachable http(s) URL, or unset it to use the built-in inventory."
            ),
            reason,
        ),
        InventoryError::Malformed { location, reason } => message(
            ErrorId::InventoryMalformed,
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
            ErrorId::ResolveUnsupportedArch,
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
                ErrorId::ResolveNoMatchingRelease,
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
            ErrorId::DownloadChecksum,
            "The Go download failed verification",
            &format!(
                "The archive from {url} does not match the inventory's checksum.\n\n\
                 Expected: sha256:{expected}\n\
                 Received: sha256:{actual}\n\n\
                 Nothing of it was installed. If GO_DIST_MIRROR is set, the mirror serves a different file than go.dev: fix the mirror. Otherwise retry; a repeated mismatch means the download is being tampered with."
            ),
        ),
        GoDistError::Download(DownloadError::Write { url, source }) => message_with_details(
            ErrorId::DownloadWrite,
            "Could not save the Go download",
            &format!(
                "Writing the archive from {url} into the go-dist layer failed, so nothing of it was installed. \
                 The build's disk may be full.\n\n\
                 Free space on the builder (or ask the platform operator to), then retry the build."
            ),
            source,
        ),
        GoDistError::Download(error) => message(
            ErrorId::DownloadFailed,
            "Could not download Go",
            &format!(
                "{error}\n\n\
                 Nothing of it was installed. Check the network, or GO_DIST_MIRROR if it is set, and retry. \
                 On a slow or unreliable network, raise GO_DOWNLOAD_STALL_TIMEOUT, GO_DOWNLOAD_DEADLINE or GO_DOWNLOAD_ATTEMPTS, or lower GO_DOWNLOAD_MIN_SPEED."
            ),
        ),
        GoDistError::Unpack { url, reason } => message_with_details(
            ErrorId::DownloadUnpack,
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
            ErrorId::NetrcBindingWithoutFile,
            "A netrc binding has no .netrc file",
            &format!(
                "The service binding {} has type `netrc`, but no `.netrc` file.\n\n\
                 Put the netrc text in a file named `.netrc` in the binding, or remove the binding.\n\n{WAYS}",
                binding.display()
            ),
        ),
        NetrcError::Unreadable { what, source } => message_with_details(
            ErrorId::NetrcUnreadable,
            "Could not read the private module credentials",
            &format!("Reading the netrc of {what} failed.\n\nMake the binding's `.netrc` file readable, and build again."),
            source,
        ),
        NetrcError::NoMachine { source_name } => message(
            ErrorId::NetrcNoMachine,
            "The private module credentials name no host",
            &format!(
                "The netrc of {source_name} has no `machine <host>` (or `default`) entry, so the go command would send it to no server. Its contents are not shown.\n\n\
                 Start each entry with `machine <host>` (with `:<port>` if the module server's URL has one).\n\n{WAYS}"
            ),
        ),
    }
}

fn git_credentials_message(error: &GitCredentialsError) -> String {
    const SHAPE: &str = "A service binding of type `git-credentials` holds a `credentials` file in git-credential format, one `key=value` a line:\n\n    \
         protocol=https\n    host=git.example.com\n    username=<user>\n    password=<token>\n\n\
         and, optionally, a `context` file with the URL the credentials are for (`https://git.example.com/team`), which wins over `protocol`, `host` and `path`.";
    match error {
        GitCredentialsError::BindingWithoutCredentials { binding } => message(
            ErrorId::GitCredentialsBindingWithoutFile,
            "A git-credentials binding has no credentials file",
            &format!(
                "The service binding {} has type `git-credentials`, but no `credentials` file.\n\n\
                 Put the credentials in a file named `credentials` in the binding, or remove the binding.\n\n{SHAPE}",
                binding.display()
            ),
        ),
        GitCredentialsError::Unreadable { what, source } => message_with_details(
            ErrorId::GitCredentialsUnreadable,
            "Could not read the git credentials",
            &format!("Reading {what} failed.\n\nMake the binding's files readable, and build again."),
            source,
        ),
        GitCredentialsError::Malformed { what, problem } => message(
            ErrorId::GitCredentialsMalformed,
            "The git credentials cannot be read",
            &format!(
                "The `credentials` file of {what} is not in git-credential format: {problem}. Its contents are not shown.\n\n{SHAPE}"
            ),
        ),
        GitCredentialsError::BadContext { what, problem } => {
            let problem = match problem {
                go_cnb_common::git_credential::GitCredentialError::BadUrl { problem } => {
                    (*problem).to_string()
                }
                other => other.to_string(),
            };
            message(
                ErrorId::GitCredentialsMalformed,
                "The git credentials' context is not a URL",
                &format!(
                    "The `context` file of {what} must hold the URL the credentials are for, such as `https://git.example.com` or `https://git.example.com/team`, but {problem}.\n\n{SHAPE}"
                ),
            )
        }
        GitCredentialsError::NoUrl { what } => message(
            ErrorId::GitCredentialsNoUrl,
            "The git credentials name no server",
            &format!(
                "The `credentials` file of {what} has no `host=` (or `url=`) line and the binding has no `context` file, so the build cannot tell which server to send them to; it sends credentials to no server it was not told of.\n\n\
                 Add `protocol=https` and `host=<host>` lines (with `:<port>` if the server's URL has one), or a `context` file with the server's URL.\n\n{SHAPE}"
            ),
        ),
    }
}

fn go_command_message(error: &GoCommandError) -> String {
    match error {
        GoCommandError::Failed(cmd_error) => match crate::go_failure::classify(&crate::go_packages::output_of(cmd_error)) {
            GoFailure::Credentials => credentials_message(cmd_error),
            GoFailure::Network(fault) => network_fault_message(cmd_error, &fault),
            GoFailure::Other => message_with_details(
                ErrorId::CommandFailed,
                &format!("`{}` failed", cmd_error.name()),
                "The go command's output is shown above. Reproduce it locally with the same command and the Go version resolved above, fix the app, and build again.",
                cmd_error,
            ),
        },
        GoCommandError::Stalled { stall: Stall { name, window, last_line }, goproxy } => {
            let last = last_line.as_deref().map_or_else(
                || String::from("It printed nothing."),
                |line| format!("The last line it printed:\n\n    {}", for_display(line)),
            );
            message(
                ErrorId::CommandStalled,
                &format!("`{name}` made no progress for {}s and was stopped", window.as_secs()),
                &format!(
                    "For {}s it printed nothing, downloaded almost nothing into the module cache and used almost no CPU time: it was waiting on a module server that does not answer, or answers too slowly. {last}\n\n\
                     This is a network problem between the build and the module server, not a problem in the app's code. \
                     Modules come from GOPROXY ({}), private ones (GOPRIVATE, GONOPROXY) straight from their own hosts. \
                     Check that the build's network may reach them, and build again. \
                     On a slow network, raise GO_COMMAND_STALL_TIMEOUT (seconds).",
                    window.as_secs(),
                    for_display(goproxy)
                ),
            )
        }
        GoCommandError::NoMainPackages { patterns, package_source: source } => {
            let fix = match source {
                PackageSource::InstallPackageSpecEnv => "Set GO_INSTALL_PACKAGE_SPEC to packages that declare `package main`, or unset it.",
                PackageSource::HerokuInstallComment => "Change `// +heroku install` in go.mod to name packages that declare `package main`.",
                PackageSource::AllPackages => "Add a `package main` with a `func main()` (at the module root, or under cmd/<name>/).",
                PackageSource::WorkspaceModules => "Add a `package main` with a `func main()` to one of the modules go.work uses, or name the packages to build in GO_INSTALL_PACKAGE_SPEC.",
                PackageSource::ModuleTools => "Add tools to go.mod with `go get -tool <package>`, or unset GO_INSTALL_MODULE_TOOLS.",
            };
            message(
                ErrorId::PackagesNoMainPackage,
                "No main package to build",
                &format!(
                    "None of the packages matched by `{}` (from {source}) is a `main` package, so there is nothing to run.\n\n{fix}",
                    for_display(patterns)
                ),
            )
        }
    }
}

fn credentials_message(cmd_error: &fun_run::CmdError) -> String {
    message_with_details(
            ErrorId::CommandCredentials,
            &format!("`{}` failed: a module server wants credentials", cmd_error.name()),
            "The go command's output above shows a module download refused for lack of credentials (HTTP 401 or 403, or git asking for a username).\n\n\
                 For private modules, set GOPRIVATE to their module paths (such as `GOPRIVATE=github.com/acme/*`): the go command then fetches them directly and does not look them up in the public checksum database. \
                 If they come through a module proxy of your own, set GONOSUMDB to their paths instead. \
                 Then give the credentials, in one of three ways (bindings go under $CNB_PLATFORM_DIR/bindings or $SERVICE_BINDING_ROOT):\n\n\
                 - a service binding of type `netrc` holding a `.netrc` file;\n\
                 - the GO_NETRC config var, holding the netrc text;\n\
                 - a service binding of type `git-credentials` holding a `credentials` file in git-credential format (`protocol=https`, `host=<host>`, `username=<user>`, `password=<token>`, a line each), used by git and by the go command.\n\n\
                 Each netrc entry reads `machine <host> login <user> password <token>`, with `:<port>` after the host if the server's URL has one. \
                 The credentials are used for this build only, and are never printed or stored in the image or the cache. \
                 If you gave credentials, check the host name and that the token may read the modules.",
            cmd_error,
        )
}

/// Whether a module proxy's status says it lacks the module (404, 410), rather than failed.
fn is_not_found(status: &str) -> bool {
    status.starts_with("404") || status.starts_with("410")
}

/// A network fault of a go command: named as one, with what it means and what the user can do.
fn network_fault_message(cmd_error: &fun_run::CmdError, fault: &NetworkFault) -> String {
    let name = cmd_error.name();
    let host = fault.host.as_deref().unwrap_or("a module server");
    let seen = format!(
        "The go command's output above says:\n\n    {}",
        for_display(&fault.evidence)
    );
    let not_the_app = "This is a network problem between the build and the module server, not a problem in the app's code.";
    let (id, heading, advice) = match &fault.kind {
        NetworkFaultKind::Certificate => (
            ErrorId::CommandCertificate,
            format!("`{name}` failed: the TLS certificate of {host} is not trusted"),
            String::from(
                "The go command could not verify the certificate this server presented: it is signed by an authority the build does not trust, has expired, or names another host.\n\n\
                 If the server (a module proxy or git server of your own, or a proxy that inspects TLS) uses a private certificate authority, give the build that authority: \
                 set SSL_CERT_FILE to a PEM file that holds it (such as a file in the app: `SSL_CERT_FILE=/workspace/certs/ca.pem`), \
                 or run a buildpack that installs the certificates of a `ca-certificates` binding before this one. \
                 If the certificate has expired or names another host, the server's owner must replace it.",
            ),
        ),
        NetworkFaultKind::Dns => (
            ErrorId::CommandDns,
            format!("`{name}` failed: the host name {host} could not be looked up"),
            String::from(
                "Check the spelling of the host in GOPROXY, GOPRIVATE or go.mod, and that the build's network has a DNS server that knows it \
                 (a private proxy's name may resolve only inside your network). \
                 A build without network access needs its modules vendored (`go mod vendor`, committed).",
            ),
        ),
        NetworkFaultKind::Connection => (
            ErrorId::CommandConnection,
            format!("`{name}` failed: {host} refused or dropped the connection"),
            String::from(
                "The server is down, not listening on that port, or a firewall turned the build away. \
                 Check the URL in GOPROXY (scheme, host and port) and that the build's network may reach it, then build again.",
            ),
        ),
        NetworkFaultKind::Timeout => (
            ErrorId::CommandTimeout,
            format!("`{name}` failed: {host} did not answer in time"),
            String::from(
                "The network is slow or a firewall drops the traffic. Build again; if it keeps failing, \
                 check that the build's network may reach the host, or point GOPROXY at a module proxy closer to the build.",
            ),
        ),
        NetworkFaultKind::ProxyStatus(status) => (
            ErrorId::CommandProxyStatus,
            format!("`{name}` failed: {host} answered {status}"),
            if is_not_found(status) {
                String::from(
                    "The module proxy (or checksum database) has no such module version. Check the version in go.mod and go.sum. \
                     If the module is private, set GOPRIVATE to its path (such as `GOPRIVATE=github.com/acme/*`) so that the go command fetches it directly and does not look it up in the public checksum database; \
                     if it comes through a proxy of your own, set GONOSUMDB to its path and GOPROXY to that proxy.",
                )
            } else {
                String::from(
                    "The module proxy failed or is overloaded. Build again later, or give GOPROXY a fallback, \
                     such as `GOPROXY=https://proxy.corp.example,https://proxy.golang.org,direct`.",
                )
            },
        ),
    };
    // A proxy that answered "not found" may be right: the version in go.mod may not exist.
    let body = match &fault.kind {
        NetworkFaultKind::ProxyStatus(status) if is_not_found(status) => {
            format!("{seen}\n\n{advice}")
        }
        _ => format!("{seen}\n\n{not_the_app}\n\n{advice}"),
    };
    message_with_details(id, &heading, &body, cmd_error)
}

#[cfg(test)]
mod tests;
