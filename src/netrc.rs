//! Credentials for private module servers, as netrc text: from service bindings of type
//! `netrc` and from `GO_NETRC`. They reach the go commands through a netrc file outside every
//! layer that is removed when the build ends, and are never printed or persisted.

use libcnb::Env;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// The binding type the CNB service binding spec gives netrc credentials.
const BINDING_TYPE: &str = "netrc";
/// The key (file) of a `netrc` binding that holds the netrc text.
const BINDING_KEY: &str = ".netrc";
/// The config var holding netrc text, for platforms without bindings.
pub(crate) const NETRC_ENV: &str = "GO_NETRC";

#[derive(Debug, thiserror::Error)]
pub(crate) enum NetrcError {
    #[error("the binding {binding} has type netrc but no {BINDING_KEY} file")]
    BindingWithoutNetrc { binding: PathBuf },
    #[error("reading {what} failed: {source}")]
    Unreadable {
        what: String,
        source: std::io::Error,
    },
    #[error("{source_name} holds no `machine` or `default` entry")]
    NoMachine { source_name: String },
    #[error("writing the netrc file failed: {0}")]
    Write(std::io::Error),
}

/// Netrc text and where it came from ("the binding `modules`", `GO_NETRC`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NetrcSource {
    pub(crate) name: String,
    text: String,
}

impl NetrcSource {
    /// The hosts the entries are for (`default` for the catch-all), never logins or passwords.
    pub(crate) fn machines(&self) -> Vec<String> {
        go_cnb_common::netrc::machines(&self.text)
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

/// Every netrc the build was given: bindings of type `netrc` (sorted by name), then `GO_NETRC`.
pub(crate) fn find_sources(env: &Env) -> Result<Vec<NetrcSource>, NetrcError> {
    let mut sources = Vec::new();
    for root in binding_roots(env) {
        let Ok(entries) = std::fs::read_dir(&root) else {
            continue;
        };
        let mut bindings: Vec<PathBuf> = entries
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| path.is_dir())
            .collect();
        bindings.sort();
        for binding in bindings {
            let binding_type = std::fs::read_to_string(binding.join("type")).unwrap_or_default();
            if !binding_type.trim().eq_ignore_ascii_case(BINDING_TYPE) {
                continue;
            }
            let netrc_path = binding.join(BINDING_KEY);
            if !netrc_path.is_file() {
                return Err(NetrcError::BindingWithoutNetrc { binding });
            }
            let name = format!(
                "the binding `{}`",
                binding.file_name().unwrap_or_default().to_string_lossy()
            );
            let text =
                std::fs::read_to_string(&netrc_path).map_err(|source| NetrcError::Unreadable {
                    what: name.clone(),
                    source,
                })?;
            sources.push(checked(NetrcSource { name, text })?);
        }
    }
    if let Some(text) = env
        .get_string_lossy(NETRC_ENV)
        .filter(|text| !text.trim().is_empty())
    {
        sources.push(checked(NetrcSource {
            name: String::from(NETRC_ENV),
            text,
        })?);
    }
    Ok(sources)
}

fn checked(source: NetrcSource) -> Result<NetrcSource, NetrcError> {
    if source.machines().is_empty() {
        Err(NetrcError::NoMachine {
            source_name: source.name,
        })
    } else {
        Ok(source)
    }
}

/// The netrc file of one build, in a private temporary directory outside every layer; the
/// directory and the file are removed when this is dropped (the build ended, or failed).
#[derive(Debug)]
pub(crate) struct NetrcFile {
    dir: tempfile::TempDir,
}

impl NetrcFile {
    /// Writes every source into one file (mode 0600, in a 0700 directory).
    pub(crate) fn write(sources: &[NetrcSource]) -> Result<Self, NetrcError> {
        let dir = tempfile::Builder::new()
            .prefix("go-netrc-")
            .tempdir()
            .map_err(NetrcError::Write)?;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(dir.path().join(".netrc"))
            .map_err(NetrcError::Write)?;
        for source in sources {
            file.write_all(source.text.as_bytes())
                .and_then(|()| file.write_all(b"\n"))
                .map_err(NetrcError::Write)?;
        }
        Ok(NetrcFile { dir })
    }

    /// The netrc file (for `NETRC`).
    pub(crate) fn path(&self) -> PathBuf {
        self.dir.path().join(".netrc")
    }

    /// The directory holding it as `.netrc` (for `HOME`, where git looks).
    pub(crate) fn home(&self) -> &Path {
        self.dir.path()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(root: &Path, name: &str, binding_type: &str, netrc: Option<&str>) {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join("type"), binding_type).expect("write");
        if let Some(netrc) = netrc {
            std::fs::write(dir.join(".netrc"), netrc).expect("write");
        }
    }

    #[test]
    fn sources_come_from_netrc_bindings_in_both_roots_then_go_netrc() {
        let platform = tempfile::tempdir().expect("tempdir");
        let other_root = tempfile::tempdir().expect("tempdir");
        binding(
            &platform.path().join("bindings"),
            "b-modules",
            "netrc\n",
            Some("machine a.example login u password p1"),
        );
        binding(
            &platform.path().join("bindings"),
            "a-db",
            "postgresql",
            None,
        );
        binding(
            other_root.path(),
            "git",
            "NETRC",
            Some("machine b.example\nlogin u\npassword p2\n"),
        );
        let mut env = Env::new();
        env.insert("CNB_PLATFORM_DIR", platform.path());
        env.insert("SERVICE_BINDING_ROOT", other_root.path());
        env.insert(NETRC_ENV, "default login u password p3");
        let sources = find_sources(&env).expect("sources");
        let described: Vec<(String, Vec<String>)> = sources
            .iter()
            .map(|source| (source.name.clone(), source.machines()))
            .collect();
        assert_eq!(
            described,
            vec![
                (
                    String::from("the binding `git`"),
                    vec![String::from("b.example")]
                ),
                (
                    String::from("the binding `b-modules`"),
                    vec![String::from("a.example")]
                ),
                (String::from("GO_NETRC"), vec![String::from("default")]),
            ]
        );

        let file = NetrcFile::write(&sources).expect("write");
        let written = std::fs::read_to_string(file.path()).expect("read");
        assert!(written.contains("password p1") && written.contains("password p3"));
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(file.path()).expect("meta").permissions(),
        );
        assert_eq!(mode & 0o777, 0o600);
        let path = file.path();
        drop(file);
        assert!(!path.exists(), "the netrc outlived the build");
        assert!(!path.parent().expect("dir").exists());
    }

    #[test]
    fn no_credentials_means_no_sources() {
        let platform = tempfile::tempdir().expect("tempdir");
        let mut env = Env::new();
        env.insert("CNB_PLATFORM_DIR", platform.path());
        assert_eq!(find_sources(&env).expect("ok"), vec![]);
    }

    #[test]
    fn a_netrc_binding_without_its_file_or_any_machine_is_an_error() {
        let platform = tempfile::tempdir().expect("tempdir");
        binding(&platform.path().join("bindings"), "creds", "netrc", None);
        let mut env = Env::new();
        env.insert("CNB_PLATFORM_DIR", platform.path());
        assert!(matches!(
            find_sources(&env),
            Err(NetrcError::BindingWithoutNetrc { .. })
        ));
        let empty = tempfile::tempdir().expect("tempdir");
        let mut env = Env::new();
        env.insert("CNB_PLATFORM_DIR", empty.path());
        env.insert(NETRC_ENV, "login u password secret");
        let error = find_sources(&env).expect_err("no machine");
        assert!(matches!(error, NetrcError::NoMachine { .. }));
        assert!(!error.to_string().contains("secret"));
    }
}
