//! End-to-end: the buildpack on the platform users run. Every build is a `pack build` with a
//! builder image on a Docker daemon (libcnb-test drives it; `tools/platform/setup.sh` makes
//! the builder); every app runs in a container and is asked over HTTP; rebuilds reuse the
//! image and build cache volume pack keeps. One test binary, so the buildpack is packaged once
//! per run.

mod basics;
mod build_settings;
mod caches;
mod go_in_image;
mod keep_files;
mod killed_builds;
mod launch;
mod migration;
mod module_server_faults;
mod module_tools;
mod platforms;
mod private_modules;
mod real_modules;
mod reproducible;
mod versions;
mod workspace;
