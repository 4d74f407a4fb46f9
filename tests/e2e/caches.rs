//! End-to-end: caches that a broken disk, an interrupted save or an older buildpack damaged.
//! The build notices, says what it discards and why, and heals in the same build.

use e2e_harness::test_app::{app, assert_contains, plain};

#[test]
fn a_cached_toolchain_without_bin_go_is_reinstalled() {
    let app = app("root-main");
    app.build_ok(&[]);
    app.damage_cached_tree("go-dist", |path, contents| {
        (path != "bin/go").then_some(contents)
    })
    .expect("damage go-dist");
    app.services.server.clear_requests();

    // Only a build that compiles unpacks the toolchain.
    app.change_an_input();
    let report = app.build_ok(&[]);
    assert_contains(
        &report.log,
        "Discarding cached Go 1.25.5: its bin/go is missing",
    );
    assert_contains(&report.log, "Downloading Go 1.25.5");
    assert_eq!(
        app.services.downloads().len(),
        1,
        "{:?}",
        app.services.downloads()
    );
    let body = app.get(None);
    assert_eq!(body, "hello from root-main, built with go1.25.5\n");

    // Healed: the next build reuses the reinstalled toolchain.
    app.change_an_input();
    let report = app.build_ok(&[]);
    assert_contains(&report.log, "Reusing Go 1.25.5 from the cache");

    // An archive cut short or altered (a disk error, an interrupted copy of the cache) is
    // never unpacked into use: the toolchain is downloaded again.
    app.damage_cached_layer("go-dist", |path, mut contents| {
        if path.ends_with("/tree.tar.lz4") {
            let at = contents.len() - 100;
            contents[at] ^= 0xff;
        }
        Some(contents)
    })
    .expect("damage the archive");
    app.services.server.clear_requests();
    app.change_an_input();
    let report = app.build_ok(&[]);
    assert_contains(
        &report.log,
        "Discarding cached Go 1.25.5: its archive (tree.tar.lz4) cannot be unpacked: ",
    );
    assert_eq!(app.services.downloads().len(), 1);
    assert_eq!(app.get(None), "hello from root-main, built with go1.25.5\n");

    // Metadata of an older buildpack version (before `contents`) is migrated, not discarded.
    let mut metadata = app
        .cached_layer_metadata("go-dist")
        .expect("go-dist metadata");
    assert_eq!(metadata["contents"], "build-only");
    metadata
        .as_object_mut()
        .expect("a table")
        .remove("contents");
    app.replace_cached_layer_metadata("go-dist", metadata)
        .expect("older metadata");
    app.change_an_input();
    let report = app.build_ok(&[]);
    assert_contains(&report.log, "Reusing Go 1.25.5 from the cache");
}

#[test]
fn unreadable_layer_metadata_names_the_layer_and_is_discarded() {
    let app = app("root-main");
    app.build_ok(&[]);
    app.replace_cached_layer_metadata("go-modules", serde_json::json!("not a table"))
        .expect("damage metadata");

    // Removed by a build that keeps the last build's binaries too, which opens no other layer.
    let report = app.build_ok(&[]);
    assert_contains(&report.log, "Nothing changed since the last build");
    assert_contains(
        &report.log,
        "Discarding the module cache: its metadata (go-modules.toml) cannot be read:",
    );
    assert!(
        !plain(&report.log).contains("Internal buildpack error"),
        "{}",
        report.log
    );
    app.replace_cached_layer_metadata("go-build-cache", serde_json::json!("not a table"))
        .expect("damage metadata");
    app.change_an_input();
    let report = app.build_ok(&[]);
    assert_contains(
        &report.log,
        "Discarding the build cache: its metadata (go-build-cache.toml) cannot be read:",
    );
    assert_contains(&report.log, "Creating an empty build cache");
    assert!(
        !plain(&report.log).contains("Internal buildpack error"),
        "{}",
        report.log
    );
}

#[test]
fn a_truncated_file_in_the_module_cache_is_detected_and_the_cache_rebuilt() {
    let app = app("with-dependency");
    app.build_ok(&[]);
    let mut truncated = Vec::new();
    app.damage_cached_tree("go-modules", |path, contents| {
        if path.ends_with("pkg/mod/example.test/banner@v1.0.0/banner.go") {
            truncated.push(path.to_string());
            Some(contents[..contents.len() / 2].to_vec())
        } else {
            Some(contents)
        }
    })
    .expect("damage go-modules");
    assert!(
        !truncated.is_empty(),
        "no file of the banner module in the cache"
    );
    app.services.server.clear_requests();
    app.change_an_input();

    let report = app.build_ok(&[]);
    let log = plain(&report.log);
    let checking = log
        .find("The go command failed on a file of the module cache: checking it")
        .unwrap_or_else(|| panic!("{log}"));
    let corrupted = log
        .find("The module cache is corrupted")
        .unwrap_or_else(|| panic!("{log}"));
    let rebuilt = log[corrupted..]
        .find("Running `go install")
        .unwrap_or_else(|| panic!("{log}"));
    assert!(checking < corrupted && rebuilt > 0, "{log}");
    assert_contains(&log, "dir has been modified");
    // The module was downloaded again from the GOPROXY.
    assert!(
        app.services
            .downloads()
            .iter()
            .any(|d| d == "/goproxy/example.test/banner/@v/v1.0.0.zip"),
        "{:?}",
        app.services.downloads()
    );
    let body = app.get(None);
    assert_eq!(body, "*** hello, with-dependency (greeting v1.1.0) ***\n");
}

#[test]
fn an_app_error_is_not_blamed_on_an_intact_module_cache() {
    let app = app("with-dependency");
    app.build_ok(&[]);
    app.write(
        "main.go",
        &app.read("main.go")
            .replace("banner.", "banner.NoSuchFunction"),
    );
    let report = app.build_fails(&[]);
    let log = plain(&report.log);
    assert!(!log.contains("The module cache is corrupted"), "{log}");
    assert_contains(&log, "`go install");
}

#[test]
fn a_dependency_bump_removes_the_version_it_left_behind_from_the_module_cache() {
    let app = app("bench-deps");
    let first = app.build_ok(&[]);
    assert!(
        !plain(&first.log).contains("no longer requires"),
        "{}",
        first.log
    );
    app.write(
        "go.mod",
        &app.read("go.mod").replace(
            "example.test/greeting v1.0.0",
            "example.test/greeting v1.1.0",
        ),
    );
    let bumped = app.build_ok(&[]);
    assert_contains(
        &bumped.log,
        "- Removed 1 module version the app no longer requires from the module cache (",
    );
    let body = app.get(Some("web"));
    assert!(body.contains("greeting v1.1.0"), "{body}");

    // The same requirements: the module cache has nothing to remove.
    app.change_an_input();
    let unchanged = app.build_ok(&[]);
    assert!(
        !plain(&unchanged.log).contains("no longer requires"),
        "{}",
        unchanged.log
    );
    assert_contains(&unchanged.log, "Reusing the module cache");
}

#[test]
fn the_build_cache_keeps_what_the_last_build_used_and_an_unchanged_one_is_not_stored_again() {
    let app = app("root-main");
    let first = app.build_ok(&[]);
    assert!(
        !first.log.contains("Pruned the build cache"),
        "{}",
        first.log
    );
    let usual_size = app.cached_layer_sizes()["go-build-cache"];

    // Other compiler flags: every package is compiled anew, and the entries of the usual flags,
    // which this build did not use, go.
    let other_flags = app.build_ok(&[("GOFLAGS", "-gcflags=all=-l")]);
    assert_contains(&other_flags.log, "- Pruned the build cache: ");
    let other_size = app.cached_layer_sizes()["go-build-cache"];
    assert!(
        other_size < usual_size * 3 / 2,
        "{usual_size} -> {other_size}"
    );

    // Back to the usual flags: the other flags' entries go in turn.
    let back = app.build_ok(&[]);
    assert_contains(&back.log, "- Pruned the build cache: ");
    let size_after = app.cached_layer_sizes()["go-build-cache"];
    assert!(
        size_after < usual_size * 11 / 10,
        "{usual_size} -> {other_size} -> {size_after}"
    );

    // A build whose inputs changed but whose packages did not compiles nothing anew: the
    // cache stays the size of the usual one.
    app.change_an_input();
    let recompiled = app.build_ok(&[]);
    assert_contains(&recompiled.log, "Running `go install");
    let size_now = app.cached_layer_sizes()["go-build-cache"];
    assert!(
        size_now < usual_size * 11 / 10,
        "{usual_size} -> {size_now}"
    );
    // Nothing changed at all: no go command runs, and every cached layer is kept as it was.
    let untouched = app.build_ok(&[]);
    assert_contains(&untouched.log, "Nothing changed since the last build");
    for layer in ["go-build-cache", "go-dist", "go-modules", "target"] {
        assert_contains(
            &untouched.log,
            &format!("Reusing cache layer 'gocnb/go:{layer}'"),
        );
    }
    let body = app.get(None);
    assert!(body.starts_with("hello from root-main"), "{body}");
}
