//! End-to-end: two cold builds of the same source on the same builder give the same image,
//! byte for byte (the same image ID), for an app with module dependencies, cgo and a `.git`
//! whose commit is stamped into the binaries and the image's labels.

use crate::build_settings::commit_app;
use e2e_harness::docker::docker;
use e2e_harness::test_app::{app, TestApp};

fn image_id(app: &TestApp) -> String {
    let output = docker(&["image", "inspect", "--format", "{{.Id}}", &app.image().0])
        .unwrap_or_else(|error| panic!("{error}"));
    String::from_utf8_lossy(&output).trim().to_string()
}

/// Builds the app, then again with neither the image nor the build cache left: both builds are
/// cold. Returns the two image IDs.
fn two_cold_builds(app: &TestApp, expected_body: &str) -> (String, String) {
    app.build_ok(&[]);
    assert_eq!(app.get(None), expected_body);
    let first = image_id(app);
    docker(&["image", "rm", "--force", &app.image().0]).unwrap_or_else(|error| panic!("{error}"));
    app.discard_cache()
        .unwrap_or_else(|error| panic!("{error}"));
    let report = app.build_ok(&[]);
    assert!(
        !report.log.contains("Reusing"),
        "the second build was not cold:\n{}",
        report.log
    );
    (first, image_id(app))
}

/// One app that has each thing that could make builds differ: module dependencies, cgo (a C
/// library from a buildpack before this one) and a `.git` whose commit go stamps into the
/// binary (VCS stamping) and the buildpack into the image's labels. Two cold builds are the
/// slowest thing the suite does, so one app stands for the three.
#[test]
fn cold_builds_of_a_cgo_git_checkout_with_module_dependencies_give_the_same_image() {
    let app = app("with-dependency").in_group(&["c-library"], &[]);
    app.write(
        "greeting_cgo.go",
        "package main\n\n/*\n#cgo LDFLAGS: -lgreeting\n#include <greeting.h>\n*/\nimport \"C\"\n\n\
         func cGreeting() string { return C.GoString(C.greeting()) }\n",
    );
    app.write(
        "main.go",
        &app.read("main.go").replace(
            "fmt.Fprintln(w, banner.For(\"with-dependency\"))",
            "fmt.Fprintln(w, banner.For(\"with-dependency\"), cGreeting())",
        ),
    );
    let commit = commit_app(&app);
    let (first, second) = two_cold_builds(
        &app,
        "*** hello, with-dependency (greeting v1.1.0) *** hello from libgreeting\n",
    );
    assert_eq!(first, second, "two cold builds gave different images");
    assert_eq!(
        crate::build_settings::source_labels(&app).0.as_deref(),
        Some(commit.as_str())
    );
}
