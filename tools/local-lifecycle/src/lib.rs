//! A local stand-in for the Cloud Native Buildpacks lifecycle and the services the Go
//! buildpack's end-to-end tests need (a toolchain mirror, a GOPROXY), for machines without
//! Docker or `pack`.

pub mod env_files;
pub mod go_mirror;
pub mod goproxy;
pub mod layers;
pub mod lifecycle;
pub mod package;
pub mod serve;
pub mod services;

pub use lifecycle::{BuildReport, Lifecycle, LifecycleError, RunningProcess};
pub use package::{package_buildpack, PackagedBuildpack};
pub use serve::{free_port, http_get, wait_for_http, StaticServer};
pub use services::LocalServices;
