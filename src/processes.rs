//! The launch processes: one per binary, named after it, `web` the default.

use bullet_stream::global::print;
use bullet_stream::style;
use libcnb::data::launch::{Launch, LaunchBuilder, Process, ProcessBuilder, WorkingDirectory};
use std::path::Path;

pub(crate) struct ProcessPlan {
    pub(crate) processes: Vec<Process>,
    /// Binaries whose names are not valid process types, so not registered.
    pub(crate) skipped: Vec<String>,
}

/// One process per binary in `gobin`, named after it. `web` is the default; a lone binary is
/// also registered as `web`. The processes start in `working_dir` when given (the app's
/// directory in GOPATH).
pub(crate) fn plan_processes(
    binaries: &[String],
    gobin: &Path,
    working_dir: Option<&Path>,
) -> ProcessPlan {
    let process = |process_type: &str, binary: &str| {
        let mut builder = ProcessBuilder::new(
            process_type.parse().ok()?,
            [gobin.join(binary).display().to_string()],
        );
        builder.default(process_type == "web");
        if let Some(dir) = working_dir {
            builder.working_directory(WorkingDirectory::Directory(dir.to_path_buf()));
        }
        Some(builder.build())
    };
    let mut plan = ProcessPlan {
        processes: Vec::new(),
        skipped: Vec::new(),
    };
    for binary in binaries {
        match process(binary, binary) {
            Some(registered) => plan.processes.push(registered),
            None => plan.skipped.push(binary.clone()),
        }
    }
    if let ([only], false) = (binaries, binaries.iter().any(|binary| binary == "web")) {
        plan.processes
            .extend(process("web", only).filter(|_| plan.skipped.is_empty()));
    }
    plan
}

/// Says which processes are registered, and warns about binaries left out and a missing
/// default.
pub(crate) fn describe_processes(plan: &ProcessPlan) {
    for process in &plan.processes {
        print::sub_bullet(format!(
            "{}: {}{}",
            style::value(process.r#type.to_string()),
            style::command(process.command.join(" ")),
            if process.default { " (default)" } else { "" }
        ));
    }
    for binary in &plan.skipped {
        print::warning(format!(
            "The binary `{binary}` is not registered as a process: process names may only contain letters, digits, `.`, `_` and `-`. Run it from a Procfile instead."
        ));
    }
    if !plan.processes.is_empty() && !plan.processes.iter().any(|process| process.default) {
        print::warning(
            "None of the binaries is named `web`, so the image has no default process.\n\
             Choose one of: name the package for the web server `web` (for example cmd/web), \
             add a Procfile with a `web:` line, or set GO_INSTALL_PACKAGE_SPEC to the one package to build.",
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
        plan_processes(&binaries, Path::new("/layers/target/bin"), None)
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
        let lone = plan_processes(&[String::from("tool+x")], Path::new("/bin"), None);
        assert!(lone.processes.is_empty());
    }

    #[test]
    fn processes_start_in_the_working_directory_when_given() {
        let plan = plan_processes(
            &[String::from("web")],
            Path::new("/bin"),
            Some(Path::new("/layers/gopath/src/example.com/app")),
        );
        assert_eq!(
            plan.processes[0].working_directory,
            WorkingDirectory::Directory("/layers/gopath/src/example.com/app".into())
        );
    }
}
