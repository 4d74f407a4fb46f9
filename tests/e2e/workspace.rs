//! End-to-end: apps with a go.work (workspace mode): every used module's main packages built
//! and launched, `go work vendor` output honoured, `GOWORK=off` turning it off.

use e2e_harness::test_app::{app, assert_contains, plain};

#[test]
fn a_workspace_builds_the_main_packages_of_every_used_module() {
    let app = app("workspace");
    let report = app.build_ok(&[]);
    assert_contains(
        &report.log,
        "- Requested `go 1.25.0` (from the `go` line in go.work)\n",
    );
    assert_contains(
        &report.log,
        "- Workspace mode (go.work): building the modules it uses together: ., ./lib, ./tools/admin\n  \
         - Building `./... ./lib/... ./tools/admin/...` (from the default in workspace mode, every package of the modules go.work uses)\n",
    );
    assert_eq!(
        app.image_binaries().into_iter().collect::<Vec<_>>(),
        ["admin", "web"]
    );
    app.assert_processes(&[("admin", false), ("web", true)]);
    let body = app.get(None);
    assert_eq!(body, "hello from the workspace's web module\n");
    assert_eq!(
        app.run_to_exit(Some("admin")),
        "hello, admin (greeting v1.1.0) with wslib from the workspace\n"
    );

    // GOWORK=off: the root module alone, as the go command would build it.
    let report = app.build_ok(&[("GOWORK", "off")]);
    let log = plain(&report.log);
    assert_contains(
        &log,
        "- GOWORK=off: go.work is ignored, the module is built alone\n  \
         - Building `./...` (from the default, every package of the module)\n",
    );
    assert_contains(&log, "Requested `go 1.25.0` (from the `go` line in go.mod)");
    assert_eq!(
        app.image_binaries().into_iter().collect::<Vec<_>>(),
        ["web"]
    );
    app.assert_processes(&[("web", true)]);
}

#[test]
fn go_work_vendor_output_is_used_without_downloads() {
    let app = app("workspace-vendored");
    let report = app.build_ok(&[]);
    assert_contains(
        &report.log,
        "- Workspace mode (go.work): building the modules it uses together: ., ./lib, ./tools/admin\n  \
         - Using the vendored modules in vendor/ (vendor/modules.txt)\n",
    );
    assert!(
        !app.services
            .downloads()
            .iter()
            .any(|path| path.starts_with("/goproxy/")),
        "{:?}",
        app.services.downloads()
    );
    assert!(
        !plain(&report.log).contains("go: downloading"),
        "{}",
        report.log
    );
    assert_eq!(
        app.run_to_exit(Some("admin")),
        "hello, admin (greeting v1.1.0) with wslib from the workspace\n"
    );
}
