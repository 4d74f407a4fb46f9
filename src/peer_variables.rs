//! The variables users of Paketo's and Google's Go buildpacks already set, read as this
//! buildpack's own so that an app moves over unchanged: each is copied into its equivalent
//! (translated where the syntax differs), or refused with a message naming the equivalent.
//! Done first, on the build's environment, so every later step sees only this buildpack's
//! variables.

use crate::truncate::for_display;
use bullet_stream::global::print;
use bullet_stream::style;
use libcnb::Env;

/// What a peer variable becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mapping {
    /// The same value, in this buildpack's variable.
    Same(&'static str),
    /// Paketo's version constraint (`1.22.*`) as a GOVERSION requirement (`1.22`).
    PaketoVersion,
    /// A list separated by `:` as one separated by spaces.
    ColonList(&'static str),
    /// `true` as `GO_KEEP_FILES` keeping nothing but the Procfile and project.toml.
    ClearSource,
    /// Not taken: the message says what to use instead.
    Refused(&'static str),
}

/// Each peer variable and what it becomes, in the order they are read.
const PEER_VARIABLES: &[(&str, Mapping)] = &[
    ("BP_GO_VERSION", Mapping::PaketoVersion),
    ("GOOGLE_GO_VERSION", Mapping::Same("GOVERSION")),
    ("BP_GO_TARGETS", Mapping::ColonList("GO_INSTALL_PACKAGE_SPEC")),
    ("GOOGLE_BUILDABLE", Mapping::Same("GO_INSTALL_PACKAGE_SPEC")),
    ("BP_GO_BUILD_LDFLAGS", Mapping::Same("GO_LDFLAGS")),
    ("GOOGLE_GOLDFLAGS", Mapping::Same("GO_LDFLAGS")),
    ("GOOGLE_GOGCFLAGS", Mapping::Same("GO_GCFLAGS")),
    ("BP_KEEP_FILES", Mapping::Same("GO_KEEP_FILES")),
    ("GOOGLE_CLEAR_SOURCE", Mapping::ClearSource),
    ("BP_OCI_REVISION", Mapping::Same("SOURCE_VERSION")),
    (
        "BP_GO_BUILD_FLAGS",
        Mapping::Refused(
            "Put build flags in GOFLAGS (such as `-tags=netgo -mod=mod`, quoting an entry with spaces whole) and linker flags in GO_LDFLAGS.",
        ),
    ),
    (
        "GOOGLE_ENTRYPOINT",
        Mapping::Refused(
            "Add a Procfile with a `web:` line holding the command (such as `web: myapp --port $PORT`): its `web` process is the image's default.",
        ),
    ),
    (
        "BP_GO_WORK_USE",
        Mapping::Refused(
            "Commit a go.work listing the modules to build (`go work use ./a ./b`); this buildpack builds in workspace mode whenever go.work exists.",
        ),
    ),
];

#[derive(Debug, thiserror::Error)]
pub(crate) enum PeerVariableError {
    /// Two variables ask for different things.
    #[error("{peer}={peer_value} and {ours}={our_value} disagree")]
    Conflict {
        peer: &'static str,
        peer_value: String,
        ours: &'static str,
        our_value: String,
    },
    #[error("{peer} is not supported")]
    Refused {
        peer: &'static str,
        value: String,
        instead: &'static str,
    },
    #[error("GOOGLE_CLEAR_SOURCE={value} is not true or false")]
    NotABoolean { value: String },
}

/// One peer variable taken, as the output reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Applied {
    pub(crate) peer: &'static str,
    pub(crate) ours: &'static str,
    pub(crate) value: String,
}

/// The environment with every peer variable copied into its equivalent.
pub(crate) fn apply(env: &Env) -> Result<(Env, Vec<Applied>), PeerVariableError> {
    let mut env = env.clone();
    let mut applied = Vec::new();
    for (peer, mapping) in PEER_VARIABLES {
        let Some(peer_value) = env
            .get_string_lossy(peer)
            .map(|value| value.trim().to_string())
            .filter(|value| !value.is_empty())
        else {
            continue;
        };
        let (ours, value) = match *mapping {
            Mapping::Same(ours) => (ours, peer_value.clone()),
            Mapping::PaketoVersion => ("GOVERSION", paketo_version(&peer_value)),
            Mapping::ColonList(ours) => (ours, colon_list(&peer_value)),
            Mapping::ClearSource => match peer_value.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => ("GO_KEEP_FILES", String::from("Procfile")),
                "false" | "0" | "no" => continue,
                _ => return Err(PeerVariableError::NotABoolean { value: peer_value }),
            },
            Mapping::Refused(instead) => {
                return Err(PeerVariableError::Refused {
                    peer,
                    value: peer_value,
                    instead,
                })
            }
        };
        if let Some(our_value) = env
            .get_string_lossy(ours)
            .map(|value| value.trim().to_string())
            .filter(|value| !value.is_empty())
        {
            if our_value != value {
                return Err(PeerVariableError::Conflict {
                    peer,
                    peer_value,
                    ours,
                    our_value,
                });
            }
        }
        env.insert(ours, &value);
        applied.push(Applied { peer, ours, value });
    }
    Ok((env, applied))
}

/// `1.22.*` (Paketo's form for "the newest 1.22") as `1.22`; anything else as written.
fn paketo_version(value: &str) -> String {
    value
        .strip_suffix(".*")
        .unwrap_or(value)
        .trim_start_matches('=')
        .to_string()
}

fn colon_list(value: &str) -> String {
    value
        .split(':')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

pub(crate) fn describe(applied: &[Applied]) {
    if applied.is_empty() {
        return;
    }
    print::bullet("Variables of other Go buildpacks");
    for Applied { peer, ours, value } in applied {
        print::sub_bullet(format!(
            "{peer} is read as {ours}={}",
            style::value(for_display(value))
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applied(vars: &[(&str, &str)]) -> Result<Vec<(String, String)>, PeerVariableError> {
        let mut env = Env::new();
        for (name, value) in vars {
            env.insert(name, value);
        }
        let (env, applied) = apply(&env)?;
        Ok(applied
            .iter()
            .map(|a| {
                (
                    format!("{}>{}", a.peer, a.ours),
                    env.get_string_lossy(a.ours).expect("set"),
                )
            })
            .collect())
    }

    fn pair(mapping: &str, value: &str) -> (String, String) {
        (mapping.to_string(), value.to_string())
    }

    #[test]
    fn each_peer_variable_becomes_its_equivalent() {
        assert_eq!(
            applied(&[
                ("BP_GO_VERSION", "1.25.*"),
                ("BP_GO_TARGETS", "./cmd/web:./cmd/worker"),
                ("BP_GO_BUILD_LDFLAGS", "-s -w -X 'main.v=a b'"),
                ("BP_KEEP_FILES", "templates/*:static/**"),
                ("BP_OCI_REVISION", "abc123"),
                ("GOOGLE_GOGCFLAGS", "-N -l"),
            ])
            .expect("applied"),
            [
                pair("BP_GO_VERSION>GOVERSION", "1.25"),
                pair(
                    "BP_GO_TARGETS>GO_INSTALL_PACKAGE_SPEC",
                    "./cmd/web ./cmd/worker"
                ),
                pair("BP_GO_BUILD_LDFLAGS>GO_LDFLAGS", "-s -w -X 'main.v=a b'"),
                pair("GOOGLE_GOGCFLAGS>GO_GCFLAGS", "-N -l"),
                pair("BP_KEEP_FILES>GO_KEEP_FILES", "templates/*:static/**"),
                pair("BP_OCI_REVISION>SOURCE_VERSION", "abc123"),
            ]
        );
        assert_eq!(
            applied(&[
                ("GOOGLE_GO_VERSION", "1.26.3"),
                ("GOOGLE_BUILDABLE", "./cmd/web"),
                ("GOOGLE_GOLDFLAGS", "-s"),
                ("GOOGLE_CLEAR_SOURCE", "true"),
            ])
            .expect("applied"),
            [
                pair("GOOGLE_GO_VERSION>GOVERSION", "1.26.3"),
                pair("GOOGLE_BUILDABLE>GO_INSTALL_PACKAGE_SPEC", "./cmd/web"),
                pair("GOOGLE_GOLDFLAGS>GO_LDFLAGS", "-s"),
                pair("GOOGLE_CLEAR_SOURCE>GO_KEEP_FILES", "Procfile"),
            ]
        );
        assert_eq!(
            applied(&[("GOOGLE_CLEAR_SOURCE", "false"), ("BP_GO_VERSION", "~1.25")])
                .expect("applied"),
            [pair("BP_GO_VERSION>GOVERSION", "~1.25")]
        );
    }

    #[test]
    fn the_same_value_twice_is_fine_and_different_values_are_refused() {
        assert_eq!(
            applied(&[("BP_GO_VERSION", "1.25"), ("GOVERSION", "1.25")])
                .expect("agree")
                .len(),
            1
        );
        assert!(matches!(
            applied(&[("BP_GO_VERSION", "1.25.*"), ("GOVERSION", "1.26")]),
            Err(PeerVariableError::Conflict {
                peer: "BP_GO_VERSION",
                ours: "GOVERSION",
                ..
            })
        ));
        // Two peers of one variable disagree: the second meets the first's value.
        assert!(matches!(
            applied(&[("BP_GO_BUILD_LDFLAGS", "-s"), ("GOOGLE_GOLDFLAGS", "-w")]),
            Err(PeerVariableError::Conflict {
                peer: "GOOGLE_GOLDFLAGS",
                ours: "GO_LDFLAGS",
                ..
            })
        ));
    }

    #[test]
    fn variables_without_an_equivalent_are_refused_naming_what_to_use() {
        for peer in ["BP_GO_BUILD_FLAGS", "GOOGLE_ENTRYPOINT", "BP_GO_WORK_USE"] {
            assert!(
                matches!(applied(&[(peer, "x")]), Err(PeerVariableError::Refused { peer: p, .. }) if p == peer),
                "{peer}"
            );
        }
        assert!(matches!(
            applied(&[("GOOGLE_CLEAR_SOURCE", "maybe")]),
            Err(PeerVariableError::NotABoolean { .. })
        ));
    }
}
