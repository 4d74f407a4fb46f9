//! Which of the toolchain's own programs (`pkg/tool/<os>_<arch>/`) a build of the app runs.
//! `go install` runs the compiler, assembler, linker and cgo; `cover` only for `-cover` builds
//! and `preprofile` only for profile-guided optimization. The rest (vet, fix, the debuggers'
//! helpers) serve `go vet`, `go test`, `go fix` and `go tool`, which this buildpack never runs:
//! a toolchain installed for building alone leaves them out, about a fifth of its bytes, so
//! that every build restores and archives less.

use std::path::Path;

/// Programs no `go install` runs, whatever its flags.
const NEVER_RUN_BY_GO_INSTALL: [&str; 9] = [
    "addr2line",
    "doc",
    "fix",
    "nm",
    "objdump",
    "pprof",
    "test2json",
    "trace",
    "vet",
];

/// The programs of a coverage build (`-cover`, `-coverpkg`, `-covermode`).
const COVERAGE: [&str; 2] = ["cover", "covdata"];

/// The program of profile-guided optimization (`-pgo`, by default a `default.pgo` file).
const PGO: &str = "preprofile";

/// The toolchain programs a build of the app can leave out, sorted: none when a later
/// buildpack of the build requires `go` (it may run any go command), otherwise those of
/// [`NEVER_RUN_BY_GO_INSTALL`] and, unless GOFLAGS or the app asks for them, coverage and PGO.
pub(crate) fn left_out_tools(
    goflags: &[String],
    app_dir: &Path,
    later_buildpack_requires_go: bool,
) -> Vec<String> {
    if later_buildpack_requires_go {
        return Vec::new();
    }
    let mut left_out: Vec<&str> = NEVER_RUN_BY_GO_INSTALL.to_vec();
    let flag_names: Vec<&str> = goflags
        .iter()
        .map(|flag| {
            let name = flag.trim_start_matches('-');
            name.split_once('=').map_or(name, |(name, _)| name)
        })
        .collect();
    if !flag_names.iter().any(|name| name.starts_with("cover")) {
        left_out.extend(COVERAGE);
    }
    if !uses_pgo(goflags, app_dir) {
        left_out.push(PGO);
    }
    left_out.sort_unstable();
    left_out.into_iter().map(String::from).collect()
}

/// Whether `go install` may optimize with a profile: `-pgo=<file>` in GOFLAGS, or by default
/// (`-pgo=auto`) a `default.pgo` beside a main package; any `default.pgo` of the app counts.
fn uses_pgo(goflags: &[String], app_dir: &Path) -> bool {
    let pgo = goflags.iter().rev().find_map(|flag| {
        flag.trim_start_matches('-')
            .strip_prefix("pgo=")
            .map(str::to_string)
    });
    match pgo.as_deref() {
        Some("off") => false,
        Some(file) if file != "auto" => true,
        _ => has_default_pgo(app_dir),
    }
}

/// Whether a `default.pgo` file is anywhere in the app (hidden directories and links aside).
fn has_default_pgo(app_dir: &Path) -> bool {
    let mut dirs = vec![app_dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() && !name.to_string_lossy().starts_with('.') {
                dirs.push(entry.path());
            } else if kind.is_file() && name == "default.pgo" {
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(words: &[&str]) -> Vec<String> {
        words.iter().map(|word| (*word).to_string()).collect()
    }

    #[test]
    fn a_plain_build_leaves_out_every_tool_go_install_does_not_run() {
        let app = tempfile::tempdir().expect("tempdir");
        assert_eq!(
            left_out_tools(&[], app.path(), false),
            [
                "addr2line",
                "covdata",
                "cover",
                "doc",
                "fix",
                "nm",
                "objdump",
                "pprof",
                "preprofile",
                "test2json",
                "trace",
                "vet"
            ]
        );
    }

    #[test]
    fn coverage_and_pgo_flags_keep_their_tools() {
        let app = tempfile::tempdir().expect("tempdir");
        for goflags in [
            &["-cover"][..],
            &["--coverpkg=./..."],
            &["-covermode=atomic"],
        ] {
            let left_out = left_out_tools(&flags(goflags), app.path(), false);
            assert!(!left_out.contains(&String::from("cover")), "{goflags:?}");
            assert!(!left_out.contains(&String::from("covdata")), "{goflags:?}");
        }
        let left_out = left_out_tools(&flags(&["-pgo=/workspace/cpu.pprof"]), app.path(), false);
        assert!(!left_out.contains(&String::from("preprofile")));
        // `-coverprofile` is a test flag, but keeping the tool for it costs only bytes.
        let left_out = left_out_tools(&flags(&["-trimpath", "-pgo=auto"]), app.path(), false);
        assert!(left_out.contains(&String::from("preprofile")));
        assert!(left_out.contains(&String::from("cover")));
    }

    #[test]
    fn a_default_pgo_beside_a_main_package_keeps_preprofile_unless_pgo_is_off() {
        let app = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(app.path().join("cmd/web")).expect("mkdir");
        std::fs::write(app.path().join("cmd/web/default.pgo"), "profile").expect("write");
        assert!(!left_out_tools(&[], app.path(), false).contains(&String::from("preprofile")));
        assert!(left_out_tools(&flags(&["-pgo=off"]), app.path(), false)
            .contains(&String::from("preprofile")));
        // The last -pgo wins, as in the go command.
        assert!(
            !left_out_tools(&flags(&["-pgo=off", "-pgo=auto"]), app.path(), false)
                .contains(&String::from("preprofile"))
        );
    }

    #[test]
    fn a_later_buildpack_that_requires_go_gets_every_tool() {
        let app = tempfile::tempdir().expect("tempdir");
        assert!(left_out_tools(&[], app.path(), true).is_empty());
    }
}
