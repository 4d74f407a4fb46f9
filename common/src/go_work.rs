//! The `go.work` file: its `go`/`toolchain` lines (they decide the Go version in workspace mode)
//! and its `use` lines (every used module's packages are built).

use crate::go_mod::{directives, read_go_line, read_toolchain, unquote, GoModError};
use crate::go_version::GoVersion;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoWork {
    /// Where it is, as shown to users (`go.work`, or GOWORK's value).
    pub path: PathBuf,
    pub go_line: Option<GoVersion>,
    pub toolchain: Option<GoVersion>,
    /// The module directories of the `use` lines, as written (`.`, `./tools/admin`).
    pub uses: Vec<String>,
}

impl GoWork {
    /// `go install` patterns for every package of the used modules (`./...` only matches the
    /// module in the current directory, even in workspace mode).
    #[must_use]
    pub fn package_patterns(&self) -> Vec<String> {
        self.uses
            .iter()
            .map(|dir| {
                let dir = dir.trim_end_matches('/');
                if dir == "." {
                    String::from("./...")
                } else if dir.starts_with("./") || dir.starts_with("../") || dir.starts_with('/') {
                    format!("{dir}/...")
                } else {
                    format!("./{dir}/...")
                }
            })
            .collect()
    }
}

/// Parses go.work text; `path` names the file in errors.
///
/// # Errors
/// A `go`, `toolchain` or `use` line is malformed (naming it).
pub fn parse_go_work(contents: &str, path: &Path) -> Result<GoWork, GoModError> {
    let mut work = GoWork {
        path: path.to_path_buf(),
        go_line: None,
        toolchain: None,
        uses: Vec::new(),
    };
    for directive in directives(contents) {
        let malformed = |problem| directive.malformed(path, problem);
        match (directive.keyword, directive.arguments.as_slice()) {
            ("go", arguments) => work.go_line = Some(read_go_line(arguments).map_err(malformed)?),
            ("toolchain", arguments) => {
                work.toolchain = read_toolchain(arguments).map_err(malformed)?;
            }
            ("use", [dir]) => work.uses.push(unquote(dir)),
            ("use", _) => {
                return Err(malformed(String::from(
                    "`use` takes one module directory, such as `use ./tools`",
                )))
            }
            _ => {}
        }
    }
    Ok(work)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_go_toolchain_and_use_lines() {
        let work = parse_go_work(
            "go 1.25.0 // workspace\n\ntoolchain go1.26.2\n\nuse (\n\t.\n\t./lib // shared\n\t\"./tools/admin\"\n)\n\nuse ./extra\n\nreplace (\n\texample.com/x => ./x\n)\n",
            Path::new("go.work"),
        )
        .expect("parses");
        assert_eq!(work.go_line, Some("1.25.0".parse().expect("version")));
        assert_eq!(work.toolchain, Some("1.26.2".parse().expect("version")));
        assert_eq!(work.uses, [".", "./lib", "./tools/admin", "./extra"]);
        assert_eq!(
            work.package_patterns(),
            ["./...", "./lib/...", "./tools/admin/...", "./extra/..."]
        );
    }

    #[test]
    fn a_bad_go_line_names_the_file_and_line() {
        let error = parse_go_work("go 1.x\n", Path::new("go.work")).expect_err("malformed");
        assert!(
            matches!(&error, GoModError::Malformed { path, line: 1, .. } if path == Path::new("go.work")),
            "{error:?}"
        );
    }
}
