//! Set-up of the end-to-end tests: the packaged buildpack and the real CNB lifecycle (both
//! once per test binary), and per test its own app copy, platform (build cache, layout
//! repository, sandbox roots) and local services (so request counts belong to one test).
//!
//! These helpers assert: a failure panics with what went wrong, as a test wants.
#![allow(clippy::missing_panics_doc)]

use crate::go_binary::go_version_of_file;
use crate::{
    cnb_lifecycle, free_port, package_buildpack, wait_for_http, workspace_root, BuildReport,
    InstalledLifecycle, LocalServices, PackagedBuildpack, Platform, RunningProcess,
};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

pub fn buildpack() -> &'static PackagedBuildpack {
    static BUILDPACK: OnceLock<PackagedBuildpack> = OnceLock::new();
    BUILDPACK.get_or_init(|| package_buildpack(&workspace_root()).expect("packaging the buildpack"))
}

pub fn lifecycle() -> &'static InstalledLifecycle {
    static LIFECYCLE: OnceLock<InstalledLifecycle> = OnceLock::new();
    LIFECYCLE.get_or_init(|| {
        cnb_lifecycle::install(&workspace_root()).expect("installing the CNB lifecycle")
    })
}

pub struct TestApp {
    pub dir: tempfile::TempDir,
    pub platform: Platform,
    pub services: LocalServices,
}

/// Copies `test-fixtures/<fixture>` so the test may edit it.
#[must_use]
pub fn app(fixture: &str) -> TestApp {
    app_with(fixture, |platform| platform)
}

pub fn app_with(fixture: &str, configure: impl FnOnce(Platform) -> Platform) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = workspace_root().join("test-fixtures").join(fixture);
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(&source)
        .arg(dir.path().join("app"))
        .status()
        .expect("cp");
    assert!(status.success(), "copy {}", source.display());
    let services = LocalServices::start(&workspace_root(), &dir.path().join("services"))
        .expect("local services");
    let platform = configure(
        Platform::new(&dir.path().join("platform"), buildpack(), lifecycle()).expect("platform"),
    );
    TestApp {
        dir,
        platform,
        services,
    }
}

impl TestApp {
    pub fn source(&self) -> PathBuf {
        self.dir.path().join("app")
    }

    pub fn write(&self, relative: &str, contents: &str) {
        std::fs::write(self.source().join(relative), contents).expect("write app file");
    }

    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.source().join(relative)).expect("read app file")
    }

    /// Builds with the services' platform env plus `extra`.
    pub fn build(&self, extra: &[(&str, &str)]) -> BuildReport {
        let mut env = self.services.platform_env();
        for (key, value) in extra {
            env.retain(|(k, _)| k != key);
            env.push(((*key).to_string(), (*value).to_string()));
        }
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        self.platform.build(&self.source(), &env).expect("platform")
    }

    pub fn build_ok(&self, extra: &[(&str, &str)]) -> BuildReport {
        let report = self.build(extra);
        assert!(report.succeeded, "build failed:\n{}", report.log);
        assert!(
            report.home_entries.is_empty(),
            "the build wrote outside its layers, into HOME: {:?}",
            report.home_entries
        );
        self.assert_binaries_built_with_resolved_go(&report);
        report
    }

    /// Every binary of the image reports the Go release the buildpack resolved (and so never
    /// the machine's own Go).
    pub fn assert_binaries_built_with_resolved_go(&self, report: &BuildReport) {
        let log = plain(&report.log);
        let resolved = log
            .lines()
            .find_map(|line| line.split("Resolved Go `").nth(1))
            .and_then(|rest| rest.split('`').next())
            .unwrap_or_else(|| panic!("no resolved Go version in:\n{log}"));
        let image = self.platform.unpack_image().expect("unpack image");
        let bin = image.join("layers/gocnb_go/target/bin");
        let binaries = std::fs::read_dir(&bin).expect("target/bin in the image");
        let mut count = 0;
        for entry in binaries {
            let path = entry.expect("entry").path();
            // After the version come the experiments it was built with (`go1.25.5 X:jsonv2`).
            assert_eq!(
                go_version_of_file(&path)
                    .as_deref()
                    .and_then(|version| version.split(' ').next()),
                Some(format!("go{resolved}").as_str()),
                "{} was not built with the resolved Go {resolved}",
                path.display()
            );
            count += 1;
        }
        assert!(count > 0, "no binaries in the image");
    }

    /// Asserts the exported image's processes: type and whether it is the default, by type.
    pub fn assert_processes(&self, expected: &[(&str, bool)]) {
        let processes = self.platform.processes().expect("processes");
        let types: Vec<(&str, bool)> = processes
            .iter()
            .map(|p| (p.process_type.as_str(), p.default))
            .collect();
        assert_eq!(types, expected);
    }

    /// The names of the binaries in the exported image.
    pub fn image_binaries(&self) -> std::collections::BTreeSet<String> {
        let image = self.platform.unpack_image().expect("unpack image");
        std::fs::read_dir(image.join("layers/gocnb_go/target/bin"))
            .expect("target/bin in the image")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect()
    }

    pub fn build_fails(&self, extra: &[(&str, &str)]) -> BuildReport {
        let report = self.build(extra);
        assert!(!report.succeeded, "build should fail:\n{}", report.log);
        report
    }

    /// Launches a web process with a fresh PORT and waits until it answers `/`; returns the
    /// process, its port and the answer.
    pub fn serve(&self, process: Option<&str>) -> (RunningProcess, u16, String) {
        let port = free_port().expect("port");
        let port_text = port.to_string();
        let running = self
            .platform
            .launch(process, &[], &[("PORT", port_text.as_str())])
            .expect("launch");
        match wait_for_http(port, "/", Duration::from_secs(30)) {
            Ok(response) => {
                assert_eq!(response.status, 200, "{}", response.body);
                (running, port, response.body)
            }
            Err(error) => panic!("the app did not answer: {error}\n{}", running.output()),
        }
    }

    /// [`Self::serve`] without the port.
    pub fn get(&self, process: Option<&str>) -> (RunningProcess, String) {
        let (running, _, body) = self.serve(process);
        (running, body)
    }

    /// Runs a process to completion and returns its output.
    pub fn run_to_exit(&self, process: Option<&str>) -> String {
        self.run_with_args(process, &[])
    }

    /// Runs a process with arguments appended to its own, to completion; returns its output.
    pub fn run_with_args(&self, process: Option<&str>, args: &[&str]) -> String {
        let mut running = self.platform.launch(process, args, &[]).expect("launch");
        // Long enough for `go vet` of a web app from a cold build cache in the container.
        let code = running.wait_for_exit(Duration::from_mins(5));
        assert_eq!(code, Some(0), "process output:\n{}", running.output());
        running.output()
    }
}

/// The build log without colour codes.
#[must_use]
pub fn plain(log: &str) -> String {
    let mut out = String::with_capacity(log.len());
    let mut chars = log.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for next in chars.by_ref() {
                if next.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

pub fn assert_contains(log: &str, expected: &str) {
    let log = plain(log);
    assert!(log.contains(expected), "expected {expected:?} in:\n{log}");
}
