//! End-to-end with real module graphs from the Go module proxy: a chi web service, a cobra CLI
//! beside a worker, and a tool installed from a dependency (golang-migrate's `cmd/migrate`)
//! named by `// +heroku install`. Each is built and launched through the real lifecycle, then
//! rebuilt to prove that a rebuild downloads nothing.

use e2e_harness::http_get;
use e2e_harness::test_app::{app, assert_contains, go_output, plain, TestApp};

/// Real modules, fetched from the Go module proxy on the host before the tests and served to
/// the builds; the toolchain comes from the local mirror.
fn real_goproxy(app: &TestApp) -> Vec<(&'static str, String)> {
    vec![("GOPROXY", app.services.real_goproxy_url())]
}

/// Builds with the real modules. Nothing is wrong with these apps: the output has no warning
/// but the one that says the cobra app has no default process.
fn build_real(app: &TestApp) -> e2e_harness::test_app::BuildReport {
    let env = real_goproxy(app);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let report = app.build_ok(&env);
    let output = go_output(&report.log);
    assert!(
        !output.lines().any(|line| line.starts_with("! ")
            && !line.starts_with("! None of the processes is named `web`")
            && !line.starts_with("! Choose one of: name the package for the web server")),
        "a warning where nothing is wrong:\n{output}"
    );
    report
}

/// Rebuilds with an input changed (so that go runs) but the same requirements, and asserts that
/// nothing was downloaded: no go command reported a download, and the cached module cache layer
/// is byte for byte the one of the first build.
fn assert_rebuild_downloads_nothing(app: &TestApp) {
    let modules_before = app
        .cached_layer_digest("go-modules")
        .expect("a cached module cache");
    app.change_an_input();
    let report = build_real(app);
    let log = plain(&report.log);
    assert_contains(&log, "Reusing the module cache");
    assert!(!log.contains("go: downloading"), "{log}");
    assert_contains(&log, "Reusing cache layer 'gocnb/go:go-modules'");
    assert_eq!(
        app.cached_layer_digest("go-modules"),
        Some(modules_before),
        "the module cache changed on a rebuild without changes:\n{log}"
    );
}

#[test]
fn a_chi_service_builds_from_the_module_proxy_and_serves() {
    let app = app("chi-web");
    let report = build_real(&app);
    assert_contains(&report.log, "Resolved Go `1.26.6`");
    app.assert_processes(&[("chiweb", false), ("web", true)]);

    app.serve(None, |address, response| {
        assert_eq!(response.body, "hello from chi, built with go1.26.6\n");
        let routed = http_get(address.port(), "/greet/gopher").expect("GET /greet/gopher");
        assert_eq!(
            (routed.status, routed.body.as_str()),
            (200, "hello, gopher\n")
        );
    });

    assert_rebuild_downloads_nothing(&app);
}

#[test]
fn a_cobra_cli_and_a_worker_become_processes_that_run() {
    let app = app("cobra-cli");
    let report = build_real(&app);
    assert_contains(
        &report.log,
        "None of the processes is named `web`, so the image has no default process.",
    );
    app.assert_processes(&[("gocnbctl", false), ("worker", false)]);

    assert_eq!(
        app.run_to_exit(Some("gocnbctl")),
        "gocnbctl, built with go1.26.6\n"
    );
    assert_eq!(
        app.run_with_args(Some("gocnbctl"), &["greet", "gopher"]),
        "hello, gopher\n"
    );
    assert_eq!(
        app.run_with_args(Some("worker"), &["--jobs", "3"]),
        "worker: job 1 of 3 done\nworker: job 2 of 3 done\nworker: job 3 of 3 done\n"
    );

    assert_rebuild_downloads_nothing(&app);
}

/// The go command's download lines (in an order that varies from run to run) as one line
/// with their number.
fn downloads_counted(output: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut downloads = 0;
    for line in output.lines() {
        if line.trim_start().starts_with("go: downloading ") {
            downloads += 1;
            continue;
        }
        if downloads > 0 {
            lines.push(format!("      <go: downloading {downloads} modules>"));
            downloads = 0;
        }
        lines.push(line.to_string());
    }
    lines.join("\n")
}

#[test]
fn a_heroku_install_comment_installs_migrate_from_a_dependency() {
    let app = app("migrate-install");
    let report = build_real(&app);
    // golang-migrate's go.mod requires the drivers and test tools of all its databases; the
    // build downloads only what the two binaries import, and says nothing more.
    assert_eq!(
        downloads_counted(&go_output(&report.log)),
        "## Go

- Go version
  - Requested `go 1.26.0` (from the `go` line in go.mod)
  - Resolved Go `1.26.6` for linux/<arch> from GO_INVENTORY (<services>/inventory.toml)
- Go settings
  - GOFLAGS=-trimpath -tags=heroku -modcacherw (the buildpack adds -trimpath, the `heroku` build tag and -modcacherw to yours)
  - GOPROXY=<services>/real-modules
  - GONOSUMDB=example.test
- Go toolchain
  - Downloading Go 1.26.6 from <services>/mirror/go1.26.6.linux-<arch>.tar.gz ... (<time>)
  - Verified `sha256:<sha256>`
  - Unpacking ... (<time>)
  - Left out what this build never reads (119 MB): the standard library's tests, test data and files for other platforms than linux/<arch>, the toolchain's own sources and docs, and the go tools `go install` does not run here (GO_INSTALL_TOOLS_IN_IMAGE keeps them)
- Go modules
  - Creating an empty module cache
- Go build cache
  - Creating an empty build cache
- Binaries
  - None kept from an earlier build: go install links every binary
- Go packages
  - Building `./cmd/web github.com/golang-migrate/migrate/v4/cmd/migrate` (from `// +heroku install` in go.mod)
  - Running `go install -- ./cmd/web github.com/golang-migrate/migrate/v4/cmd/migrate`

      <go: downloading 3 modules>

  - Done (<time>)
  - Wrote a CycloneDX SBOM of the binaries: 2 binaries, 2 modules and the standard library
  - Removed the downloaded zips of 3 modules, which the module cache keeps unpacked (0.4 MB)
- Processes
  - `web`: `/layers/gocnb_go/target/bin/web` (default)
  - `migrate`: `/layers/gocnb_go/target/bin/migrate`
  - At launch, GOMEMLIMIT is 90% of the container's memory limit, when it has one (a GOMEMLIMIT you set wins; GO_MEMLIMIT_FROM_CGROUP=false turns it off)
- Done (finished in <time>)"
    );
    app.assert_processes(&[("migrate", false), ("web", true)]);

    let body = app.get(None);
    assert_eq!(body, "hello from migrate-install, built with go1.26.6\n");
    // The tool runs in the launched container and does its work there.
    let created = app.run_with_args(
        Some("migrate"),
        &[
            "create",
            "-ext",
            "sql",
            "-dir",
            "/tmp/migrations",
            "-seq",
            "add_users",
        ],
    );
    assert_eq!(
        created,
        "/tmp/migrations/000001_add_users.up.sql\n/tmp/migrations/000001_add_users.down.sql\n"
    );

    assert_rebuild_downloads_nothing(&app);
}
