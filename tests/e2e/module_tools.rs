//! End-to-end: the tools of go.mod's `tool` lines, built into the image on request
//! (`GO_INSTALL_MODULE_TOOLS`): on PATH, never processes; gone again when no longer requested.

use e2e_harness::docker::docker;
use e2e_harness::test_app::{app, assert_contains, error_block, go_output, LAUNCHER_COMMAND};

const HELLO: &str = "hello from module-tools, built with go1.25.5\n";

/// What `command` prints in a container of the image, started through the launcher (so with
/// the image's PATH).
fn run_in_image(image: &str, command: &str) -> Result<String, String> {
    docker(&[
        "run",
        "--rm",
        "--entrypoint",
        LAUNCHER_COMMAND,
        image,
        command,
    ])
    .map(|output| String::from_utf8_lossy(&output).into_owned())
}

#[test]
fn requested_tools_are_on_path_in_the_image_but_not_processes() {
    let app = app("module-tools");
    let report = app.build_ok(&[("GO_INSTALL_MODULE_TOOLS", "true")]);
    let output = go_output(&report.log);
    assert_contains(
        &output,
        "- Go packages
  - Building `./...` (from the default, every package of the module)
  - Running `go install -- ./...`",
    );
    assert_contains(
        &output,
        "  - Building the tools of go.mod's `tool` lines (GO_INSTALL_MODULE_TOOLS): on PATH in the image, not processes
  - Running `go install -- tool`",
    );
    assert_contains(
        &output,
        "- Processes
  - `withtools`: `/layers/gocnb_go/target/bin/withtools`
  - `web`: `/layers/gocnb_go/target/bin/withtools` (default)",
    );
    app.assert_processes(&[("web", true), ("withtools", false)]);
    assert_eq!(app.get(None), HELLO);
    let image = app.image().0;
    assert_eq!(
        run_in_image(&image, "stamp").as_deref(),
        Ok("stamp v1.0.0\n")
    );
    app.assert_sbom_describes_binaries(&["withtools", "stamp"]);

    // Without the request, the tool leaves the image; the app is unchanged.
    app.build_ok(&[]);
    assert_eq!(
        app.image_binaries().into_iter().collect::<Vec<_>>(),
        ["withtools"]
    );
    assert!(run_in_image(&app.image().0, "stamp").is_err());
    assert_eq!(app.get(None), HELLO);
}

#[test]
fn a_tool_that_does_not_compile_fails_the_build_with_the_go_output() {
    let app = app("module-tools");
    app.write(
        "cmd/broken/main.go",
        "package main\n\nfunc main() {\n\tundefinedCall()\n}\n",
    );
    app.write(
        "go.mod",
        &app.read("go.mod").replace(
            "tool example.test/stamp",
            "tool (\n\texample.test/stamp\n\texample.test/withtools/cmd/broken\n)",
        ),
    );
    // The app's own packages are the root only: the broken package is a tool alone.
    let report = app.build_fails(&[
        ("GO_INSTALL_MODULE_TOOLS", "true"),
        ("GO_INSTALL_PACKAGE_SPEC", "."),
    ]);
    assert_contains(
        &report.log,
        "cmd/broken/main.go:4:2: undefined: undefinedCall",
    );
    assert_eq!(
        error_block(&report.log, "! `go install -- tool` failed")
            .lines()
            .take(3)
            .collect::<Vec<_>>()
            .join("\n"),
        "! `go install -- tool` failed
!
! The go command's output is shown above. Reproduce it locally with the same command and the Go version resolved above, fix the app, and build again."
    );
}
