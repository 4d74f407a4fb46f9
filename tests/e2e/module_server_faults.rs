//! End-to-end: a module proxy that trickles. The go command has no time limit of its own for
//! downloads; the buildpack stops it when it makes no progress, and says what it waited on.

use e2e_harness::test_app::{app, error_block};
use e2e_harness::Fault;

#[test]
fn a_go_command_waiting_on_a_trickling_proxy_is_stopped_and_named() {
    let app = app("with-dependency");
    let zip = "/goproxy/example.test/banner/@v/v1.0.0.zip";
    app.services.server.fail_next(zip, Fault::Trickle, 1);
    let started = std::time::Instant::now();
    let report = app.build_fails(&[("GO_COMMAND_STALL_TIMEOUT", "10")]);
    assert!(
        started.elapsed() < std::time::Duration::from_mins(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        error_block(&report.log, "! `go install -- ./...` made no progress"),
        "! `go install -- ./...` made no progress for 10s and was stopped
!
! For 10s it printed nothing, downloaded almost nothing into the module cache and used almost no CPU time: it was waiting on a module server that does not answer, or answers too slowly. The last line it printed:
!
!     go: downloading example.test/banner v1.0.0
!
! This is a network problem between the build and the module server, not a problem in the app's code. Modules come from GOPROXY (<services>/goproxy), private ones (GOPRIVATE, GONOPROXY) straight from their own hosts. Check that the build's network may reach them, and build again. On a slow network, raise GO_COMMAND_STALL_TIMEOUT (seconds).
!
! Error id: go/command/stalled"
    );

    // The proxy recovers: the next build downloads the module whole and the app runs.
    let report = app.build_ok(&[]);
    assert!(report
        .log
        .contains("go: downloading example.test/banner v1.0.0"));
    assert_eq!(
        app.get(None),
        "*** hello, with-dependency (greeting v1.1.0) ***\n"
    );
}
