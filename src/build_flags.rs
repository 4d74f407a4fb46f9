//! The `-ldflags` and `-gcflags` of `go install`, from every place a user can give them: the
//! `-ldflags=`/`-gcflags=` of GOFLAGS, `GO_LDFLAGS`/`GO_GCFLAGS` (passed exactly as written, in
//! the go command's quoting), and for the linker the `-X` of `GO_LINKER_SYMBOL`. The go command
//! keeps only the last `-ldflags` it is given, so the buildpack merges them into one argument,
//! in that order (a later flag wins, e.g. a later `-X` of the same symbol), rather than letting
//! one silently replace another.

use crate::linker::LinkerDefinition;
use crate::truncate::for_display;
use bullet_stream::global::print;
use bullet_stream::style;
use go_cnb_common::go_quoted::{self, UnterminatedQuote};
use libcnb::Env;

#[derive(Debug, thiserror::Error)]
pub(crate) enum BuildFlagsError {
    /// A value whose quotes the go command cannot split.
    #[error("{variable}: {error}")]
    Unterminated {
        variable: &'static str,
        value: String,
        error: UnterminatedQuote,
    },
    /// `GO_LDFLAGS`/`GO_GCFLAGS` not starting with a flag: the go command would take its first
    /// word for a package pattern (`pattern=flags`).
    #[error("{variable} does not start with a flag")]
    NotAFlagList {
        variable: &'static str,
        value: String,
    },
    /// GOFLAGS' `-ldflags=pattern=flags` applies to some packages only, which cannot be merged
    /// with flags for every package.
    #[error("GOFLAGS' {flag} has a package pattern and {others} also set flags")]
    PatternInGoflags {
        flag: &'static str,
        value: String,
        others: String,
    },
}

/// The flags of one kind (`-ldflags` or `-gcflags`) and where they came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MergedFlags {
    /// In the go command's quoting, as it reaches `go install -ldflags=…`.
    pub(crate) value: String,
    pub(crate) sources: Vec<&'static str>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct BuildFlags {
    pub(crate) ldflags: Option<MergedFlags>,
    pub(crate) gcflags: Option<MergedFlags>,
    /// GOFLAGS, split as the go command splits it.
    pub(crate) goflags: Vec<String>,
}

impl BuildFlags {
    pub(crate) fn from_env(
        env: &Env,
        linker: Option<&LinkerDefinition>,
    ) -> Result<Self, BuildFlagsError> {
        let value = |name: &str| env.get_string_lossy(name).filter(|v| !v.trim().is_empty());
        let goflags = value("GOFLAGS").unwrap_or_default();
        let goflags =
            go_quoted::split(&goflags).map_err(|error| BuildFlagsError::Unterminated {
                variable: "GOFLAGS",
                value: goflags.clone(),
                error,
            })?;
        let linker_field = match linker {
            Some(LinkerDefinition::LdFlags(field)) => Some(field.clone()),
            _ => None,
        };
        Ok(BuildFlags {
            ldflags: merge(
                "ldflags",
                &goflags,
                "GO_LDFLAGS",
                value("GO_LDFLAGS"),
                linker_field.map(|field| ("GO_LINKER_SYMBOL", field)),
            )?,
            gcflags: merge("gcflags", &goflags, "GO_GCFLAGS", value("GO_GCFLAGS"), None)?,
            goflags,
        })
    }

    /// The arguments of `go install` that carry the flags.
    pub(crate) fn install_args(&self) -> Vec<String> {
        [("-ldflags", &self.ldflags), ("-gcflags", &self.gcflags)]
            .into_iter()
            .filter_map(|(flag, merged)| {
                merged
                    .as_ref()
                    .map(|merged| format!("{flag}={}", merged.value))
            })
            .collect()
    }

    /// Says where the flags come from when several places give them.
    pub(crate) fn describe(&self) {
        for (flag, merged) in [("-ldflags", &self.ldflags), ("-gcflags", &self.gcflags)] {
            if let Some(merged) = merged.as_ref().filter(|merged| merged.sources.len() > 1) {
                print::sub_bullet(format!(
                    "{flag} {} (from {}, in that order: a later flag wins)",
                    style::value(for_display(&merged.value)),
                    merged.sources.join(", ")
                ));
            }
        }
    }
}

/// GOFLAGS' last `-<name>=` value (the go command keeps the last).
fn goflags_value<'a>(goflags: &'a [String], name: &str) -> Option<&'a str> {
    goflags
        .iter()
        .filter_map(|field| field.strip_prefix("--").or(field.strip_prefix('-')))
        .filter_map(|field| field.strip_prefix(name)?.strip_prefix('='))
        .next_back()
}

fn merge(
    name: &'static str,
    goflags: &[String],
    variable: &'static str,
    variable_value: Option<String>,
    buildpack: Option<(&'static str, String)>,
) -> Result<Option<MergedFlags>, BuildFlagsError> {
    let mut pieces: Vec<(&'static str, String)> = Vec::new();
    let from_goflags = goflags_value(goflags, name).filter(|value| !value.trim().is_empty());
    if let Some(value) = variable_value {
        let value = value.trim().to_string();
        go_quoted::split(&value).map_err(|error| BuildFlagsError::Unterminated {
            variable,
            value: value.clone(),
            error,
        })?;
        if !value.starts_with('-') {
            return Err(BuildFlagsError::NotAFlagList { variable, value });
        }
        pieces.push((variable, value));
    }
    pieces.extend(buildpack);
    let Some(from_goflags) = from_goflags else {
        return Ok(merged(&pieces));
    };
    if pieces.is_empty() {
        // GOFLAGS alone: the go command applies it as it is.
        return Ok(None);
    }
    if !from_goflags.starts_with('-') {
        return Err(BuildFlagsError::PatternInGoflags {
            flag: if name == "ldflags" {
                "-ldflags"
            } else {
                "-gcflags"
            },
            value: from_goflags.to_string(),
            others: pieces
                .iter()
                .map(|(source, _)| *source)
                .collect::<Vec<_>>()
                .join(" and "),
        });
    }
    go_quoted::split(from_goflags).map_err(|error| BuildFlagsError::Unterminated {
        variable: "GOFLAGS",
        value: from_goflags.to_string(),
        error,
    })?;
    pieces.insert(0, ("GOFLAGS", from_goflags.to_string()));
    Ok(merged(&pieces))
}

fn merged(pieces: &[(&'static str, String)]) -> Option<MergedFlags> {
    (!pieces.is_empty()).then(|| MergedFlags {
        value: pieces
            .iter()
            .map(|(_, value)| value.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        sources: pieces.iter().map(|(source, _)| *source).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(
        vars: &[(&str, &str)],
        linker: Option<&LinkerDefinition>,
    ) -> Result<BuildFlags, BuildFlagsError> {
        let mut env = Env::new();
        for (name, value) in vars {
            env.insert(name, value);
        }
        BuildFlags::from_env(&env, linker)
    }

    fn args(vars: &[(&str, &str)], linker: Option<&LinkerDefinition>) -> Vec<String> {
        flags(vars, linker).expect("valid flags").install_args()
    }

    #[test]
    fn nothing_set_passes_nothing_and_goflags_alone_stays_in_goflags() {
        assert_eq!(args(&[], None), Vec::<String>::new());
        assert_eq!(
            args(&[("GOFLAGS", "-ldflags=-s -gcflags=all=-N")], None),
            Vec::<String>::new()
        );
    }

    #[test]
    fn variables_pass_exactly_as_written() {
        assert_eq!(
            args(
                &[
                    ("GO_LDFLAGS", "-s -w -X 'main.greeting=hello world'"),
                    ("GO_GCFLAGS", "-m"),
                ],
                None
            ),
            [
                "-ldflags=-s -w -X 'main.greeting=hello world'",
                "-gcflags=-m"
            ]
        );
    }

    #[test]
    fn every_source_of_linker_flags_is_merged_in_order() {
        let linker = LinkerDefinition::new("main.version", "v1 beta");
        let merged = flags(
            &[
                ("GOFLAGS", "-mod=mod '-ldflags=-s -w' -tags=x"),
                ("GO_LDFLAGS", "-X main.commit=abc"),
            ],
            Some(&linker),
        )
        .expect("valid");
        assert_eq!(
            merged.ldflags,
            Some(MergedFlags {
                value: "-s -w -X main.commit=abc -X 'main.version=v1 beta'".into(),
                sources: vec!["GOFLAGS", "GO_LDFLAGS", "GO_LINKER_SYMBOL"],
            })
        );
        // The miniflux case: GOFLAGS' -s kept beside GO_LINKER_SYMBOL.
        assert_eq!(
            args(
                &[("GOFLAGS", "-ldflags=-s")],
                Some(&LinkerDefinition::new("main.v", "1"))
            ),
            ["-ldflags=-s -X main.v=1"]
        );
        // A value the linker gets through -toolexec leaves -ldflags to the others.
        assert_eq!(
            args(
                &[("GO_LDFLAGS", "-s")],
                Some(&LinkerDefinition::new("main.v", "a \"b\" c'd"))
            ),
            ["-ldflags=-s"]
        );
    }

    #[test]
    fn bad_values_are_refused_naming_the_variable() {
        assert!(matches!(
            flags(&[("GO_LDFLAGS", "-X 'main.a=b")], None),
            Err(BuildFlagsError::Unterminated {
                variable: "GO_LDFLAGS",
                error: UnterminatedQuote {
                    quote: '\'',
                    position: 4
                },
                ..
            })
        ));
        assert!(matches!(
            flags(&[("GOFLAGS", "'-ldflags=-s")], None),
            Err(BuildFlagsError::Unterminated {
                variable: "GOFLAGS",
                ..
            })
        ));
        assert!(matches!(
            flags(&[("GO_GCFLAGS", "all=-N -l")], None),
            Err(BuildFlagsError::NotAFlagList {
                variable: "GO_GCFLAGS",
                ..
            })
        ));
        assert!(matches!(
            flags(
                &[("GOFLAGS", "-ldflags=all=-s"), ("GO_LDFLAGS", "-w")],
                None
            ),
            Err(BuildFlagsError::PatternInGoflags {
                flag: "-ldflags",
                ..
            })
        ));
    }
}
