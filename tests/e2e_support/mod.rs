//! Shared set-up of the end-to-end tests: the packaged buildpack (built once per test binary),
//! and per test its own app copy, lifecycle root and local services (so request counts belong
//! to one test).

#![allow(dead_code, unreachable_pub)]

use e2e_harness::{
    free_port, package_buildpack, wait_for_http, BuildReport, Lifecycle, LocalServices,
    PackagedBuildpack, RunningProcess,
};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn buildpack() -> &'static PackagedBuildpack {
    static BUILDPACK: OnceLock<PackagedBuildpack> = OnceLock::new();
    BUILDPACK.get_or_init(|| package_buildpack(&workspace_root()).expect("packaging the buildpack"))
}

pub struct TestApp {
    pub dir: tempfile::TempDir,
    pub lifecycle: Lifecycle,
    pub services: LocalServices,
}

/// Copies `test-fixtures/<fixture>` so the test may edit it.
pub fn app(fixture: &str) -> TestApp {
    app_with(fixture, |lifecycle| lifecycle)
}

pub fn app_with(fixture: &str, configure: impl FnOnce(Lifecycle) -> Lifecycle) -> TestApp {
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
    let lifecycle =
        configure(Lifecycle::new(&dir.path().join("lifecycle"), buildpack()).expect("lifecycle"));
    TestApp {
        dir,
        lifecycle,
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
        self.lifecycle.build(&self.source(), &env).expect("runner")
    }

    pub fn build_ok(&self, extra: &[(&str, &str)]) -> BuildReport {
        let report = self.build(extra);
        assert!(report.succeeded, "build failed:\n{}", report.log);
        assert!(
            report.home_entries.is_empty(),
            "the build wrote outside its layers, into HOME: {:?}",
            report.home_entries
        );
        report
    }

    pub fn build_fails(&self, extra: &[(&str, &str)]) -> BuildReport {
        let report = self.build(extra);
        assert!(!report.succeeded, "build should fail:\n{}", report.log);
        report
    }

    /// Launches a web process with a fresh PORT and waits until it answers `/`.
    pub fn get(&self, process: Option<&str>) -> (RunningProcess, String) {
        let port = free_port().expect("port");
        let port_text = port.to_string();
        let running = self
            .lifecycle
            .launch(process, &[("PORT", port_text.as_str())])
            .expect("launch");
        match wait_for_http(port, "/", Duration::from_secs(30)) {
            Ok(response) => {
                assert_eq!(response.status, 200, "{}", response.body);
                (running, response.body)
            }
            Err(error) => panic!("the app did not answer: {error}\n{}", running.output()),
        }
    }

    /// Runs a process to completion and returns its output.
    pub fn run_to_exit(&self, process: Option<&str>) -> String {
        let mut running = self.lifecycle.launch(process, &[]).expect("launch");
        let code = running.wait_for_exit(Duration::from_secs(30));
        assert_eq!(code, Some(0), "process output:\n{}", running.output());
        running.output()
    }
}

/// The build log without colour codes.
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
