//! End-to-end: an app moving over from Paketo's or Google's Go buildpack keeps its variables:
//! each is read as this buildpack's equivalent, and a disagreement or a variable without an
//! equivalent fails the build saying what to do.

use crate::build_settings::source_labels;
use crate::keep_files::workspace_files;
use e2e_harness::test_app::{app, assert_contains, error_block};

#[test]
fn paketo_variables_are_read_as_their_equivalents() {
    let app = app("root-main");
    app.write("static/app.css", "h1 { color: red }\n");
    let report = app.build_ok(&[
        ("BP_GO_VERSION", "1.26.*"),
        ("BP_GO_TARGETS", "."),
        ("BP_GO_BUILD_LDFLAGS", "-s -w"),
        ("BP_KEEP_FILES", "static/*"),
        ("BP_OCI_REVISION", "abc123"),
        ("BP_OCI_SOURCE", "https://example.test/shop"),
    ]);
    assert_contains(
        &report.log,
        "- Variables of other Go buildpacks
  - BP_GO_VERSION is read as GOVERSION=`1.26`
  - BP_GO_TARGETS is read as GO_INSTALL_PACKAGE_SPEC=`.`
  - BP_GO_BUILD_LDFLAGS is read as GO_LDFLAGS=`-s -w`
  - BP_KEEP_FILES is read as GO_KEEP_FILES=`static/*`
  - BP_OCI_REVISION is read as SOURCE_VERSION=`abc123`
- Go version
  - Requested `GOVERSION=1.26` (from the GOVERSION environment variable)",
    );
    assert_contains(&report.log, "Running `go install -ldflags=-s -w -- .`");
    assert_eq!(app.get(None), "hello from root-main, built with go1.26.6\n");
    assert_eq!(workspace_files(&app), ["static/app.css"]);
    assert_eq!(
        source_labels(&app),
        (
            Some("abc123".into()),
            Some("https://example.test/shop".into())
        )
    );
}

#[test]
fn disagreeing_or_unsupported_peer_variables_fail_saying_what_to_do() {
    let app = app("root-main");
    let report = app.build_fails(&[("GOOGLE_GO_VERSION", "1.26.6"), ("GOVERSION", "1.25")]);
    assert_eq!(
        error_block(&report.log, "! GOOGLE_GO_VERSION and GOVERSION disagree"),
        "! GOOGLE_GO_VERSION and GOVERSION disagree
!
! GOOGLE_GO_VERSION (a variable of another Go buildpack) is set to `1.26.6`, which this buildpack reads as GOVERSION, and GOVERSION is set to `1.25`. Neither wins over the other: a build would silently ignore one of them.
!
! Keep one of the two: unset GOOGLE_GO_VERSION, or unset GOVERSION.
!
! Error id: go/peer-variable/conflict"
    );
    let report = app.build_fails(&[("GOOGLE_ENTRYPOINT", "myapp --port 8080")]);
    assert_contains(
        &report.log,
        "! GOOGLE_ENTRYPOINT is not supported by this buildpack",
    );
    assert_eq!(app.services.downloads(), Vec::<String>::new());
}
