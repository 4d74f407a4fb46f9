//! Workspace mode: a `go.work` at the root of the app (or the file `GOWORK` names; `GOWORK=off`
//! turns it off) makes the modules it `use`s main modules together. The buildpack reads its
//! `go`/`toolchain` lines (they decide the Go version in workspace mode) and its `use` lines
//! (every used module's packages are built).

use go_cnb_common::go_mod::GoModError;
use go_cnb_common::go_work::{parse_go_work, GoWork};
use libcnb::Env;
use std::path::{Path, PathBuf};

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

#[cfg(test)]
mod tests {
    use super::*;

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
