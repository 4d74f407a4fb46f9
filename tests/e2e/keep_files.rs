//! End-to-end: `GO_KEEP_FILES` leaves only the files the processes need in the image's app
//! directory, and the next build without it has the whole source again.

use e2e_harness::test_app::{app, assert_contains, TestApp};
use std::path::Path;

/// Every file under the image's /workspace, relative to it.
pub(crate) fn workspace_files(app: &TestApp) -> Vec<String> {
    fn walk(dir: &Path, root: &Path, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
            let path = entry.path();
            if entry.file_type().expect("file type").is_dir() {
                walk(&path, root, found);
            } else {
                found.push(
                    path.strip_prefix(root)
                        .expect("inside")
                        .display()
                        .to_string(),
                );
            }
        }
    }
    let workspace = app.unpack_image().expect("unpack image").join("workspace");
    let mut found = Vec::new();
    walk(&workspace, &workspace, &mut found);
    found.sort();
    found
}

#[test]
fn only_the_kept_files_stay_in_the_image() {
    let app = app("root-main");
    app.write("templates/index.html", "<h1>hi</h1>\n");
    app.write("static/css/app.css", "h1 { color: red }\n");
    app.write("docs/notes.md", "notes\n");
    app.write("Procfile", "web: myapp\n");
    let report = app.build_ok(&[("GO_KEEP_FILES", "templates/**:static")]);
    assert_contains(
        &report.log,
        "- App directory\n  \
         - GO_KEEP_FILES=`templates/**:static`: kept 3 files (with the Procfile and project.toml), removed 3 files (0.0 MB) that no process reads\n\
         - Done",
    );
    assert_eq!(
        workspace_files(&app),
        ["Procfile", "static/css/app.css", "templates/index.html"]
    );
    assert_eq!(app.get(None), "hello from root-main, built with go1.25.5\n");

    // Without it, the next build's image has the whole source again.
    app.build_ok(&[]);
    assert_eq!(
        workspace_files(&app),
        [
            "Procfile",
            "docs/notes.md",
            "go.mod",
            "main.go",
            "static/css/app.css",
            "templates/index.html"
        ]
    );
}
