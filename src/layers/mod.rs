pub(crate) mod go_build_cache;
pub(crate) mod go_dist;
pub(crate) mod go_modules;
pub(crate) mod target;
