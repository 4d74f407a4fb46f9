use super::*;
use crate::inventory::{parse_inventory, resolve_release, version_request, InventoryLocation};
use go_cnb_common::go_mod::parse_go_mod;
use libherokubuildpack::inventory::artifact::Arch;
use std::path::Path;

fn buildpack_error(error: GoBuildpackError) -> String {
    error_message(&libcnb::Error::BuildpackError(error))
}

#[test]
fn every_id_is_its_own() {
    let ids: Vec<&str> = ErrorId::ALL.iter().map(|id| id.as_str()).collect();
    let unique: std::collections::BTreeSet<&&str> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "an id is used twice: {ids:?}");
    assert!(ids.iter().all(|id| id.starts_with("go/")), "{ids:?}");
}

#[test]
fn malformed_go_mod() {
    let error = parse_go_mod("module m\n\ngo 1.x\n", Path::new("go.mod")).expect_err("malformed");
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::GoMod(error)));
}

#[test]
fn unreadable_inputs() {
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::GoMod(GoModError::Read {
        path: std::path::PathBuf::from("go.mod"),
        source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
    })));
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::Inventory(
        InventoryError::Unreadable {
            location: InventoryLocation::Configured(String::from(
                "https://inventory.example/go.toml"
            )),
            reason: String::from("request to https://inventory.example/go.toml failed: HTTP 404"),
        }
    )));
}

#[test]
fn download_write_failure() {
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::GoDist(
        GoDistError::Download(DownloadError::Write {
            url: String::from("https://go.dev/dl/go1.26.6.linux-amd64.tar.gz"),
            source: std::io::Error::from(std::io::ErrorKind::StorageFull),
        })
    )));
}

#[test]
fn every_version_source_hint() {
    let inventory = crate::inventory::tests::inventory();
    let requirement = "1.24".parse().expect("requirement");
    let cases = [
        ("module m\ngo 1.24.2\n", None, None),
        ("module m\ngo 1.24.2\ntoolchain go1.24.3\n", None, None),
        ("module m\n// +heroku goVersion go1.24\n", None, None),
        ("module m\n", None, Some(&requirement)),
        ("module m\n", Some("go 1.24.0\nuse .\n"), None),
        (
            "module m\n",
            Some("go 1.24.0\ntoolchain go1.24.5\nuse .\n"),
            None,
        ),
    ];
    let mut shown = Vec::new();
    for (go_mod, go_work, env) in cases {
        let go_mod = parse_go_mod(go_mod, Path::new("go.mod")).expect("parses");
        let go_work = go_work.map(|text| {
            go_cnb_common::go_work::parse_go_work(text, Path::new("go.work")).expect("go.work")
        });
        let request = version_request(&go_mod, go_work.as_ref(), env);
        let error = resolve_release(
            &inventory,
            &InventoryLocation::BuiltIn,
            &request,
            Arch::Amd64,
        )
        .expect_err("no 1.24");
        shown.push(buildpack_error(GoBuildpackError::Resolve(error)));
    }
    insta::assert_snapshot!(shown.join("\n\n----\n\n"));
}

#[test]
fn malformed_go_work() {
    let error =
        go_cnb_common::go_work::parse_go_work("go 1.25.0\nuse ./a ./b\n", Path::new("go.work"))
            .expect_err("malformed");
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::GoMod(error)));
}

#[test]
fn unknown_goversion_env() {
    let inventory = parse_inventory(
        "artifacts = []\n",
        &InventoryLocation::Configured(String::from("/srv/go.toml")),
    )
    .expect("parses");
    let go_mod = parse_go_mod("module m\ngo 1.24.2\n", Path::new("go.mod")).expect("parses");
    let requirement = "1.99".parse().expect("requirement");
    let request = version_request(&go_mod, None, Some(&requirement));
    let error = resolve_release(
        &inventory,
        &InventoryLocation::Configured(String::from("/srv/go.toml")),
        &request,
        Arch::Arm64,
    )
    .expect_err("empty inventory");
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::Resolve(error)));
}

#[test]
fn malformed_inventory() {
    let error = parse_inventory(
        "[[artifacts]]\nversion = \"1.26.6\"\n",
        &InventoryLocation::Configured(String::from(
            "https://[redacted]@inventory.example/go.toml",
        )),
    )
    .expect_err("malformed");
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::Inventory(error)));
}

#[test]
fn checksum_mismatch() {
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::GoDist(
        GoDistError::Download(DownloadError::ChecksumMismatch {
            url: String::from("https://go.dev/dl/go1.26.6.linux-amd64.tar.gz"),
            expected: String::from("aa"),
            actual: String::from("bb"),
        })
    )));
}

#[test]
fn unsupported_arch() {
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::Resolve(
        ResolveError::UnsupportedArch {
            arch: String::from("riscv64")
        }
    )));
}

#[test]
fn no_main_packages() {
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::GoCommand(
        GoCommandError::NoMainPackages {
            patterns: String::from("./..."),
            package_source: PackageSource::AllPackages,
        }
    )));
}

#[test]
fn go_mod_without_module_line() {
    let error = parse_go_mod("go 1.25.0\n", Path::new("go.mod")).expect_err("no module");
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::GoMod(error)));
}

#[test]
fn configuration_errors() {
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::Config(
        ConfigError::NotABoolean {
            name: "GO_INSTALL_TOOLS_IN_IMAGE",
            value: String::from("maybe"),
        }
    )));
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::Config(
        ConfigError::LinkerValueMissing
    )));
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::Config(
        ConfigError::NotAPositiveNumber {
            name: "GO_DOWNLOAD_STALL_TIMEOUT",
            value: String::from("0.5"),
        }
    )));
}

#[test]
fn download_and_unpack_failures() {
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::GoDist(
        GoDistError::Download(DownloadError::Request {
            url: String::from("https://[redacted]@mirror.example/go1.26.6.linux-amd64.tar.gz"),
            reason: String::from("the server answered HTTP 404"),
        })
    )));
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::GoDist(
        GoDistError::Unpack {
            url: String::from("https://go.dev/dl/go1.26.6.linux-amd64.tar.gz"),
            reason: String::from("the archive has no go/bin/go (3 entries unpacked)"),
        }
    )));
}

#[test]
fn truncated_download_after_retries() {
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::GoDist(
        GoDistError::Download(DownloadError::AttemptsExhausted {
            attempts: 4,
            last: Box::new(DownloadError::Truncated {
                url: String::from("https://go.dev/dl/go1.26.6.linux-amd64.tar.gz"),
                received: 1024,
                expected: 65_536,
            }),
        })
    )));
}

#[test]
fn flag_like_package_pattern() {
    let error = crate::go_packages::package_patterns(
        &[],
        &[String::from("-toolexec=./hook.sh"), String::from("./...")],
        None,
    )
    .expect_err("refused");
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::PackagePattern(error)));
}

#[test]
fn a_huge_go_line_is_echoed_cut_short() {
    let contents = format!("module myapp\n\ngo 1.2{}\n", "6".repeat(5_000_000));
    let error = parse_go_mod(&contents, Path::new("go.mod")).expect_err("malformed");
    let shown = buildpack_error(GoBuildpackError::GoMod(error));
    assert!(shown.len() < 2_000, "{} bytes", shown.len());
    insta::assert_snapshot!(shown);
}

#[test]
fn layer_file_errors() {
    let denied = || std::io::Error::from(std::io::ErrorKind::PermissionDenied);
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::PrepareBuildCache(
        denied()
    )));
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::RemoveStaleBinaries(
        denied()
    )));
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::ArchiveToolchain(
        std::io::Error::from(std::io::ErrorKind::StorageFull)
    )));
}

fn failed_go_command(name: &str, stderr: &str) -> GoBuildpackError {
    let output = std::process::Output {
        status: std::os::unix::process::ExitStatusExt::from_raw(256),
        stdout: Vec::new(),
        stderr: stderr.as_bytes().to_vec(),
    };
    let error = fun_run::nonzero_streamed(name.to_string(), output).expect_err("exit 1");
    GoBuildpackError::GoCommand(GoCommandError::Failed(error))
}

#[test]
fn failing_go_command() {
    insta::assert_snapshot!(buildpack_error(failed_go_command(
        "go install -- ./...",
        "main.go:3:1: syntax error: non-declaration statement outside function body\n"
    )));
}

#[test]
fn go_command_refused_for_credentials() {
    insta::assert_snapshot!(buildpack_error(failed_go_command(
        "go install -- ./...",
        "go: example.com/private@v1.0.0: reading https://goproxy.corp.example/example.com/private/@v/v1.0.0.mod: 401 Unauthorized\n"
    )));
    let git_prompt = buildpack_error(failed_go_command(
        "go install -- ./...",
        "fatal: could not read Username for 'https://github.com': terminal prompts disabled\n",
    ));
    assert!(
        git_prompt.contains("a module server wants credentials"),
        "{git_prompt}"
    );
}

#[test]
fn go_command_network_faults() {
    let install = "go install -- ./...";
    insta::assert_snapshot!(buildpack_error(failed_go_command(
        install,
        "go: downloading example.test/m v1.0.0\ngo: example.test/m@v1.0.0: Get \"https://goproxy.corp.test/example.test/m/@v/v1.0.0.zip\": tls: failed to verify certificate: x509: certificate signed by unknown authority\n"
    )));
    insta::assert_snapshot!(buildpack_error(failed_go_command(
        install,
        "go: example.test/m@v1.0.0: Get \"https://proxy.golang.org/example.test/m/@v/v1.0.0.mod\": dial tcp: lookup proxy.golang.org on 10.0.0.2:53: read udp 10.0.0.5:41000->10.0.0.2:53: i/o timeout\n"
    )));
    insta::assert_snapshot!(buildpack_error(failed_go_command(
        install,
        "go: example.test/m@v1.0.0: Get \"http://172.17.0.1:9/example.test/m/@v/v1.0.0.mod\": dial tcp 172.17.0.1:9: connect: connection refused\n"
    )));
    insta::assert_snapshot!(buildpack_error(failed_go_command(
        install,
        "go: example.test/m@v1.0.0: Get \"https://goproxy.corp.test/example.test/m/@v/v1.0.0.zip\": net/http: TLS handshake timeout\n"
    )));
    insta::assert_snapshot!(buildpack_error(failed_go_command(
        install,
        "go: example.test/m@v1.9.9: reading https://goproxy.corp.test/example.test/m/@v/v1.9.9.mod: 404 Not Found\n\tserver response: not found: example.test/m@v1.9.9: invalid version: unknown revision v1.9.9\n"
    )));
    insta::assert_snapshot!(buildpack_error(failed_go_command(
        install,
        "go: example.test/m@v1.0.0: reading https://goproxy.corp.test/example.test/m/@v/v1.0.0.zip: 502 Bad Gateway\n"
    )));
}

#[test]
fn a_stalled_go_command() {
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::GoCommand(
        GoCommandError::Stalled {
            stall: crate::go_watchdog::Stall {
                name: String::from("go install -- ./..."),
                window: std::time::Duration::from_mins(2),
                last_line: Some(String::from("go: downloading example.test/m v1.0.0")),
            },
            goproxy: String::from("https://[redacted]@goproxy.corp.example,direct"),
        }
    )));
}

#[test]
fn netrc_errors() {
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::Netrc(
        NetrcError::BindingWithoutNetrc {
            binding: std::path::PathBuf::from("/platform/bindings/modules")
        }
    )));
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::Netrc(
        NetrcError::Unreadable {
            what: String::from("the binding `modules`"),
            source: std::io::Error::from(std::io::ErrorKind::PermissionDenied)
        }
    )));
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::Netrc(
        NetrcError::NoMachine {
            source_name: String::from("GO_NETRC")
        }
    )));
}

#[test]
fn credentials_write_error() {
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::CredentialsWrite(
        std::io::Error::from(std::io::ErrorKind::StorageFull)
    )));
}

#[test]
fn git_credentials_errors() {
    use crate::git_credentials::GitCredentialsError;
    use go_cnb_common::git_credential::GitCredentialError;
    let what = || String::from("the binding `git`");
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::GitCredentials(
        GitCredentialsError::BindingWithoutCredentials {
            binding: std::path::PathBuf::from("/platform/bindings/git")
        }
    )));
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::GitCredentials(
        GitCredentialsError::Unreadable {
            what: what(),
            source: std::io::Error::from(std::io::ErrorKind::PermissionDenied)
        }
    )));
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::GitCredentials(
        GitCredentialsError::Malformed {
            what: what(),
            problem: GitCredentialError::NotKeyValue { line: 3 }
        }
    )));
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::GitCredentials(
        GitCredentialsError::BadContext {
            what: what(),
            problem: go_cnb_common::git_credential::check_scope("https://bot:token@git.example")
                .expect_err("a login in the context")
        }
    )));
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::GitCredentials(
        GitCredentialsError::NoUrl { what: what() }
    )));
}

#[test]
fn sbom_errors() {
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::Sbom(
        crate::sbom::SbomError::NoBuildInfo(String::from("web"))
    )));
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::Sbom(
        crate::sbom::SbomError::ReadBinary {
            name: String::from("web"),
            source: std::io::Error::from(std::io::ErrorKind::PermissionDenied)
        }
    )));
}

#[test]
fn unsafe_module_path_for_gopath() {
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::UnsafeModulePath(
        String::from("example.com/../../etc")
    )));
}

#[test]
fn gopath_link_failure() {
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::GoPathLink(
        std::io::Error::from(std::io::ErrorKind::PermissionDenied)
    )));
}

#[test]
fn bad_goversion_env() {
    let error = "newest"
        .parse::<go_cnb_common::go_version::GoVersionRequirement>()
        .expect_err("bad");
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::Config(
        ConfigError::GoVersion(error)
    )));
}

#[test]
fn malformed_procfiles() {
    for text in [
        "web: myapp\nworker myapp --queue jobs\n",
        "web: a\nweb: b\n",
    ] {
        let error = go_cnb_common::procfile::parse_procfile(text).expect_err("malformed");
        insta::assert_snapshot!(buildpack_error(GoBuildpackError::Procfile(
            crate::processes::ProcfileReadError::Malformed(
                std::path::PathBuf::from("/workspace/Procfile"),
                error
            )
        )));
    }
}

#[test]
fn build_flag_errors() {
    use crate::build_flags::BuildFlagsError;
    use go_cnb_common::go_quoted::UnterminatedQuote;
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::BuildFlags(
        BuildFlagsError::Unterminated {
            variable: "GO_LDFLAGS",
            value: String::from("-s -X 'main.greeting=hello"),
            error: UnterminatedQuote {
                quote: '\'',
                position: 7,
            },
        }
    )));
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::BuildFlags(
        BuildFlagsError::NotAFlagList {
            variable: "GO_GCFLAGS",
            value: String::from("all=-N -l"),
        }
    )));
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::BuildFlags(
        BuildFlagsError::PatternInGoflags {
            flag: "-ldflags",
            value: String::from("all=-s"),
            others: String::from("GO_LDFLAGS and GO_LINKER_SYMBOL"),
        }
    )));
}

#[test]
fn keep_files_errors() {
    use crate::config::ConfigError;
    use crate::keep_files::{KeepFiles, KeepFilesError};
    let bad_glob = KeepFiles::parse("templates/**:static/[a-").expect_err("unclosed class");
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::Config(
        ConfigError::KeepFiles(bad_glob)
    )));
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::Config(
        ConfigError::KeepFilesWithGopath
    )));
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::KeepFiles(
        KeepFilesError::Remove {
            path: std::path::PathBuf::from("/workspace/main.go"),
            source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        }
    )));
}

#[test]
fn peer_variable_errors() {
    use crate::peer_variables::PeerVariableError;
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::PeerVariable(
        PeerVariableError::Conflict {
            peer: "BP_GO_VERSION",
            peer_value: String::from("1.25.*"),
            ours: "GOVERSION",
            our_value: String::from("1.26"),
        }
    )));
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::PeerVariable(
        PeerVariableError::Refused {
            peer: "GOOGLE_ENTRYPOINT",
            value: String::from("myapp --port 8080"),
            instead: "Add a Procfile with a `web:` line holding the command (such as `web: myapp --port $PORT`): its `web` process is the image's default.",
        }
    )));
    insta::assert_snapshot!(buildpack_error(GoBuildpackError::PeerVariable(
        PeerVariableError::NotABoolean {
            value: String::from("maybe"),
        }
    )));
}
