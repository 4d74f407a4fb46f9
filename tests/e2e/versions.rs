//! End-to-end: which Go release a build gets, from where, and how the toolchain is fetched.

use e2e_harness::go_mirror::ensure_go_archive;
use e2e_harness::test_app::{app, app_on, assert_contains, builder_for_run_arch, plain};
use e2e_harness::Fault;

#[test]
fn each_version_source_wins_in_order() {
    // go.mod has `// +heroku goVersion 1.25.4`, `go 1.25.0` and `toolchain go1.26.0`.
    let app = app("version-order");

    let report = app.build_ok(&[("GOVERSION", "go1.27")]);
    assert_contains(
        &report.log,
        "Requested `GOVERSION=go1.27` (from the GOVERSION environment variable)",
    );
    assert_eq!(app.run_to_exit(None), "compiled with go1.27.3\n");

    // A user's GOTOOLCHAIN cannot make go fetch another toolchain.
    let report = app.build_ok(&[("GOTOOLCHAIN", "go1.26.6+auto")]);
    assert_contains(
        &report.log,
        "GOTOOLCHAIN=go1.26.6+auto is overridden with GOTOOLCHAIN=local.",
    );
    assert_contains(&report.log, "Requested `// +heroku goVersion 1.25.4` (from the `// +heroku goVersion` comment in go.mod)");
    assert_eq!(app.run_to_exit(None), "compiled with go1.25.4\n");

    app.write(
        "go.mod",
        &app.read("go.mod")
            .replace("// +heroku goVersion 1.25.4\n", ""),
    );
    let report = app.build_ok(&[]);
    assert_contains(
        &report.log,
        "Requested `toolchain go1.26.0` (from the `toolchain` line in go.mod)",
    );
    assert_eq!(app.run_to_exit(None), "compiled with go1.26.6\n");

    app.write(
        "go.mod",
        &app.read("go.mod").replace("toolchain go1.26.0\n", ""),
    );
    let report = app.build_ok(&[]);
    assert_contains(
        &report.log,
        "Requested `go 1.25.0` (from the `go` line in go.mod)",
    );
    assert_eq!(app.run_to_exit(None), "compiled with go1.25.5\n");

    app.write("go.mod", &app.read("go.mod").replace("go 1.25.0\n", ""));
    let report = app.build_ok(&[]);
    assert_contains(
        &report.log,
        "No version requested (go.mod has no `go` line): using the newest release",
    );
    assert_eq!(app.run_to_exit(None), "compiled with go1.27.3\n");
}

#[test]
fn prerelease_go_line_gets_a_release_of_its_line() {
    let app = app("version-order");
    app.write("go.mod", "module example.test/versionorder\n\ngo 1.27rc1\n");
    let report = app.build_ok(&[]);
    assert_contains(&report.log, "Resolved Go `1.27.3`");
}

#[test]
fn unknown_version_fails_naming_the_nearest_releases() {
    let app = app("version-order");
    app.write("go.mod", "module example.test/versionorder\n\ngo 1.24.0\n");
    let report = app.build_fails(&[]);
    assert_contains(&report.log, "No matching Go release");
    assert_contains(&report.log, "Requested: go 1.24.0 (from the `go` line in go.mod), which means 1.24.0 or a newer 1.24 release.");
    assert_contains(&report.log, "for linux/amd64: go1.25.5, go1.25.4.");
    assert_contains(&report.log, "Change the `go` line of go.mod");
    assert_eq!(app.services.downloads(), Vec::<String>::new());

    let report = app.build_fails(&[("GOVERSION", "1.26.1")]);
    assert_contains(&report.log, "Requested: GOVERSION=1.26.1 (from the GOVERSION environment variable), which means 1.26.1.");
    assert_contains(&report.log, "go1.27.3, go1.26.6, go1.25.5");
}

#[test]
fn another_target_arch_gets_its_own_release_or_a_clear_error() {
    // The test inventory only has the host architecture's archives.
    let other = if e2e_harness::go_mirror::host_arch() == "amd64" {
        "arm64"
    } else {
        "amd64"
    };
    let app = app_on("version-order", &builder_for_run_arch(other));
    let report = app.build_fails(&[]);
    assert_contains(&report.log, &format!("lists no release for linux/{other}."));

    // buildpack.toml's targets are amd64 and arm64: the lifecycle's detector refuses another
    // run image before the buildpack runs (its own message is covered by the error snapshots).
    let app = app_on("version-order", &builder_for_run_arch("ppc64le"));
    let report = app.build_fails(&[]);
    assert!(!report.detect_passed, "{}", report.log);
    assert_contains(&report.log, "unable to satisfy target os/arch constraints");
    assert_contains(&report.log, r#""arch":"ppc64le""#);
}

#[test]
fn a_mirror_serves_the_archive_of_a_go_dev_inventory_given_by_path() {
    let app = app("version-order");
    app.write("go.mod", "module example.test/versionorder\n\ngo 1.25.0\n");
    // An inventory like the built-in one: go.dev URLs, which this machine cannot reach.
    let archive = ensure_go_archive("1.25.5").expect("archive");
    app.services
        .write_inventory("go-dev-inventory.toml", &[archive], "https://go.dev/dl")
        .expect("inventory");
    // The inventory travels with the app: the build sees it at /workspace.
    std::fs::copy(
        app.services.served_path("go-dev-inventory.toml"),
        app.source().join("go-dev-inventory.toml"),
    )
    .expect("copy inventory");
    let inventory_path = "/workspace/go-dev-inventory.toml";
    let mirror = format!("{}/mirror/", app.services.server.url());
    let report = app.build_ok(&[
        ("GO_INVENTORY", inventory_path),
        ("GO_DIST_MIRROR", &mirror),
    ]);
    assert_contains(
        &report.log,
        &format!("Downloading Go 1.25.5 from {mirror}go1.25.5.linux-"),
    );
    assert!(app
        .services
        .downloads()
        .iter()
        .any(|d| d.starts_with("/mirror/go1.25.5.linux-")));
    assert_eq!(app.run_to_exit(None), "compiled with go1.25.5\n");
}

#[test]
fn a_flaky_mirror_is_retried_one_line_an_attempt_and_the_build_heals() {
    let app = app("version-order");
    app.write("go.mod", "module example.test/versionorder\n\ngo 1.25.0\n");
    let archive = "/mirror/go1.25.5.linux-";
    app.services
        .server
        .fail_next(archive, Fault::Status(503), 1);
    app.services.server.fail_next(archive, Fault::CutShort, 1);
    let report = app.build_ok(&[]);
    let log = plain(&report.log);
    let attempts: Vec<&str> = log
        .lines()
        .filter(|line| line.contains("Downloading Go 1.25.5"))
        .collect();
    assert_eq!(attempts.len(), 3, "{log}");
    assert!(
        attempts[0].ends_with("failed: the server answered HTTP 503; retrying in 1s)"),
        "{log}"
    );
    assert!(
        attempts[0].contains("(attempt 1 of 4 failed: request to "),
        "{log}"
    );
    assert!(
        attempts[1].contains("(attempt 2 of 4 failed: the download from "),
        "{log}"
    );
    assert!(attempts[1].contains("was cut short: received "), "{log}");
    assert!(attempts[1].ends_with("; retrying in 2s)"), "{log}");
    assert!(!attempts[2].contains("failed"), "{log}");
    assert_contains(&log, "Verified `sha256:");
    let archive_requests = app
        .services
        .downloads()
        .iter()
        .filter(|path| path.starts_with(archive))
        .count();
    assert_eq!(archive_requests, 3);
    assert_eq!(app.run_to_exit(None), "compiled with go1.25.5\n");
}

#[test]
fn a_mirror_sending_a_byte_a_second_fails_the_build_within_two_minutes() {
    let app = app("version-order");
    app.write("go.mod", "module example.test/versionorder\n\ngo 1.25.0\n");
    let archive = "/mirror/go1.25.5.linux-";
    app.services.server.fail_next(archive, Fault::Trickle, 4);
    let started = std::time::Instant::now();
    let report = app.build_fails(&[]);
    let took = started.elapsed();
    assert!(took < std::time::Duration::from_mins(2), "{took:?}");
    let block = e2e_harness::test_app::error_block(&report.log, "! Could not download Go");
    // "too slow: 21 bytes in 20s (1 bytes/s, …": the numbers as seen, the speed checked.
    let numbers = block[block.find("too slow: ").expect("too slow")..]
        .split(|c: char| !c.is_ascii_digit())
        .filter(|part| !part.is_empty())
        .take(3)
        .map(|part| part.parse::<u64>().expect("number"))
        .collect::<Vec<_>>();
    let [bytes, seconds, speed] = numbers[..] else {
        panic!("{block}")
    };
    assert!(
        speed < 1024 && seconds >= 20 && bytes <= 20 * 1024,
        "{block}"
    );
    assert_eq!(
        block.replace(
            &format!("too slow: {bytes} bytes in {seconds}s ({speed} bytes/s,"),
            "too slow: <bytes> bytes in <seconds>s (<speed> bytes/s,"
        ),
        "! Could not download Go
!
! 4 attempts failed; the last one: request to <services>/mirror/go1.25.5.linux-<arch>.tar.gz failed: too slow: <bytes> bytes in <seconds>s (<speed> bytes/s, below the 1024 bytes/s of GO_DOWNLOAD_MIN_SPEED)
!
! Nothing of it was installed. Check the network, or GO_DIST_MIRROR if it is set, and retry. On a slow or unreliable network, raise GO_DOWNLOAD_STALL_TIMEOUT, GO_DOWNLOAD_DEADLINE or GO_DOWNLOAD_ATTEMPTS, or lower GO_DOWNLOAD_MIN_SPEED.
!
! Error id: go/download/failed"
    );
}

#[test]
fn a_tampered_archive_is_refused_and_never_reused() {
    let app = app("version-order");
    app.write("go.mod", "module example.test/versionorder\n\ngo 1.25.0\n");
    let mut archive = ensure_go_archive("1.25.5").expect("archive");
    let genuine = archive.clone();
    archive.sha256 = "0".repeat(64);
    let url = app
        .services
        .write_inventory(
            "tampered.toml",
            &[archive],
            &format!("{}/mirror", app.services.server.url()),
        )
        .expect("inventory");
    let report = app.build_fails(&[("GO_INVENTORY", &url)]);
    assert_contains(&report.log, "The Go download failed verification");
    assert_contains(&report.log, &format!("Received: sha256:{}", genuine.sha256));
    assert_contains(&report.log, "Nothing of it was installed.");

    // The failed build left nothing behind: the next build downloads and verifies again.
    let report = app.build_ok(&[]);
    assert_contains(&report.log, "Downloading Go 1.25.5");
    assert!(!plain(&report.log).contains("Reusing Go"));
}

#[test]
fn an_unreadable_or_malformed_inventory_names_its_location() {
    let app = app("version-order");
    let missing = "/workspace/missing.toml";
    let report = app.build_fails(&[("GO_INVENTORY", missing)]);
    assert_contains(&report.log, "Could not read the Go inventory");
    assert_contains(
        &report.log,
        &format!("Reading GO_INVENTORY ({missing}) failed"),
    );

    std::fs::write(
        app.services.served_path("broken.toml"),
        "[[artifacts]]\nversion = \"1.25.5\"\n",
    )
    .expect("write");
    let url = format!("{}/broken.toml", app.services.server.url());
    let report = app.build_fails(&[("GO_INVENTORY", &url)]);
    assert_contains(&report.log, "The Go inventory is malformed");
    assert_contains(
        &report.log,
        &format!("GO_INVENTORY ({url}) is not a valid inventory"),
    );
    assert_contains(&report.log, "missing field `os`");
}
