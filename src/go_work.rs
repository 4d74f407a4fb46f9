//! Workspace mode: a `go.work` at the root of the app (or the file `GOWORK` names; `GOWORK=off`
//! turns it off) makes the modules it `use`s main modules together. The buildpack reads its
//! `go`/`toolchain` lines (they decide the Go version in workspace mode) and its `use` lines
//! (every used module's packages are built).

use crate::go_mod::{directives, read_go_line, read_toolchain, unquote, GoModError};
use go_cnb_common::go_version::GoVersion;
use libcnb::Env;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GoWork {
    /// Where it is, as shown to users (`go.work`, or GOWORK's value).
    pub(crate) path: PathBuf,
    pub(crate) go_line: Option<GoVersion>,
    pub(crate) toolchain: Option<GoVersion>,
    /// The module directories of the `use` lines, as written (`.`, `./tools/admin`).
    pub(crate) uses: Vec<String>,
}

impl GoWork {
    /// `go install` patterns for every package of the used modules (`./...` only matches the
    /// module in the current directory, even in workspace mode).
    pub(crate) fn package_patterns(&self) -> Vec<String> {
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

/// Whether workspace mode applies, as the go command decides it, and the workspace file read.
pub(crate) enum WorkspaceMode {
    /// No go.work: module mode.
    Absent,
    /// A go.work, turned off with `GOWORK=off`.
    TurnedOff,
    On(GoWork),
}

impl WorkspaceMode {
    /// The workspace file, when workspace mode is on.
    pub(crate) fn go_work(&self) -> Option<&GoWork> {
        match self {
            WorkspaceMode::On(work) => Some(work),
            WorkspaceMode::Absent | WorkspaceMode::TurnedOff => None,
        }
    }
}

pub(crate) fn read_workspace(app_dir: &Path, env: &Env) -> Result<WorkspaceMode, GoModError> {
    let (path, shown) = match env.get_string_lossy("GOWORK").as_deref().map(str::trim) {
        Some("off") => {
            return Ok(if app_dir.join("go.work").is_file() {
                WorkspaceMode::TurnedOff
            } else {
                WorkspaceMode::Absent
            })
        }
        Some(file) if !file.is_empty() => (app_dir.join(file), PathBuf::from(file)),
        _ => (app_dir.join("go.work"), PathBuf::from("go.work")),
    };
    if !path.is_file() {
        return Ok(WorkspaceMode::Absent);
    }
    let contents = std::fs::read_to_string(&path).map_err(|source| GoModError::Read {
        path: shown.clone(),
        source,
    })?;
    parse_go_work(&contents, &shown).map(WorkspaceMode::On)
}

pub(crate) fn parse_go_work(contents: &str, path: &Path) -> Result<GoWork, GoModError> {
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

    #[test]
    fn gowork_off_and_a_missing_file_mean_module_mode() {
        let app = tempfile::tempdir().expect("tempdir");
        let mut env = Env::new();
        assert!(matches!(
            read_workspace(app.path(), &env),
            Ok(WorkspaceMode::Absent)
        ));
        std::fs::write(app.path().join("go.work"), "go 1.25.0\n\nuse .\n").expect("write");
        assert!(matches!(
            read_workspace(app.path(), &env),
            Ok(WorkspaceMode::On(work)) if work.uses == ["."]
        ));
        env.insert("GOWORK", "off");
        assert!(matches!(
            read_workspace(app.path(), &env),
            Ok(WorkspaceMode::TurnedOff)
        ));
    }
}
