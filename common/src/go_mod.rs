//! Reads the parts of `go.mod` that decide how the app is built.
//!
//! The go command validates the whole file when it runs; this reader only interprets the lines
//! the buildpack acts on, and names the line of anything it cannot understand, so that a bad
//! request fails before a toolchain is downloaded.

use crate::go_version::{GoVersion, GoVersionRequirement};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoMod {
    pub module_path: String,
    /// The `go` line: the minimum Go version the module needs.
    pub go_line: Option<GoVersion>,
    /// The `toolchain` line: the toolchain the module prefers; `toolchain default` is `None`.
    pub toolchain: Option<GoVersion>,
    /// `// +heroku goVersion <requirement>`.
    pub heroku_go_version: Option<GoVersionRequirement>,
    /// `// +heroku install <packages>`.
    pub heroku_install: Vec<String>,
    /// The packages of `tool` lines (Go 1.24+): programs the module uses while developing.
    pub tools: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum GoModError {
    #[error("could not read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {problem}")]
    Malformed {
        path: PathBuf,
        line: usize,
        content: String,
        problem: String,
    },
    #[error("{path}: no `module` line")]
    NoModuleLine { path: PathBuf },
}

/// Reads and parses the app's `go.mod`.
///
/// # Errors
/// The file cannot be read, or a line the buildpack acts on is malformed.
pub fn read_go_mod(app_dir: &Path) -> Result<GoMod, GoModError> {
    let path = app_dir.join("go.mod");
    let contents = std::fs::read_to_string(&path).map_err(|source| GoModError::Read {
        path: PathBuf::from("go.mod"),
        source,
    })?;
    parse_go_mod(&contents, Path::new("go.mod"))
}

/// Removes a trailing `//` comment that is not inside a quoted string.
fn strip_comment(line: &str) -> &str {
    let mut in_quotes = false;
    let bytes = line.as_bytes();
    for (index, byte) in bytes.iter().enumerate() {
        match byte {
            b'"' | b'`' => in_quotes = !in_quotes,
            b'/' if !in_quotes && bytes.get(index + 1) == Some(&b'/') => return &line[..index],
            _ => {}
        }
    }
    line
}

/// Reads the arguments of a `toolchain` line; `toolchain default` names no release.
///
/// # Errors
/// What is wrong with the line, in words for users.
pub fn read_toolchain(arguments: &[&str]) -> Result<Option<GoVersion>, String> {
    let [value] = arguments else {
        return Err(String::from(
            "`toolchain` takes exactly one name, such as `toolchain go1.26.3`",
        ));
    };
    if *value == "default" {
        return Ok(None);
    }
    if !value.starts_with("go") {
        return Err(format!(
            "`{value}` is not a toolchain name (expected a form like `go1.26.3`)"
        ));
    }
    // Custom toolchain names such as `go1.26.3-custom` name a Go release too.
    let release = value.split_once('-').map_or(*value, |(release, _)| release);
    release
        .parse()
        .map(Some)
        .map_err(|error: crate::go_version::GoVersionParseError| error.to_string())
}

/// A line of a go.mod or go.work file that says something, and where it is. A line inside a
/// block (`require (` … `)`) reads as if its block's keyword began it, as the go command reads
/// it; a `// +heroku …` comment has the keyword `+heroku`.
pub struct Directive<'a> {
    line_number: usize,
    raw_line: &'a str,
    pub keyword: &'a str,
    pub arguments: Vec<&'a str>,
}

impl Directive<'_> {
    /// The error that names this line of `path` and what is wrong with it.
    #[must_use]
    pub fn malformed(&self, path: &Path, problem: String) -> GoModError {
        GoModError::Malformed {
            path: path.to_path_buf(),
            line: self.line_number,
            content: self.raw_line.trim().to_string(),
            problem,
        }
    }
}

/// The directives of a go.mod or go.work file, in order.
#[must_use]
pub fn directives(contents: &str) -> Vec<Directive<'_>> {
    let mut directives = Vec::new();
    let mut block: Option<&str> = None;
    for (index, raw_line) in contents.lines().enumerate() {
        let comment = raw_line.trim().strip_prefix("//").map(str::trim);
        let (keyword, arguments) =
            if let Some(heroku) = comment.and_then(|comment| comment.strip_prefix("+heroku")) {
                ("+heroku", heroku.split_whitespace().collect())
            } else {
                let line = strip_comment(raw_line).trim();
                if line.is_empty() || (block.is_some() && line == ")") {
                    block = block.filter(|_| line.is_empty());
                    continue;
                }
                if let Some(opening) = line.strip_suffix('(').filter(|_| block.is_none()) {
                    block = Some(opening.trim());
                    continue;
                }
                let mut words = line.split_whitespace();
                match block {
                    Some(keyword) => (keyword, words.collect()),
                    None => (words.next().unwrap_or_default(), words.collect()),
                }
            };
        directives.push(Directive {
            line_number: index + 1,
            raw_line,
            keyword,
            arguments,
        });
    }
    directives
}

/// Reads the arguments of a `go` line.
///
/// # Errors
/// What is wrong with the line, in words for users.
pub fn read_go_line(arguments: &[&str]) -> Result<GoVersion, String> {
    let [value] = arguments else {
        return Err(String::from(
            "`go` takes exactly one version, such as `go 1.26.0`",
        ));
    };
    value
        .parse()
        .map_err(|error: crate::go_version::GoVersionParseError| error.to_string())
}

/// A path as written, without the quotes it may have.
#[must_use]
pub fn unquote(value: &str) -> String {
    value.trim_matches(|c| c == '"' || c == '`').to_string()
}

/// Reads a `// +heroku <directive>` comment.
fn read_heroku_directive(
    arguments: &[&str],
    go_version: &mut Option<GoVersionRequirement>,
    install: &mut Vec<String>,
) -> Result<(), String> {
    match arguments {
        ["goVersion", value @ ..] => {
            if value.is_empty() {
                return Err(String::from(
                    "`// +heroku goVersion` needs a version, such as `// +heroku goVersion go1.26`",
                ));
            }
            *go_version =
                Some(value.join(" ").parse().map_err(
                    |error: crate::go_version::RequirementParseError| error.to_string(),
                )?);
        }
        ["install", packages @ ..] => {
            if packages.is_empty() {
                return Err(String::from(
                    "`// +heroku install` needs at least one package, such as `// +heroku install ./cmd/...`",
                ));
            }
            install.extend(packages.iter().map(ToString::to_string));
        }
        // Other Heroku annotations (such as the classic buildpack's `+heroku buildpack`) do
        // not change how this buildpack builds.
        _ => {}
    }
    Ok(())
}

/// Parses go.mod text; `path` names the file in errors.
///
/// # Errors
/// A line the buildpack acts on is malformed (naming it), or there is no `module` line.
pub fn parse_go_mod(contents: &str, path: &Path) -> Result<GoMod, GoModError> {
    let mut module_path = None;
    let mut go_line = None;
    let mut toolchain = None;
    let mut heroku_go_version = None;
    let mut heroku_install = Vec::new();
    let mut tools = Vec::new();
    for directive in directives(contents) {
        let malformed = |problem| directive.malformed(path, problem);
        match (directive.keyword, directive.arguments.as_slice()) {
            ("+heroku", arguments) => {
                read_heroku_directive(arguments, &mut heroku_go_version, &mut heroku_install)
                    .map_err(malformed)?;
            }
            ("module", [value]) => module_path = Some(unquote(value)),
            ("module", _) => {
                return Err(malformed(String::from(
                    "`module` takes exactly one module path",
                )))
            }
            ("go", arguments) => go_line = Some(read_go_line(arguments).map_err(malformed)?),
            ("toolchain", arguments) => toolchain = read_toolchain(arguments).map_err(malformed)?,
            ("tool", [package]) => tools.push(unquote(package)),
            ("tool", _) => {
                return Err(malformed(String::from(
                    "`tool` takes exactly one package path, such as `tool golang.org/x/tools/cmd/stringer`",
                )))
            }
            _ => {}
        }
    }
    let module_path = module_path.ok_or_else(|| GoModError::NoModuleLine {
        path: path.to_path_buf(),
    })?;
    Ok(GoMod {
        module_path,
        go_line,
        toolchain,
        heroku_go_version,
        heroku_install,
        tools,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(contents: &str) -> Result<GoMod, GoModError> {
        parse_go_mod(contents, Path::new("go.mod"))
    }

    #[test]
    fn reads_module_go_and_toolchain() {
        let go_mod = parse(
            "module example.com/shop // the shop\n\ngo 1.25.0\n\ntoolchain go1.26.1\n\nrequire (\n\texample.com/greeting v1.1.0\n\tgo 1.99 // not a go line\n)\n",
        )
        .expect("parses");
        assert_eq!(go_mod.module_path, "example.com/shop");
        assert_eq!(
            go_mod.go_line.map(|v| v.to_string()).as_deref(),
            Some("1.25.0")
        );
        assert_eq!(
            go_mod.toolchain.map(|v| v.to_string()).as_deref(),
            Some("1.26.1")
        );
        assert!(go_mod.heroku_install.is_empty());
    }

    #[test]
    fn reads_tool_lines_and_blocks() {
        let go_mod = parse(
            "module m\ngo 1.24\ntool example.com/gen // generator\ntool (\n\t\"example.com/lint/cmd/lint\"\n\n\texample.com/other\n)\nrequire example.com/gen v1.0.0\n",
        )
        .expect("parses");
        assert_eq!(
            go_mod.tools,
            [
                "example.com/gen",
                "example.com/lint/cmd/lint",
                "example.com/other"
            ]
        );
        let error = parse("module m\ntool a b\n").expect_err("two paths");
        assert!(error
            .to_string()
            .contains("go.mod:2: `tool` takes exactly one package path"));
    }

    #[test]
    fn single_element_module_path_and_no_go_line() {
        let go_mod = parse("module myapp\n").expect("parses");
        assert_eq!(go_mod.module_path, "myapp");
        assert_eq!(go_mod.go_line, None);
        assert_eq!(go_mod.toolchain, None);
    }

    #[test]
    fn reads_heroku_comments() {
        let go_mod = parse(
            "// +heroku goVersion go1.25\n// +heroku install ./cmd/web ./cmd/worker\nmodule \"example.com/app\"\ngo 1.24\ntoolchain default\n",
        )
        .expect("parses");
        assert_eq!(go_mod.module_path, "example.com/app");
        assert_eq!(
            go_mod.heroku_go_version.map(|r| r.to_string()).as_deref(),
            Some("go1.25")
        );
        assert_eq!(go_mod.heroku_install, vec!["./cmd/web", "./cmd/worker"]);
        assert_eq!(go_mod.toolchain, None);
    }

    #[test]
    fn prerelease_go_line() {
        let go_mod = parse("module m\ngo 1.27rc1\n").expect("parses");
        assert_eq!(
            go_mod.go_line.map(|v| v.to_string()).as_deref(),
            Some("1.27rc1")
        );
    }

    #[test]
    fn custom_toolchain_suffix_names_its_release() {
        let go_mod = parse("module m\ntoolchain go1.26.3-corp\n").expect("parses");
        assert_eq!(
            go_mod.toolchain.map(|v| v.to_string()).as_deref(),
            Some("1.26.3")
        );
    }

    #[test]
    fn malformed_lines_name_file_and_line() {
        let cases = [
            ("module m\ngo one.two\n", 2, "`one.two` is not a Go version"),
            ("module m\n\ntoolchain 1.26\n", 3, "not a toolchain name"),
            ("module\n", 1, "exactly one module path"),
            (
                "module m\n// +heroku goVersion latest\n",
                2,
                "not a Go version requirement",
            ),
            ("module m\n// +heroku install\n", 2, "at least one package"),
            ("module m\ngo 1.25 1.26\n", 2, "exactly one version"),
        ];
        for (contents, expected_line, expected_problem) in cases {
            match parse(contents) {
                Err(GoModError::Malformed { line, problem, .. }) => {
                    assert_eq!(line, expected_line, "{contents}");
                    assert!(problem.contains(expected_problem), "{problem}");
                }
                other => panic!("expected a malformed-line error for {contents:?}, got {other:?}"),
            }
        }
    }

    #[test]
    fn missing_module_line_is_an_error() {
        assert!(matches!(
            parse("go 1.25\n"),
            Err(GoModError::NoModuleLine { .. })
        ));
    }
}
