//! Credentials for private git servers and module servers from service bindings of type
//! `git-credentials`: a `credentials` key in git-credential format (`username=`, `password=`,
//! and `protocol=`/`host=`/`path=` or `url=` for where they belong) and an optional `context`
//! key, the URL they are for, which wins. They reach git through a credential helper that
//! `private_credentials.rs` writes outside every layer, and are never printed or persisted.

use crate::bindings;
use go_cnb_common::git_credential::{self, GitCredential, GitCredentialError};
use libcnb::Env;
use std::path::PathBuf;

/// The binding type (Paketo's Git buildpack reads the same bindings).
const BINDING_TYPE: &str = "git-credentials";
const CREDENTIALS_KEY: &str = "credentials";
const CONTEXT_KEY: &str = "context";

#[derive(Debug, thiserror::Error)]
pub(crate) enum GitCredentialsError {
    #[error("the binding {binding} has type git-credentials but no {CREDENTIALS_KEY} file")]
    BindingWithoutCredentials { binding: PathBuf },
    #[error("reading {what} failed: {source}")]
    Unreadable {
        what: String,
        source: std::io::Error,
    },
    #[error("the credentials of {what} cannot be read: {problem}")]
    Malformed {
        what: String,
        problem: GitCredentialError,
    },
    #[error("the context of {what} is not a URL: {problem}")]
    BadContext {
        what: String,
        problem: GitCredentialError,
    },
    #[error("{what} says no URL its credentials are for")]
    NoUrl { what: String },
}

/// One binding's credential and the URL (a git credential context) it is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GitCredentialSource {
    pub(crate) name: String,
    pub(crate) scope: String,
    pub(crate) credential: GitCredential,
}

/// Every `git-credentials` binding of the build, in the order of bindings.rs.
pub(crate) fn find_sources(env: &Env) -> Result<Vec<GitCredentialSource>, GitCredentialsError> {
    bindings::of_type(env, BINDING_TYPE)
        .into_iter()
        .map(|binding| {
            let what = binding.describe();
            let credentials_path = binding.key(CREDENTIALS_KEY);
            if !credentials_path.is_file() {
                return Err(GitCredentialsError::BindingWithoutCredentials {
                    binding: binding.path,
                });
            }
            let read = |path: PathBuf| {
                std::fs::read_to_string(path).map_err(|source| GitCredentialsError::Unreadable {
                    what: what.clone(),
                    source,
                })
            };
            let credential =
                git_credential::parse(&read(credentials_path)?).map_err(|problem| {
                    GitCredentialsError::Malformed {
                        what: what.clone(),
                        problem,
                    }
                })?;
            let context_path = binding.key(CONTEXT_KEY);
            let context = if context_path.is_file() {
                Some(read(context_path)?).filter(|context| !context.trim().is_empty())
            } else {
                None
            };
            let scope = match context {
                Some(context) => git_credential::check_scope(&context).map_err(|problem| {
                    GitCredentialsError::BadContext {
                        what: what.clone(),
                        problem,
                    }
                })?,
                None => credential
                    .scope()
                    .map(str::to_string)
                    .ok_or_else(|| GitCredentialsError::NoUrl { what: what.clone() })?,
            };
            Ok(GitCredentialSource {
                name: what,
                scope,
                credential,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn binding(root: &Path, name: &str, keys: &[(&str, &str)]) {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).expect("mkdir");
        for (key, value) in keys {
            std::fs::write(dir.join(key), value).expect("write");
        }
    }

    fn env_for(platform: &Path) -> Env {
        let mut env = Env::new();
        env.insert("CNB_PLATFORM_DIR", platform);
        env
    }

    #[test]
    fn each_binding_gives_its_context_or_the_url_its_credentials_name() {
        let platform = tempfile::tempdir().expect("tempdir");
        let bindings = platform.path().join("bindings");
        binding(
            &bindings,
            "b-named",
            &[
                ("type", "git-credentials\n"),
                (
                    "credentials",
                    "protocol=https\nhost=git.example\nusername=u\npassword=p\n",
                ),
            ],
        );
        binding(
            &bindings,
            "a-context",
            &[
                ("type", "Git-Credentials"),
                ("credentials", "username=u\npassword=p\n"),
                ("context", "https://modules.example/team/\n"),
            ],
        );
        binding(&bindings, "c-other", &[("type", "netrc")]);
        let described: Vec<(String, String)> = find_sources(&env_for(platform.path()))
            .expect("sources")
            .into_iter()
            .map(|source| (source.name, source.scope))
            .collect();
        assert_eq!(
            described,
            [
                (
                    String::from("the binding `a-context`"),
                    String::from("https://modules.example/team")
                ),
                (
                    String::from("the binding `b-named`"),
                    String::from("https://git.example")
                ),
            ]
        );
    }

    #[test]
    fn a_binding_without_credentials_or_a_url_or_with_a_bad_one_is_an_error() {
        let secret = "s3cr3t-p4ss";
        let cases: [(&[(&str, &str)], &str); 4] = [
            (&[], "has type git-credentials but no credentials file"),
            (
                &[("credentials", "username=u\npassword=s3cr3t-p4ss\n")],
                "says no URL its credentials are for",
            ),
            (
                &[("credentials", "username=u\ns3cr3t-p4ss\n")],
                "cannot be read: line 2 is not `key=value`",
            ),
            (
                &[
                    ("credentials", "username=u\npassword=s3cr3t-p4ss\n"),
                    ("context", "https://u:s3cr3t-p4ss@git.example"),
                ],
                "the context of the binding `creds` is not a URL: its URL",
            ),
        ];
        for (keys, expected) in cases {
            let platform = tempfile::tempdir().expect("tempdir");
            let mut keys = keys.to_vec();
            keys.push(("type", "git-credentials"));
            binding(&platform.path().join("bindings"), "creds", &keys);
            let error = find_sources(&env_for(platform.path())).expect_err(expected);
            let message = error.to_string();
            assert!(message.contains(expected), "{message}");
            assert!(!message.contains(secret), "{message}");
        }
    }
}
