//! End-to-end: Go in the launched container (`GO_SETUP_GOPATH_IN_IMAGE` with and without
//! `GO_INSTALL_TOOLS_IN_IMAGE`): the workspace, the processes' directory, and go commands that
//! build and test the app there without downloads.

mod e2e_support;

use e2e_harness::platform::LAUNCHER_COMMAND;
use e2e_support::{app, assert_contains, plain, TestApp};
use std::time::Duration;

const MODULE_DIR: &str = "/layers/gocnb_go/gopath/src/example.test/withdep";

/// with-dependency answering with its GOPATH and whether it runs in its GOPATH directory, and
/// with a test of its own.
fn workspace_reporting_app() -> TestApp {
    let app = app("with-dependency");
    app.write(
        "main.go",
        &app.read("main.go").replace(
            "fmt.Fprintln(w, banner.For(\"with-dependency\"))",
            "here, _ := os.Stat(\".\")\n\t\tinGopath, _ := os.Stat(os.Getenv(\"GOPATH\") + \"/src/example.test/withdep\")\n\t\t\
             fmt.Fprintln(w, banner.For(\"with-dependency\"), os.Getenv(\"GOPATH\"), here != nil && inGopath != nil && os.SameFile(here, inGopath))",
        ),
    );
    app.write(
        "main_test.go",
        "package main\n\nimport (\n\t\"testing\"\n\n\t\"example.test/banner\"\n)\n\n\
         func TestBanner(t *testing.T) {\n\tif banner.For(\"x\") == \"\" {\n\t\tt.Fatal(\"empty banner\")\n\t}\n}\n",
    );
    app
}

fn run_in_container(app: &TestApp, script: &str) -> String {
    // GOPROXY=off: whatever the go commands need must already be in the image.
    let mut running = app
        .platform
        .launch(
            Some(LAUNCHER_COMMAND),
            &["sh", "-c", script],
            &[("GOPROXY", "off")],
        )
        .expect("launch");
    let code = running.wait_for_exit(Duration::from_secs(300));
    assert_eq!(code, Some(0), "output:\n{}", running.output());
    running.output()
}

#[test]
fn with_the_toolchain_the_image_holds_a_go_workspace_that_builds_and_tests_offline() {
    let app = workspace_reporting_app();
    let report = app.build_ok(&[
        ("GO_SETUP_GOPATH_IN_IMAGE", "true"),
        ("GO_INSTALL_TOOLS_IN_IMAGE", "true"),
    ]);
    assert_contains(
        &report.log,
        "- Go workspace in the image\n  \
         - GOPATH=/layers/gocnb_go/gopath, with the app at $GOPATH/src/example.test/withdep; processes start there\n  \
         - The module cache is in the image as well: go commands in the container build the app without downloads\n",
    );
    assert_eq!(
        report.image_layers,
        vec!["go-dist", "go-modules", "gopath", "target"]
    );
    for process in app.platform.processes().expect("processes") {
        assert_eq!(
            process.working_dir.as_deref(),
            Some(MODULE_DIR),
            "{process:?}"
        );
    }
    let (_web, body) = app.get(None);
    assert_eq!(
        body,
        "*** hello, with-dependency (greeting v1.1.0) *** /layers/gocnb_go/gopath true\n"
    );

    let output = run_in_container(
        &app,
        "cd \"$GOPATH/src/example.test/withdep\" && go env GOPATH GOMODCACHE && go build -o /tmp/app ./... && go test -count=1 ./...",
    );
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(
        lines[..2],
        [
            "/layers/gocnb_go/gopath",
            "/layers/gocnb_go/go-modules/pkg/mod"
        ],
        "{output}"
    );
    assert!(
        lines[2].starts_with("ok  \texample.test/withdep\t"),
        "{output}"
    );

    // Turned off again, the workspace and the module cache leave the image.
    let report = app.build_ok(&[("GO_INSTALL_TOOLS_IN_IMAGE", "true")]);
    assert_eq!(report.image_layers, vec!["go-dist", "target"]);
    for process in app.platform.processes().expect("processes") {
        assert_eq!(process.working_dir, None, "{process:?}");
    }
}

#[test]
fn without_the_toolchain_the_workspace_is_set_up_and_the_output_says_go_is_missing() {
    let app = workspace_reporting_app();
    let report = app.build_ok(&[("GO_SETUP_GOPATH_IN_IMAGE", "true")]);
    let log = plain(&report.log);
    assert_contains(
        &log,
        "- GOPATH=/layers/gocnb_go/gopath, with the app at $GOPATH/src/example.test/withdep; processes start there\n",
    );
    assert_contains(
        &log,
        "GO_SETUP_GOPATH_IN_IMAGE is set, but the Go toolchain is not in the image.",
    );
    assert!(
        !log.contains("The module cache is in the image as well"),
        "{log}"
    );
    assert_eq!(report.image_layers, vec!["gopath", "target"]);
    let (_web, body) = app.get(None);
    assert_eq!(
        body,
        "*** hello, with-dependency (greeting v1.1.0) *** /layers/gocnb_go/gopath true\n"
    );
    let output = run_in_container(
        &app,
        "test -f \"$GOPATH/src/example.test/withdep/go.mod\" && echo source found; command -v go || echo no go",
    );
    assert_eq!(output, "source found\nno go\n");
}
