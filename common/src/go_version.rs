//! Go release versions and the requirements users write for them.
//!
//! Go names its releases `go1.21.0`, `go1.20` (before 1.21 the first release of a line had no
//! patch number) and `go1.27rc1`. Versions compare as Go compares them: a pre-release comes
//! before the first release of its line, and `1.20` equals `1.20.0`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::cmp::Ordering;
use std::fmt::{self, Display, Formatter};
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PreRelease {
    // Declaration order is the comparison order: beta < rc.
    Beta(u64),
    Rc(u64),
}

#[derive(Clone, Debug)]
pub struct GoVersion {
    pub major: u64,
    pub minor: u64,
    /// `None` for `1.20` or `1.27rc1`: written without a patch number.
    pub patch: Option<u64>,
    pub pre: Option<PreRelease>,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a Go version (expected a form like `1.26.3`, `go1.26` or `1.27rc1`)")]
pub struct GoVersionParseError(pub String);

impl GoVersion {
    #[must_use]
    pub fn minor_line(&self) -> String {
        format!("{}.{}", self.major, self.minor)
    }

    fn sort_key(&self) -> (u64, u64, u64, u8, u64) {
        // A pre-release sorts below every release of its line.
        let (rank, number) = match self.pre {
            Some(PreRelease::Beta(n)) => (0, n),
            Some(PreRelease::Rc(n)) => (1, n),
            None => (2, 0),
        };
        (
            self.major,
            self.minor,
            self.patch.unwrap_or(0),
            rank,
            number,
        )
    }

    #[must_use]
    pub fn is_prerelease(&self) -> bool {
        self.pre.is_some()
    }
}

impl PartialEq for GoVersion {
    fn eq(&self, other: &Self) -> bool {
        self.sort_key() == other.sort_key()
    }
}
impl Eq for GoVersion {}
impl PartialOrd for GoVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for GoVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.sort_key().cmp(&other.sort_key())
    }
}

fn parse_number(part: &str, whole: &str) -> Result<u64, GoVersionParseError> {
    // Go never writes leading zeros or signs; reject them rather than guess.
    if part.is_empty()
        || !part.bytes().all(|b| b.is_ascii_digit())
        || (part.len() > 1 && part.starts_with('0'))
    {
        return Err(GoVersionParseError(whole.to_string()));
    }
    part.parse()
        .map_err(|_| GoVersionParseError(whole.to_string()))
}

impl FromStr for GoVersion {
    type Err = GoVersionParseError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let text = input.trim();
        let text = text.strip_prefix("go").unwrap_or(text);
        let err = || GoVersionParseError(input.to_string());

        let (numbers, pre) = match text.find(|c: char| c.is_ascii_alphabetic()) {
            Some(index) => {
                let (numbers, suffix) = text.split_at(index);
                let pre = if let Some(n) = suffix.strip_prefix("rc") {
                    PreRelease::Rc(parse_number(n, input)?)
                } else if let Some(n) = suffix.strip_prefix("beta") {
                    PreRelease::Beta(parse_number(n, input)?)
                } else {
                    return Err(err());
                };
                (numbers, Some(pre))
            }
            None => (text, None),
        };

        let parts: Vec<&str> = numbers.split('.').collect();
        let (major, minor, patch) = match parts.as_slice() {
            [major, minor] => (
                parse_number(major, input)?,
                parse_number(minor, input)?,
                None,
            ),
            [major, minor, patch] if pre.is_none() => (
                parse_number(major, input)?,
                parse_number(minor, input)?,
                Some(parse_number(patch, input)?),
            ),
            _ => return Err(err()),
        };
        Ok(GoVersion {
            major,
            minor,
            patch,
            pre,
        })
    }
}

impl Display for GoVersion {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)?;
        if let Some(patch) = self.patch {
            write!(f, ".{patch}")?;
        }
        match self.pre {
            Some(PreRelease::Beta(n)) => write!(f, "beta{n}"),
            Some(PreRelease::Rc(n)) => write!(f, "rc{n}"),
            None => Ok(()),
        }
    }
}

impl Serialize for GoVersion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for GoVersion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// One condition of a requirement.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Condition {
    /// `1.26.3`, `=1.26.3`: exactly this release.
    Exact(GoVersion),
    /// `1.26`, `go1.26`: any release of this minor line.
    Line {
        major: u64,
        minor: u64,
    },
    /// `~1.26.3` and the `go`/`toolchain` lines: this minor line, at or above.
    LineAtLeast(GoVersion),
    GreaterOrEqual(GoVersion),
    Greater(GoVersion),
    LessOrEqual(GoVersion),
    Less(GoVersion),
    /// `^1.25`: same major version, at or above.
    SameMajorAtLeast(GoVersion),
}

impl Condition {
    fn satisfied_by(&self, version: &GoVersion) -> bool {
        let same_line = |v: &GoVersion| v.major == version.major && v.minor == version.minor;
        match self {
            Condition::Exact(v) => version == v,
            Condition::Line { major, minor } => version.major == *major && version.minor == *minor,
            Condition::LineAtLeast(v) => same_line(v) && version >= v,
            Condition::GreaterOrEqual(v) => version >= v,
            Condition::Greater(v) => version > v,
            Condition::LessOrEqual(v) => version <= v,
            Condition::Less(v) => version < v,
            Condition::SameMajorAtLeast(v) => version.major == v.major && version >= v,
        }
    }

    /// The version the condition is anchored at, for finding the nearest releases.
    fn anchor(&self) -> GoVersion {
        match self {
            Condition::Exact(v)
            | Condition::LineAtLeast(v)
            | Condition::GreaterOrEqual(v)
            | Condition::Greater(v)
            | Condition::LessOrEqual(v)
            | Condition::Less(v)
            | Condition::SameMajorAtLeast(v) => v.clone(),
            Condition::Line { major, minor } => GoVersion {
                major: *major,
                minor: *minor,
                patch: None,
                pre: None,
            },
        }
    }
}

/// What a user asked for; every condition must hold. An empty list matches every release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoVersionRequirement {
    conditions: Vec<Condition>,
    text: String,
}

impl GoVersionRequirement {
    #[must_use]
    pub fn any() -> Self {
        GoVersionRequirement {
            conditions: Vec::new(),
            text: String::from("any release"),
        }
    }

    /// Go's meaning of a `go` or `toolchain` line: the newest patch of that minor line at or
    /// above the named version (patch releases carry security fixes).
    #[must_use]
    pub fn minimum_in_line(version: &GoVersion) -> Self {
        GoVersionRequirement {
            text: format!("{version} or a newer {} release", version.minor_line()),
            conditions: vec![Condition::LineAtLeast(version.clone())],
        }
    }

    #[must_use]
    pub fn satisfied_by(&self, version: &GoVersion) -> bool {
        self.conditions.iter().all(|c| c.satisfied_by(version))
    }

    pub fn anchor(&self) -> Option<GoVersion> {
        self.conditions.first().map(Condition::anchor)
    }
}

impl Display for GoVersionRequirement {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a Go version requirement (expected a form like `1.26`, `go1.26.3`, \
     `>=1.25`, `~1.25.3` or `^1.25`)"
)]
pub struct RequirementParseError(pub String);

impl FromStr for GoVersionRequirement {
    type Err = RequirementParseError;

    /// Parses what users write in `GOVERSION` and `// +heroku goVersion`: `go1.26` or `1.26`
    /// (newest of that line), `1.26.3` (exactly), or comparisons joined by commas.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let err = || RequirementParseError(input.to_string());
        let text = input.trim();
        if text.is_empty() {
            return Err(err());
        }
        let conditions = text
            .split(',')
            .map(|part| {
                let part = part.trim();
                let (operator, rest) = ["^", "~", ">=", "<=", ">", "<", "="]
                    .iter()
                    .find_map(|op| part.strip_prefix(op).map(|rest| (*op, rest)))
                    .unwrap_or(("", part));
                let version: GoVersion = rest.trim().parse().map_err(|_| err())?;
                Ok(match operator {
                    "^" => Condition::SameMajorAtLeast(version),
                    "~" => Condition::LineAtLeast(version),
                    ">=" => Condition::GreaterOrEqual(version),
                    "<=" => Condition::LessOrEqual(version),
                    ">" => Condition::Greater(version),
                    "<" => Condition::Less(version),
                    _ if version.patch.is_none() && !version.is_prerelease() => Condition::Line {
                        major: version.major,
                        minor: version.minor,
                    },
                    _ => Condition::Exact(version),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(GoVersionRequirement {
            conditions,
            text: text.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> GoVersion {
        text.parse().expect("valid version")
    }

    fn req(text: &str) -> GoVersionRequirement {
        text.parse().expect("valid requirement")
    }

    #[test]
    fn parses_go_release_names() {
        assert_eq!(v("go1.26.6").to_string(), "1.26.6");
        assert_eq!(v("1.20").to_string(), "1.20");
        assert_eq!(v("go1.27rc1").to_string(), "1.27rc1");
        assert_eq!(v("1.21beta2").to_string(), "1.21beta2");
        for bad in [
            "",
            "1",
            "1.x",
            "go",
            "1.2.3.4",
            "1.26.01",
            "1.26rc",
            "1.26.1rc1",
            "v1.2",
        ] {
            assert!(bad.parse::<GoVersion>().is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn orders_versions_as_go_does() {
        assert!(v("1.27beta1") < v("1.27rc1"));
        assert!(v("1.27rc2") < v("1.27.0"));
        assert!(v("1.26.10") > v("1.26.9"));
        assert_eq!(v("1.20"), v("1.20.0"));
        assert!(v("1.9.7") < v("1.10"));
    }

    #[test]
    fn minor_line_only_matches_its_line() {
        let r = req("go1.26");
        assert!(r.satisfied_by(&v("1.26.0")));
        assert!(r.satisfied_by(&v("1.26.7")));
        assert!(!r.satisfied_by(&v("1.27.0")));
    }

    #[test]
    fn full_version_is_exact() {
        let r = req("1.26.3");
        assert!(r.satisfied_by(&v("1.26.3")));
        assert!(!r.satisfied_by(&v("1.26.4")));
        assert!(req("=go1.25.4").satisfied_by(&v("1.25.4")));
    }

    #[test]
    fn comparisons_combine() {
        let r = req(">=1.25.2, <1.27");
        assert!(!r.satisfied_by(&v("1.25.1")));
        assert!(r.satisfied_by(&v("1.25.2")));
        assert!(r.satisfied_by(&v("1.26.9")));
        assert!(!r.satisfied_by(&v("1.27.0")));
        assert!(req("~1.25.3").satisfied_by(&v("1.25.9")));
        assert!(!req("~1.25.3").satisfied_by(&v("1.26.0")));
        assert!(req("^1.25").satisfied_by(&v("1.27.0")));
        assert!(req(">1.25.3").satisfied_by(&v("1.25.4")));
        assert!(!req("<=1.25.3").satisfied_by(&v("1.25.4")));
    }

    #[test]
    fn minimum_in_line_follows_go_semantics() {
        let r = GoVersionRequirement::minimum_in_line(&v("1.25.3"));
        assert!(!r.satisfied_by(&v("1.25.2")));
        assert!(r.satisfied_by(&v("1.25.3")));
        assert!(r.satisfied_by(&v("1.25.14")));
        assert!(!r.satisfied_by(&v("1.26.0")));
        let rc = GoVersionRequirement::minimum_in_line(&v("1.27rc1"));
        assert!(rc.satisfied_by(&v("1.27.0")));
        assert!(!rc.satisfied_by(&v("1.26.7")));
    }

    #[test]
    fn rejects_malformed_requirements() {
        for bad in ["", "latest", ">=", "1.26,", "~>1.2", "1.x"] {
            assert!(bad.parse::<GoVersionRequirement>().is_err(), "{bad}");
        }
    }
}
