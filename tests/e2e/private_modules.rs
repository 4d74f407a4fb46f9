//! End-to-end: modules from a private module server (HTTPS, basic authentication), with
//! credentials from `GO_NETRC`, a service binding of type `netrc` or one of type
//! `git-credentials` (which go asks git for, GOAUTH=git), which end up nowhere: not in the
//! output, the image, the cache or the layers.

use e2e_harness::goproxy::build_goproxy;
use e2e_harness::test_app::{app, app_with_bindings, assert_contains, plain, TestApp};
use e2e_harness::workspace_root;
use e2e_harness::StaticServer;

const LOGIN: &str = "gopher";
const SECRET: &str = "s3cr3t-tok3n-5f1c9d";
/// Where the build finds the private server's certificate (`SSL_CERT_FILE`): a file of the app.
const CA_FILE: &str = "test-module-server-ca.pem";

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
        let (server, certificate) = StaticServer::start_private(
            dir.path(),
            e2e_harness::services::services_address(),
            LOGIN,
            SECRET,
        )
        .expect("private server");
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
            (
                "SSL_CERT_FILE",
                e2e_harness::test_app::in_workspace(CA_FILE),
            ),
        ]
    }

    /// The build fetched the private module from this server.
    fn assert_served_the_module(&self) {
        let requests = self.server.requests();
        assert!(
            requests
                .iter()
                .any(|path| path == "/example.test/banner/@v/v1.0.0.zip"),
            "{requests:?}"
        );
    }

    /// with-dependency, with the server's certificate, and `bindings` (files under /platform)
    /// mounted into its builds.
    fn app(&self, bindings: &[(&str, String)]) -> TestApp {
        let app = if bindings.is_empty() {
            app("with-dependency")
        } else {
            app_with_bindings("with-dependency", bindings)
        };
        app.write(CA_FILE, &self.certificate);
        app
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
    let found = app.files_containing(SECRET.as_bytes()).expect("scan");
    assert!(found.is_empty(), "the secret was persisted in {found:?}");
    // The scan sees the build cache (the module cache's files are found in its layer tarball)
    // and the whole image (the app's own source is found at /workspace).
    let module_files = app
        .files_containing(b"func For(name string) string")
        .expect("scan");
    assert!(
        module_files.iter().any(|p| p.starts_with("/cache/")),
        "{module_files:?}"
    );
    let app_files = app
        .files_containing(b"banner.For(\"with-dependency\")")
        .expect("scan");
    assert!(
        app_files.iter().any(|p| p.starts_with("/image/workspace/")),
        "{app_files:?}"
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
    private.assert_served_the_module();
    let body = app.get(None);
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
    app.discard_cache().expect("discard cache");
    let refused = app.build_fails(&build_env(&wrong_credentials));
    assert_contains(&refused.log, "a module server wants credentials");
    assert!(
        !refused.log.contains(wrong),
        "the build output holds the secret"
    );
    let found = app.files_containing(wrong.as_bytes()).expect("scan");
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
    let body = app.get(None);
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

#[test]
fn an_untrusted_certificate_and_a_refused_connection_are_named_as_network_faults() {
    let private = PrivateModuleServer::start();
    let app = private.app(&[]);
    // The server's own certificate authority is not given (no SSL_CERT_FILE).
    let settings = [
        ("GOPROXY", private.server.url()),
        ("GO_NETRC", private.netrc()),
    ];
    let untrusted = app.build_fails(&build_env(&settings));
    let port = |url: &str| url.rsplit(':').next().expect("a port").to_string();
    assert_eq!(
        e2e_harness::test_app::error_block(&untrusted.log, "! `go install -- ./...` failed")
            .replace(&port(&private.server.url()), "<port>"),
        "! `go install -- ./...` failed: the TLS certificate of <server>:<port> is not trusted
!
! The go command's output above says:
!
!     main.go:13:2: example.test/banner@v1.0.0: Get \"<services>/example.test/banner/@v/v1.0.0.zip\": tls: failed to verify certificate: x509: certificate signed by unknown authority
!
! This is a network problem between the build and the module server, not a problem in the app's code.
!
! The go command could not verify the certificate this server presented: it is signed by an authority the build does not trust, has expired, or names another host.
!
! If the server (a module proxy or git server of your own, or a proxy that inspects TLS) uses a private certificate authority, give the build that authority: set SSL_CERT_FILE to a PEM file that holds it (such as a file in the app: `SSL_CERT_FILE=/workspace/certs/ca.pem`), or run a buildpack that installs the certificates of a `ca-certificates` binding before this one. If the certificate has expired or names another host, the server's owner must replace it.
!
! Details for debugging:
! Command failed `go install -- ./...`
! exit status: 1
! stdout: <see above>
! stderr: <see above>
!
! Error id: go/command/certificate"
    );
    assert!(!untrusted.log.contains(SECRET));

    // A port nobody listens on: the connection is refused.
    let closed = std::net::TcpListener::bind((e2e_harness::services::services_address(), 0))
        .and_then(|listener| listener.local_addr())
        .expect("a free port");
    let refused = app.build_fails(&[("GOPROXY", &format!("http://{closed}"))]);
    assert_eq!(
        e2e_harness::test_app::error_block(&refused.log, "! `go install -- ./...` failed")
            .replace(&closed.port().to_string(), "<port>"),
        "! `go install -- ./...` failed: <server>:<port> refused or dropped the connection
!
! The go command's output above says:
!
!     main.go:13:2: example.test/banner@v1.0.0: Get \"<services>/example.test/banner/@v/v1.0.0.zip\": dial tcp <server>:<port>: connect: connection refused
!
! This is a network problem between the build and the module server, not a problem in the app's code.
!
! The server is down, not listening on that port, or a firewall turned the build away. Check the URL in GOPROXY (scheme, host and port) and that the build's network may reach it, then build again.
!
! Details for debugging:
! Command failed `go install -- ./...`
! exit status: 1
! stdout: <see above>
! stderr: <see above>
!
! Error id: go/command/connection"
    );
}

#[test]
fn a_git_credentials_binding_lets_go_fetch_private_modules_through_git_and_is_kept_nowhere() {
    let private = PrivateModuleServer::start();
    let app = private.app(&[
        (
            "/platform/bindings/git/type",
            String::from("git-credentials\n"),
        ),
        (
            "/platform/bindings/git/credentials",
            format!(
                "protocol=https\nhost={}\nusername={LOGIN}\npassword={SECRET}\n",
                private.machine()
            ),
        ),
    ]);
    let report = app.build_ok(&build_env(&private.env()));
    let log = plain(&report.log);
    let section = log
        .split("- Private module credentials\n")
        .nth(1)
        .and_then(|rest| rest.split("\n- ").next())
        .unwrap_or_else(|| panic!("no credentials section in:\n{log}"));
    assert_eq!(
        section.replace(&private.machine(), "<server>"),
        "  - Git credentials from the binding `git` for https://<server>
  - git reads the git credentials through a credential helper (GIT_CONFIG_GLOBAL), from files outside the layers that are removed when the build ends
  - Module servers that ask for credentials get them from git too (GOAUTH=netrc;git)"
    );
    private.assert_served_the_module();
    assert_eq!(
        app.get(None),
        "*** hello, with-dependency (greeting v1.1.0) ***\n"
    );
    assert_secret_kept_nowhere(&app, &report.log);
}
