//! End-to-end: Go in the launched container (`GO_SETUP_GOPATH_IN_IMAGE` with and without
//! `GO_INSTALL_TOOLS_IN_IMAGE`): the workspace, the processes' directory, and go commands that
//! build and test the app there without downloads.

use e2e_harness::cyclonedx::component;
use e2e_harness::test_app::LAUNCHER_COMMAND;
use e2e_harness::test_app::{app, assert_contains, plain, TestApp};

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
    app.run_with(
        Some(LAUNCHER_COMMAND),
        &["sh", "-c", script],
        &[("GOPROXY", "off")],
    )
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
        vec!["go", "gomodcache", "gopath", "target"]
    );
    for process in app.processes().expect("processes") {
        assert_eq!(
            process.working_dir.as_deref(),
            Some(MODULE_DIR),
            "{process:?}"
        );
    }
    let body = app.get(None);
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
            "/layers/gocnb_go/gomodcache/pkg/mod"
        ],
        "{output}"
    );
    assert!(
        lines[2].starts_with("ok  \texample.test/withdep\t"),
        "{output}"
    );

    // Turned off again, the workspace and the module cache leave the image.
    let report = app.build_ok(&[("GO_INSTALL_TOOLS_IN_IMAGE", "true")]);
    assert_eq!(report.image_layers, vec!["go", "target"]);
    for process in app.processes().expect("processes") {
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
    let body = app.get(None);
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

#[test]
fn the_image_holds_cyclonedx_sboms_of_the_binaries_and_the_toolchain() {
    let app = app("with-dependency");
    let report = app.build_ok(&[("GO_INSTALL_TOOLS_IN_IMAGE", "true")]);
    assert_contains(
        &report.log,
        "- Wrote a CycloneDX SBOM of the binaries: 1 binary, 2 modules and the standard library\n",
    );
    let image = app.unpack_image().expect("unpack image");
    let binary = std::fs::read(image.join("layers/gocnb_go/target/bin/withdep")).expect("binary");
    let go_version = e2e_harness::go_binary::go_version_of(&binary).expect("go version");

    let sbom = app.sbom("target");
    assert_eq!(
        sbom["metadata"]["component"]["name"],
        "example.test/withdep"
    );
    assert_eq!(component(&sbom, "withdep")["type"], "application");
    app.assert_sbom_describes_binaries(&["withdep"]);
    // The go.sum hashes, as hex: banner's is h1:pFl+vqi/BLiR3pxw3gUOR0I3EECeGPQlRAni6RiaA98=.
    let banner = component(&sbom, "example.test/banner");
    assert_eq!(banner["version"], "v1.0.0");
    assert_eq!(banner["purl"], "pkg:golang/example.test/banner@v1.0.0");
    assert_eq!(
        banner["hashes"][0],
        serde_json::json!({
            "alg": "SHA-256",
            "content": "a4597ebea8bf04b891de9c70de050e47423710409e18f4254409e2e9189a03df"
        })
    );
    let greeting = component(&sbom, "example.test/greeting");
    assert_eq!(greeting["purl"], "pkg:golang/example.test/greeting@v1.1.0");
    let stdlib = component(&sbom, "stdlib");
    assert_eq!(
        stdlib["version"].as_str().map(|v| format!("go{v}")),
        Some(go_version.clone())
    );

    let toolchain = app.sbom("go");
    let go = component(&toolchain, "go");
    assert_eq!(
        go["version"].as_str().map(|v| format!("go{v}")),
        Some(go_version.clone())
    );
    let archive = app
        .services
        .archives
        .iter()
        .find(|archive| format!("go{}", archive.version) == go_version)
        .expect("the mirror's archive");
    assert_eq!(go["hashes"][0]["content"], archive.sha256.as_str());
    assert_eq!(
        go["externalReferences"][0]["url"],
        format!("{}/mirror/{}", app.services.server.url(), archive.file_name)
    );
}
