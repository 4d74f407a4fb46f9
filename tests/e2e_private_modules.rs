//! End-to-end: modules from a private module server (HTTPS, basic authentication), with
//! credentials from `GO_NETRC` or a service binding of type `netrc`, which end up nowhere: not
//! in the output, the image, the cache or the layers.

use e2e_harness::goproxy::build_goproxy;
use e2e_harness::test_app::{app_with, assert_contains, plain, TestApp};
use e2e_harness::workspace_root;
use e2e_harness::StaticServer;

const LOGIN: &str = "gopher";
const SECRET: &str = "s3cr3t-tok3n-5f1c9d";
/// Where the build finds the private server's certificate (`SSL_CERT_FILE`).
const CA_FILE: &str = "/platform/test-module-server-ca.pem";

struct PrivateModuleServer {
    _dir: tempfile::TempDir,
    server: StaticServer,
    certificate: String,
}

impl PrivateModuleServer {
    /// The test modules behind HTTPS and basic authentication.
    fn start() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        build_goproxy(
            &workspace_root().join("test-fixtures").join("goproxy"),
            dir.path(),
        )
        .expect("goproxy");
        let (server, certificate) =
            StaticServer::start_private(dir.path(), LOGIN, SECRET).expect("private server");
        PrivateModuleServer {
            _dir: dir,
            server,
            certificate,
        }
    }

    /// `127.0.0.1:<port>`: the netrc machine of the server (the go command matches the host
    /// with its port).
    fn machine(&self) -> String {
        self.server.url().trim_start_matches("https://").to_string()
    }

    fn netrc(&self) -> String {
        format!(
            "machine {} login {LOGIN} password {SECRET}\n",
            self.machine()
        )
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("GOPROXY", self.server.url()),
            ("SSL_CERT_FILE", String::from(CA_FILE)),
        ]
    }

    fn app(&self, files: &[(&str, String)]) -> TestApp {
        app_with("with-dependency", |platform| {
            files.iter().fold(
                platform.with_build_file(CA_FILE, &self.certificate),
                |platform, (path, contents)| platform.with_build_file(path, contents),
            )
        })
    }
}

fn build_env<'a>(settings: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    settings
        .iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect()
}

fn assert_secret_kept_nowhere(app: &TestApp, log: &str) {
    assert!(!log.contains(SECRET), "the build output holds the secret");
    let found = app
        .platform
        .files_containing(SECRET.as_bytes())
        .expect("scan");
    assert!(found.is_empty(), "the secret was persisted in {found:?}");
    // The scan sees the layers, the cache and the image: the module cache's files are found.
    let module_files = app
        .platform
        .files_containing(b"func For(name string) string")
        .expect("scan");
    assert!(
        module_files
            .iter()
            .any(|p| p.to_string_lossy().contains("/cache/"))
            && module_files
                .iter()
                .any(|p| p.to_string_lossy().contains("/layers/")),
        "{module_files:?}"
    );
}

#[test]
fn go_netrc_lets_the_build_fetch_private_modules_and_is_kept_nowhere() {
    let private = PrivateModuleServer::start();
    let app = private.app(&[]);
    let settings = private.env();

    let refused = app.build_fails(&build_env(&settings));
    let log = plain(&refused.log);
    assert_contains(
        &log,
        "`go install -- ./...` failed: a module server wants credentials",
    );
    for named in [
        "set GOPRIVATE to their module paths",
        "set GONOSUMDB to their paths instead",
        "a service binding of type `netrc` holding a `.netrc` file",
        "the GO_NETRC config var, holding the netrc text",
    ] {
        assert_contains(&log, named);
    }

    let netrc = private.netrc();
    let mut with_credentials = settings.clone();
    with_credentials.push(("GO_NETRC", netrc));
    let report = app.build_ok(&build_env(&with_credentials));
    assert_contains(
        &report.log,
        &format!(
            "- Private module credentials\n  \
             - A netrc from GO_NETRC for {}\n  \
             - The go commands read it through NETRC, from a file outside the layers that is removed when the build ends\n",
            private.machine()
        ),
    );
    assert!(
        private
            .server
            .requests()
            .iter()
            .any(|path| path == "/example.test/banner/@v/v1.0.0.zip"),
        "{:?}",
        private.server.requests()
    );
    let (_web, body) = app.get(None);
    assert_eq!(body, "*** hello, with-dependency (greeting v1.1.0) ***\n");
    assert_secret_kept_nowhere(&app, &report.log);

    // Wrong credentials fail the build, and the failed build leaves them nowhere either. The
    // cache is cleared first, so that the modules must be fetched again.
    let wrong = "wr0ng-tok3n-93a7e1";
    let mut wrong_credentials = settings.clone();
    wrong_credentials.push((
        "GO_NETRC",
        format!(
            "machine {} login {LOGIN} password {wrong}\n",
            private.machine()
        ),
    ));
    app.platform.discard_cache().expect("discard cache");
    let refused = app.build_fails(&build_env(&wrong_credentials));
    assert_contains(&refused.log, "a module server wants credentials");
    assert!(
        !refused.log.contains(wrong),
        "the build output holds the secret"
    );
    let found = app
        .platform
        .files_containing(wrong.as_bytes())
        .expect("scan");
    assert!(
        found.is_empty(),
        "the failed build left the secret in {found:?}"
    );
}

#[test]
fn a_netrc_service_binding_is_found_under_service_binding_root() {
    let private = PrivateModuleServer::start();
    let app = private.app(&[
        (
            "/platform/service-bindings/modules/type",
            String::from("netrc\n"),
        ),
        ("/platform/service-bindings/modules/.netrc", private.netrc()),
    ]);
    let mut settings = private.env();
    settings.push((
        "SERVICE_BINDING_ROOT",
        String::from("/platform/service-bindings"),
    ));
    let report = app.build_ok(&build_env(&settings));
    assert_contains(
        &report.log,
        &format!(
            "- A netrc from the binding `modules` for {}\n",
            private.machine()
        ),
    );
    let (_web, body) = app.get(None);
    assert_eq!(body, "*** hello, with-dependency (greeting v1.1.0) ***\n");
    assert_secret_kept_nowhere(&app, &report.log);
}

#[test]
fn a_netrc_service_binding_is_found_in_the_platform_directory() {
    let private = PrivateModuleServer::start();
    let app = private.app(&[
        (
            "/platform/bindings/private-modules/type",
            String::from("netrc"),
        ),
        ("/platform/bindings/private-modules/.netrc", private.netrc()),
    ]);
    let report = app.build_ok(&build_env(&private.env()));
    assert_contains(
        &report.log,
        &format!(
            "- A netrc from the binding `private-modules` for {}\n",
            private.machine()
        ),
    );
    assert_secret_kept_nowhere(&app, &report.log);
}
