//! The launch processes: one per binary, named after it, and one per Procfile line, which wins
//! over a binary of the same name; `web` the default.
//!
//! The Procfile is read here, not left to a Procfile buildpack, because a build may have none
//! (`pack build --buildpack <this buildpack>`): the image would have no process. A Procfile
//! buildpack later in the build registers the same types, which replace these (the CNB spec
//! lets a later buildpack's process replace an earlier one's of the same type).

use bullet_stream::global::print;
use bullet_stream::style;
use go_cnb_common::procfile::{parse_procfile, plain_words, ProcfileEntry, ProcfileError};
use libcnb::data::launch::{Launch, LaunchBuilder, Process, ProcessBuilder, WorkingDirectory};
use std::path::{Path, PathBuf};

#[derive(Debug)]
pub(crate) enum ProcfileReadError {
    Unreadable(PathBuf, std::io::Error),
    Malformed(PathBuf, ProcfileError),
}

/// The entries of the app's Procfile; none without one.
pub(crate) fn read_procfile(app_dir: &Path) -> Result<Vec<ProcfileEntry>, ProcfileReadError> {
    let path = app_dir.join("Procfile");
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let text = std::fs::read_to_string(&path)
        .map_err(|error| ProcfileReadError::Unreadable(path.clone(), error))?;
    parse_procfile(&text).map_err(|error| ProcfileReadError::Malformed(path, error))
}

pub(crate) struct ProcessPlan {
    pub(crate) processes: Vec<Process>,
    /// Binaries whose names are not valid process types, so not registered.
    pub(crate) skipped: Vec<String>,
    /// Binaries whose process a Procfile line of the same type replaced.
    pub(crate) replaced: Vec<String>,
}

/// One process per binary in `gobin`, named after it, and one per Procfile entry (a command
/// without shell syntax runs directly, any other through `bash -c`, as on Heroku). The default
/// is the Procfile's `web`, or its only entry; without those, the binary `web`, or a lone
/// binary, which is also registered as `web`. The processes start in `working_dir` when given
/// (the app's directory in GOPATH).
pub(crate) fn plan_processes(
    binaries: &[String],
    gobin: &Path,
    working_dir: Option<&Path>,
    procfile: &[ProcfileEntry],
) -> ProcessPlan {
    let build = |process_type: &str, command: Vec<String>| {
        let mut builder = ProcessBuilder::new(process_type.parse().ok()?, command);
        if let Some(dir) = working_dir {
            builder.working_directory(WorkingDirectory::Directory(dir.to_path_buf()));
        }
        Some(builder.build())
    };
    let binary_process = |process_type: &str, binary: &str| {
        build(process_type, vec![gobin.join(binary).display().to_string()])
    };
    let in_procfile = |process_type: &str| procfile.iter().any(|e| e.process_type == process_type);
    let mut plan = ProcessPlan {
        processes: Vec::new(),
        skipped: Vec::new(),
        replaced: Vec::new(),
    };
    for binary in binaries {
        if in_procfile(binary) {
            plan.replaced.push(binary.clone());
            continue;
        }
        match binary_process(binary, binary) {
            Some(registered) => plan.processes.push(registered),
            None => plan.skipped.push(binary.clone()),
        }
    }
    if let ([only], false) = (binaries, binaries.iter().any(|binary| binary == "web")) {
        if plan.skipped.is_empty() && !in_procfile("web") {
            plan.processes.extend(binary_process("web", only));
        }
    }
    for entry in procfile {
        let command = plain_words(&entry.command).unwrap_or_else(|| {
            vec![
                String::from("bash"),
                String::from("-c"),
                entry.command.clone(),
            ]
        });
        // The parser only lets valid process types through.
        plan.processes.extend(build(&entry.process_type, command));
    }
    let default_type = match procfile {
        [only] => Some(only.process_type.as_str()),
        _ if in_procfile("web") || plan.processes.iter().any(|p| p.r#type.as_str() == "web") => {
            Some("web")
        }
        _ => None,
    };
    for process in &mut plan.processes {
        process.default = Some(process.r#type.as_str()) == default_type;
    }
    plan
}

/// Says which processes are registered, and warns about binaries left out and a missing
/// default.
pub(crate) fn describe_processes(plan: &ProcessPlan, procfile: &[ProcfileEntry]) {
    if !procfile.is_empty() {
        print::sub_bullet(
            "Registering the Procfile's processes too, so the image starts without a Procfile buildpack (one later in the build replaces them with its own)",
        );
    }
    for process in &plan.processes {
        let from_procfile = procfile
            .iter()
            .any(|e| e.process_type == process.r#type.as_str());
        print::sub_bullet(format!(
            "{}: {}{}{}",
            style::value(process.r#type.to_string()),
            style::command(process.command.join(" ")),
            if from_procfile { " (Procfile)" } else { "" },
            if process.default { " (default)" } else { "" }
        ));
    }
    for binary in &plan.replaced {
        print::sub_bullet(format!(
            "The Procfile defines `{binary}`, so the binary `{binary}` gets no process of its own"
        ));
    }
    for binary in &plan.skipped {
        print::warning(format!(
            "The binary `{binary}` is not registered as a process: process names may only contain letters, digits, `.`, `_` and `-`. Run it from a Procfile instead."
        ));
    }
    if !plan.processes.is_empty() && !plan.processes.iter().any(|process| process.default) {
        print::warning(
            "None of the processes is named `web`, so the image has no default process.\n\
             Choose one of: name the package for the web server `web` (for example cmd/web), \
             add a `web:` line to the Procfile, or set GO_INSTALL_PACKAGE_SPEC to the one package to build.",
        );
    }
}

pub(crate) fn launch(plan: ProcessPlan) -> Launch {
    LaunchBuilder::new().processes(plan.processes).build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(binaries: &[&str]) -> ProcessPlan {
        let binaries: Vec<String> = binaries.iter().map(ToString::to_string).collect();
        plan_processes(&binaries, Path::new("/layers/target/bin"), None, &[])
    }

    fn with_procfile(binaries: &[&str], procfile: &str) -> ProcessPlan {
        let binaries: Vec<String> = binaries.iter().map(ToString::to_string).collect();
        let procfile = parse_procfile(procfile).expect("Procfile");
        plan_processes(&binaries, Path::new("/layers/target/bin"), None, &procfile)
    }

    /// (process type, command, default) of each process.
    fn summary(plan: &ProcessPlan) -> Vec<(String, String, bool)> {
        plan.processes
            .iter()
            .map(|p| (p.r#type.to_string(), p.command.join(" "), p.default))
            .collect()
    }

    fn process(process_type: &str, binary: &str, default: bool) -> (String, String, bool) {
        (
            process_type.to_string(),
            format!("/layers/target/bin/{binary}"),
            default,
        )
    }

    #[test]
    fn a_lone_binary_is_also_web_and_the_default() {
        assert_eq!(
            summary(&plan(&["myapp"])),
            vec![
                process("myapp", "myapp", false),
                process("web", "myapp", true)
            ]
        );
    }

    #[test]
    fn a_lone_web_binary_is_registered_once() {
        assert_eq!(summary(&plan(&["web"])), vec![process("web", "web", true)]);
    }

    #[test]
    fn web_is_the_default_among_several() {
        assert_eq!(
            summary(&plan(&["web", "worker"])),
            vec![
                process("web", "web", true),
                process("worker", "worker", false)
            ]
        );
    }

    #[test]
    fn several_without_web_have_no_default() {
        let plan = plan(&["api", "worker"]);
        assert_eq!(plan.processes.len(), 2);
        assert!(plan.processes.iter().all(|p| !p.default));
    }

    #[test]
    fn invalid_names_are_skipped() {
        let plan = plan(&["web", "tool+x"]);
        assert_eq!(plan.skipped, vec!["tool+x"]);
        assert_eq!(summary(&plan), vec![process("web", "web", true)]);
        // A lone binary with an invalid name is not registered as `web` either.
        let lone = plan_processes(&[String::from("tool+x")], Path::new("/bin"), None, &[]);
        assert!(lone.processes.is_empty());
    }

    #[test]
    fn processes_start_in_the_working_directory_when_given() {
        let plan = plan_processes(
            &[String::from("web")],
            Path::new("/bin"),
            Some(Path::new("/layers/gopath/src/example.com/app")),
            &[],
        );
        assert_eq!(
            plan.processes[0].working_directory,
            WorkingDirectory::Directory("/layers/gopath/src/example.com/app".into())
        );
    }

    fn entry(process_type: &str, command: &str, default: bool) -> (String, String, bool) {
        (process_type.to_string(), command.to_string(), default)
    }

    #[test]
    fn the_procfile_web_is_the_default_and_replaces_a_binary_of_its_name() {
        let plan = with_procfile(
            &["web", "worker"],
            "web: web -port $PORT\nrelease: migrate up\n",
        );
        assert_eq!(
            summary(&plan),
            vec![
                process("worker", "worker", false),
                entry("web", "bash -c web -port $PORT", true),
                entry("release", "migrate up", false),
            ]
        );
        assert_eq!(plan.replaced, vec!["web"]);
    }

    #[test]
    fn a_procfile_with_one_entry_makes_it_the_default() {
        let plan = with_procfile(&["myapp"], "worker: myapp --queue jobs\n");
        assert_eq!(
            summary(&plan),
            vec![
                process("myapp", "myapp", false),
                process("web", "myapp", false),
                entry("worker", "myapp --queue jobs", true),
            ]
        );
    }

    #[test]
    fn without_a_procfile_web_a_web_binary_stays_the_default() {
        let plan = with_procfile(&["web"], "worker: a\nclock: b\n");
        assert_eq!(
            summary(&plan),
            vec![
                process("web", "web", true),
                entry("worker", "a", false),
                entry("clock", "b", false),
            ]
        );
    }

    #[test]
    fn a_lone_binary_is_not_web_when_the_procfile_defines_web() {
        let plan = with_procfile(&["miniflux.app"], "web: miniflux.app\n");
        assert_eq!(
            summary(&plan),
            vec![
                process("miniflux.app", "miniflux.app", false),
                entry("web", "miniflux.app", true),
            ]
        );
    }
}
