//! End-to-end: the Go settings that shape the binaries (GOFLAGS completed by the buildpack,
//! build tags, GOEXPERIMENT, -trimpath, version control stamping), asserted in the launched
//! app and in the build information embedded in the image's binaries.

use e2e_harness::go_binary::build_setting_of_file;
use e2e_harness::test_app::{app, app_on, assert_contains, plain, TestApp, BUILDER_WITHOUT_GIT};
use sha2::{Digest, Sha256};

/// root-main answering which build tags and experiments it was compiled with.
fn tag_reporting_app() -> TestApp {
    let app = app("root-main");
    for (tag, constant) in [
        ("heroku", "onHeroku"),
        ("extra", "extraTag"),
        ("goexperiment.jsonv2", "jsonV2"),
    ] {
        let file = tag.replace('.', "_");
        app.write(
            &format!("{file}_on.go"),
            &format!("//go:build {tag}\n\npackage main\n\nconst {constant} = true\n"),
        );
        app.write(
            &format!("{file}_off.go"),
            &format!("//go:build !{tag}\n\npackage main\n\nconst {constant} = false\n"),
        );
    }
    app.write(
        "main.go",
        &app.read("main.go").replace(
            "fmt.Fprintf(w, \"hello from root-main, built with %s\\n\", runtime.Version())",
            "fmt.Fprintf(w, \"heroku=%t extra=%t jsonv2=%t %s\\n\", onHeroku, extraTag, jsonV2, runtime.Version())",
        ),
    );
    app
}

fn image_binary(app: &TestApp, name: &str) -> std::path::PathBuf {
    app.unpack_image()
        .expect("unpack image")
        .join("layers/gocnb_go/target/bin")
        .join(name)
}

#[test]
fn build_tags_and_experiments_reach_the_binary_which_is_trimmed_and_reproducible() {
    let settings = [("GOFLAGS", "-tags=extra"), ("GOEXPERIMENT", "jsonv2")];
    let app = tag_reporting_app();
    let report = app.build_ok(&settings);
    let goproxy = app.services.goproxy_url();
    assert_contains(
        &report.log,
        &format!(
            "- Go settings\n  \
             - GOFLAGS=-trimpath -tags=extra,heroku -modcacherw (the buildpack adds -trimpath, the `heroku` build tag and -modcacherw to yours)\n  \
             - GOEXPERIMENT=jsonv2\n  \
             - GOPROXY={goproxy}\n  \
             - GONOSUMDB=example.test\n"
        ),
    );
    let body = app.get(None);
    assert_eq!(
        body,
        "heroku=true extra=true jsonv2=true go1.25.5 X:jsonv2\n"
    );

    let binary = image_binary(&app, "myapp");
    assert_eq!(
        build_setting_of_file(&binary, "-trimpath").as_deref(),
        Some("true")
    );
    assert_eq!(
        build_setting_of_file(&binary, "GOEXPERIMENT").as_deref(),
        Some("jsonv2")
    );
    let bytes = std::fs::read(&binary).expect("read binary");
    for build_path in ["/workspace", "/layers/"] {
        assert!(
            !bytes
                .windows(build_path.len())
                .any(|w| w == build_path.as_bytes()),
            "the binary holds the build path {build_path}"
        );
    }

    // The same source built again on another platform, from empty caches, gives the same bytes.
    let again = tag_reporting_app();
    again.build_ok(&settings);
    let again_bytes = std::fs::read(image_binary(&again, "myapp")).expect("read binary");
    assert_eq!(
        e2e_harness::hex(&Sha256::digest(&again_bytes)),
        e2e_harness::hex(&Sha256::digest(&bytes)),
        "two builds of the same source differ"
    );
}

#[test]
fn without_user_tags_the_heroku_tag_alone_is_set_and_overridden_variables_are_named() {
    let app = tag_reporting_app();
    // Variables the buildpack points at its layers are named, not silently replaced.
    let report = app.build_ok(&[("GOBIN", "/tmp/my-bin"), ("GOCACHE", "/tmp/my-cache")]);
    assert_contains(
        &report.log,
        "- GOFLAGS=-trimpath -tags=heroku -modcacherw (the buildpack adds",
    );
    assert_contains(
        &report.log,
        "GOCACHE=/tmp/my-cache, GOBIN=/tmp/my-bin are overridden.",
    );
    let body = app.get(None);
    assert_eq!(body, "heroku=true extra=false jsonv2=false go1.25.5\n");
}

/// Makes the app a git repository with one commit; returns the commit.
pub(crate) fn commit_app(app: &TestApp) -> String {
    let git = |args: &[&str]| {
        let output = std::process::Command::new("git")
            .args(["-c", "user.name=Test", "-c", "user.email=test@example.test"])
            .args(args)
            .current_dir(app.source())
            .output()
            .expect("run git");
        assert!(output.status.success(), "git {args:?}: {output:?}");
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "init"]);
    git(&["rev-parse", "HEAD"])
}

/// The image's OCI labels of its source: (revision, source).
pub(crate) fn source_labels(app: &TestApp) -> (Option<String>, Option<String>) {
    let config = app.image().config().expect("image config");
    let label = |key: &str| config["Labels"][key].as_str().map(String::from);
    (
        label("org.opencontainers.image.revision"),
        label("org.opencontainers.image.source"),
    )
}

#[test]
fn a_git_checkout_gets_its_commit_stamped_where_git_exists_and_labels_the_image() {
    let app = app("root-main");
    let commit = commit_app(&app);
    // A remote URL holding a token, as CI checkouts often have.
    let remote = std::process::Command::new("git")
        .args(["remote", "add", "origin"])
        .arg("https://x-access-token:ghp_secret123@github.com/acme/shop.git")
        .current_dir(app.source())
        .status()
        .expect("git remote add");
    assert!(remote.success());
    let report = app.build_ok(&[]);
    assert_contains(
        &report.log,
        "- Stamping the git commit into the binaries (the app has a .git directory)",
    );
    let binary = image_binary(&app, "myapp");
    assert_eq!(
        build_setting_of_file(&binary, "vcs.revision").as_deref(),
        Some(commit.as_str())
    );
    assert_eq!(
        build_setting_of_file(&binary, "vcs").as_deref(),
        Some("git")
    );
    assert_contains(
        &report.log,
        &format!(
            "- Image labels\n  \
             - org.opencontainers.image.revision=`{commit}` (from the commit checked out in .git)\n  \
             - org.opencontainers.image.source=`https://github.com/acme/shop` (from .git's origin remote)\n\
             - Done"
        ),
    );
    assert!(!report.log.contains("ghp_secret123"), "{}", report.log);
    assert_eq!(
        source_labels(&app),
        (Some(commit), Some("https://github.com/acme/shop".into()))
    );

    // SOURCE_VERSION, which Heroku sets, names the revision instead.
    let report = app.build_ok(&[("SOURCE_VERSION", "release-2026.12")]);
    assert_contains(
        &report.log,
        "- org.opencontainers.image.revision=`release-2026.12` (from SOURCE_VERSION)",
    );
    assert_eq!(source_labels(&app).0.as_deref(), Some("release-2026.12"));
}

#[test]
fn a_git_checkout_builds_without_git_in_the_build_image() {
    let app = app_on("root-main", BUILDER_WITHOUT_GIT);
    commit_app(&app);
    let report = app.build_ok(&[]);
    assert_contains(
        &report.log,
        "- Not stamping version control information (-buildvcs=false): the app has a .git directory, but git is not installed in the build image",
    );
    assert!(
        plain(&report.log).contains("GOFLAGS=-trimpath -buildvcs=false -tags=heroku -modcacherw"),
        "{}",
        report.log
    );
    assert_eq!(
        build_setting_of_file(&image_binary(&app, "myapp"), "vcs.revision"),
        None
    );
    let body = app.get(None);
    assert_eq!(body, "hello from root-main, built with go1.25.5\n");
}

#[test]
fn linker_and_compiler_flags_from_every_source_reach_go_install_exactly() {
    let app = app("root-main");
    app.write(
        "main.go",
        &app.read("main.go")
            .replace(
                "func main() {",
                "var greeting, version string\n\nfunc main() {",
            )
            .replace(
                "fmt.Fprintf(w, \"hello from root-main, built with %s\\n\", runtime.Version())",
                "fmt.Fprintf(w, \"[%s] [%s] %s\\n\", greeting, version, runtime.Version())",
            ),
    );
    let report = app.build_ok(&[
        ("GOFLAGS", "-ldflags=-s"),
        ("GO_LDFLAGS", "-w -X 'main.greeting=hello, wide world'"),
        ("GO_GCFLAGS", "-N -l"),
        ("GO_LINKER_SYMBOL", "main.version"),
        ("GO_LINKER_VALUE", "v1 \"beta\""),
    ]);
    let ldflags = "-s -w -X 'main.greeting=hello, wide world' -X 'main.version=v1 \"beta\"'";
    assert_contains(
        &report.log,
        &format!(
            "- -ldflags `{ldflags}` (from GOFLAGS, GO_LDFLAGS, GO_LINKER_SYMBOL, in that order: a later flag wins)\n  \
             - Running `go install -ldflags={ldflags} -gcflags=-N -l -- ./...`"
        ),
    );
    assert_eq!(
        app.get(None),
        "[hello, wide world] [v1 \"beta\"] go1.25.5\n"
    );
    // GOFLAGS' -s (no symbol table) and GO_LDFLAGS' -w (no DWARF) both reached the linker
    // (the go command does not record -ldflags in a binary built with -trimpath).
    let binary = image_binary(&app, "myapp");
    let bytes = std::fs::read(&binary).expect("read binary");
    for section in [&b".symtab\0"[..], b".debug_info"] {
        assert!(
            !bytes.windows(section.len()).any(|w| w == section),
            "{} is in the binary",
            String::from_utf8_lossy(section)
        );
    }
    assert_eq!(
        build_setting_of_file(&binary, "-gcflags").as_deref(),
        Some("-N -l")
    );

    let report = app.build_fails(&[("GO_LDFLAGS", "-X 'main.greeting=hello")]);
    assert_eq!(
        e2e_harness::test_app::error_block(&report.log, "! GO_LDFLAGS has a quote that is never closed"),
        "! GO_LDFLAGS has a quote that is never closed
!
! GO_LDFLAGS is set to `-X 'main.greeting=hello`: the ' at character 4 is never closed.
!
! The go command splits flags at spaces; a flag holding spaces is wrapped whole in '…' or \"…\", such as `-X 'main.greeting=hello world'`. Close the quote and build again.
!
! Error id: go/config/flags-unterminated-quote"
    );
}
