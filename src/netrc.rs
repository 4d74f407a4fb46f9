//! Credentials for private module servers, as netrc text: from service bindings of type
//! `netrc` and from `GO_NETRC`. They reach the go commands through a netrc file outside every
//! layer that is removed when the build ends, and are never printed or persisted.

use libcnb::Env;
use std::path::PathBuf;

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
}

/// Netrc text and where it came from ("the binding `modules`", `GO_NETRC`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NetrcSource {
    pub(crate) name: String,
    text: String,
}

impl NetrcSource {
    /// The netrc text itself, for the file the go commands read.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    #[cfg(test)]
    pub(crate) fn for_test(name: &str, text: &str) -> Self {
        NetrcSource {
            name: String::from(name),
            text: String::from(text),
        }
    }

    /// The hosts the entries are for (`default` for the catch-all), never logins or passwords.
    pub(crate) fn machines(&self) -> Vec<String> {
        go_cnb_common::netrc::machines(&self.text)
    }
}

/// Every netrc the build was given: bindings of type `netrc` (sorted by name), then `GO_NETRC`.
pub(crate) fn find_sources(env: &Env) -> Result<Vec<NetrcSource>, NetrcError> {
    let mut sources = Vec::new();
    for binding in crate::bindings::of_type(env, BINDING_TYPE) {
        let netrc_path = binding.key(BINDING_KEY);
        if !netrc_path.is_file() {
            return Err(NetrcError::BindingWithoutNetrc {
                binding: binding.path,
            });
        }
        let name = binding.describe();
        let text =
            std::fs::read_to_string(&netrc_path).map_err(|source| NetrcError::Unreadable {
                what: name.clone(),
                source,
            })?;
        sources.push(checked(NetrcSource { name, text })?);
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

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
