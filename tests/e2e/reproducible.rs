//! End-to-end: two cold builds of the same source on the same builder give the same image,
//! byte for byte (the same image ID): with module dependencies, with cgo, and with a `.git`
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

#[test]
fn cold_builds_of_an_app_with_module_dependencies_give_the_same_image() {
    let app = app("with-dependency");
    let (first, second) =
        two_cold_builds(&app, "*** hello, with-dependency (greeting v1.1.0) ***\n");
    assert_eq!(first, second, "two cold builds gave different images");
}

#[test]
fn cold_builds_of_a_cgo_app_give_the_same_image() {
    let app = app("cgo-greeting").in_group(&["c-library"], &[]);
    let (first, second) = two_cold_builds(&app, "hello from libgreeting, through cgo\n");
    assert_eq!(first, second, "two cold builds gave different images");
}

#[test]
fn cold_builds_of_a_git_checkout_give_the_same_image() {
    let app = app("root-main");
    commit_app(&app);
    let (first, second) = two_cold_builds(&app, "hello from root-main, built with go1.25.5\n");
    assert_eq!(first, second, "two cold builds gave different images");
}
