//! Service bindings (the CNB and Kubernetes service binding spec): directories named after the
//! binding, each with a `type` file and one file per key, under `$SERVICE_BINDING_ROOT` and
//! the platform's `bindings/`.

use libcnb::Env;
use std::path::{Path, PathBuf};

/// One binding of the type asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Binding {
    pub(crate) path: PathBuf,
}

impl Binding {
    /// How the output names it: "the binding `modules`".
    pub(crate) fn describe(&self) -> String {
        format!(
            "the binding `{}`",
            self.path.file_name().unwrap_or_default().to_string_lossy()
        )
    }

    /// The file of one of its keys.
    pub(crate) fn key(&self, key: &str) -> PathBuf {
        self.path.join(key)
    }
}

/// The directories holding service bindings: `$SERVICE_BINDING_ROOT` when set, and the
/// platform's `bindings/` (`$CNB_PLATFORM_DIR`, which the lifecycle sets), each once.
fn binding_roots(env: &Env) -> Vec<PathBuf> {
    let platform_dir = env
        .get("CNB_PLATFORM_DIR")
        .map_or_else(|| PathBuf::from("/platform"), PathBuf::from);
    let mut roots: Vec<PathBuf> = env
        .get_string_lossy("SERVICE_BINDING_ROOT")
        .filter(|root| !root.trim().is_empty())
        .map(PathBuf::from)
        .into_iter()
        .collect();
    let platform_bindings = platform_dir.join("bindings");
    let same = |a: &Path, b: &Path| {
        a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
    };
    if !roots.iter().any(|root| same(root, &platform_bindings)) {
        roots.push(platform_bindings);
    }
    roots
}

/// The bindings whose `type` is `binding_type` (ignoring case and surrounding space), root by
/// root, each root's sorted by name.
pub(crate) fn of_type(env: &Env, binding_type: &str) -> Vec<Binding> {
    let mut found = Vec::new();
    for root in binding_roots(env) {
        let Ok(entries) = std::fs::read_dir(&root) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| path.is_dir())
            .collect();
        paths.sort();
        found.extend(
            paths
                .into_iter()
                .filter(|path| {
                    std::fs::read_to_string(path.join("type"))
                        .is_ok_and(|found| found.trim().eq_ignore_ascii_case(binding_type))
                })
                .map(|path| Binding { path }),
        );
    }
    found
}
