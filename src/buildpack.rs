//! The buildpack's type and the one error type its build returns. Apart from main.rs, so that
//! the layers and the messages name them without importing the module that imports them.

use crate::build_flags::BuildFlagsError;
use crate::config::ConfigError;
use crate::git_credentials::GitCredentialsError;
use crate::go_archive::GoDistError;
use crate::go_packages::{FlagLikePattern, GoCommandError};
use crate::inventory::{InventoryError, ResolveError};
use crate::keep_files::KeepFilesError;
use crate::netrc::NetrcError;
use crate::peer_variables::PeerVariableError;
use crate::processes::ProcfileReadError;
use crate::sbom::SbomError;
use go_cnb_common::go_mod::GoModError;

pub(crate) struct GoBuildpack;

#[derive(Debug)]
pub(crate) enum GoBuildpackError {
    GoMod(GoModError),
    Config(ConfigError),
    BuildFlags(BuildFlagsError),
    Inventory(InventoryError),
    Resolve(ResolveError),
    GoDist(GoDistError),
    GoCommand(GoCommandError),
    PackagePattern(FlagLikePattern),
    CreateGobin(std::io::Error),
    RemoveStaleBinaries(std::io::Error),
    /// A module path that would place the app outside `$GOPATH/src`.
    UnsafeModulePath(String),
    GoPathLink(std::io::Error),
    Netrc(NetrcError),
    GitCredentials(GitCredentialsError),
    /// Writing the credential files for the go commands and git.
    CredentialsWrite(std::io::Error),
    Procfile(ProcfileReadError),
    PeerVariable(PeerVariableError),
    KeepFiles(KeepFilesError),
    Sbom(SbomError),
    PrepareBuildCache(std::io::Error),
    /// Writing the cached archive of a toolchain this build installed.
    ArchiveToolchain(std::io::Error),
}

impl From<GoBuildpackError> for libcnb::Error<GoBuildpackError> {
    fn from(error: GoBuildpackError) -> Self {
        libcnb::Error::BuildpackError(error)
    }
}
