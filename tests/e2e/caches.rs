//! End-to-end: caches that a broken disk, an interrupted save or an older buildpack damaged.
//! The build notices, says what it discards and why, and heals in the same build.

use e2e_harness::test_app::{app, assert_contains, plain};

#[test]
fn a_cached_toolchain_without_bin_go_is_reinstalled() {
    let app = app("root-main");
    app.build_ok(&[]);
    app.damage_cached_layer("go-dist", |path, contents| {
        (!path.ends_with("go-dist/bin/go")).then_some(contents)
    })
    .expect("damage go-dist");
    app.services.server.clear_requests();

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
    let report = app.build_ok(&[]);
    assert_contains(&report.log, "Reusing Go 1.25.5 from the cache");

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
    let report = app.build_ok(&[]);
    assert_contains(&report.log, "Reusing Go 1.25.5 from the cache");
}

#[test]
fn unreadable_layer_metadata_names_the_layer_and_is_discarded() {
    let app = app("root-main");
    app.build_ok(&[]);
    app.replace_cached_layer_metadata("go-modules", serde_json::json!("not a table"))
        .expect("damage metadata");

    let report = app.build_ok(&[]);
    assert_contains(
        &report.log,
        "Discarding the module cache: its metadata (go-modules.toml) cannot be read:",
    );
    assert_contains(&report.log, "Creating an empty module cache");
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
    app.damage_cached_layer("go-modules", |path, contents| {
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

    // Nothing changed: the module cache is not examined again.
    let unchanged = app.build_ok(&[]);
    assert!(
        !plain(&unchanged.log).contains("no longer requires"),
        "{}",
        unchanged.log
    );
    assert_contains(&unchanged.log, "Reusing the module cache");
}

#[test]
fn the_build_cache_is_pruned_back_when_it_grew_by_a_fifth_and_left_alone_otherwise() {
    let app = app("root-main");
    let first = app.build_ok(&[]);
    assert!(
        !first.log.contains("Pruned the build cache"),
        "{}",
        first.log
    );
    let pruned_size = app.cached_layer_sizes()["go-build-cache"];

    // Other compiler flags: every package is compiled anew, and the cache about doubles. The
    // growth is measured on the cache as restored, so this build neither marks nor prunes.
    let other_flags = app.build_ok(&[("GOFLAGS", "-gcflags=all=-l")]);
    assert!(
        !other_flags.log.contains("Pruned the build cache")
            && !other_flags.log.contains("has grown"),
        "{}",
        other_flags.log
    );
    let grown_size = app.cached_layer_sizes()["go-build-cache"];
    assert!(
        grown_size > pruned_size * 3 / 2,
        "{pruned_size} -> {grown_size}"
    );

    // Back to the usual flags: this build finds the cache grown and leaves the mark (its
    // measuring runs beside the go command, so the build cannot age the entries before it).
    let back = app.build_ok(&[]);
    assert_contains(
        &back.log,
        "- The build cache has grown by more than a fifth since it was last pruned: the next build prunes the entries it does not use",
    );
    assert!(!back.log.contains("Pruned the build cache"), "{}", back.log);

    // The next build ages every entry before the go command and removes what it did not use:
    // the entries of the other flags go.
    let pruning = app.build_ok(&[]);
    assert_contains(
        &pruning.log,
        "- Pruned the build cache (it had grown by more than a fifth since it was last pruned): ",
    );
    let size_after = app.cached_layer_sizes()["go-build-cache"];
    assert!(
        size_after < pruned_size * 11 / 10,
        "{pruned_size} -> {grown_size} -> {size_after}"
    );

    // Nothing changed: the build cache is neither marked nor pruned, and the exporter keeps the
    // cached layer as it was.
    let unchanged = app.build_ok(&[]);
    assert!(
        !unchanged.log.contains("Pruned the build cache") && !unchanged.log.contains("has grown"),
        "{}",
        unchanged.log
    );
    assert_contains(
        &unchanged.log,
        "Reusing cache layer 'gocnb/go:go-build-cache'",
    );
    let body = app.get(None);
    assert!(body.starts_with("hello from root-main"), "{body}");
}
