//! The basics through pack: apps built, started in containers and asked over HTTP, rebuilt with
//! and without changes.

use e2e_harness::test_app::{app, assert_contains, go_output, plain, TestApp};

/// The cached toolchain keeps what `go install` reads: not the docs, API lists, the toolchain's
/// own sources or the programs of `pkg/tool` a build does not run.
fn assert_toolchain_holds_only_what_go_install_reads(app: &TestApp) {
    let toolchain = app.cached_layer_files("go-dist");
    let tools: Vec<&str> = toolchain
        .iter()
        .filter_map(|file| file.strip_prefix("pkg/tool/"))
        .filter_map(|file| file.split_once('/').map(|(_, program)| program))
        .collect();
    assert_eq!(tools, ["asm", "cgo", "compile", "link"]);
    assert!(toolchain.contains(&String::from("bin/go")));
    assert!(toolchain.contains(&String::from("src/net/http/server.go")));
    let left_out = ["api/", "doc/", "misc/", "src/cmd/", "test/"];
    assert!(
        !toolchain
            .iter()
            .any(|file| left_out.iter().any(|dir| file.starts_with(dir))),
        "{toolchain:?}"
    );
}

/// root-main rebuilt without any change.
const ROOT_MAIN_UNCHANGED: &str = "## Go

- Go version
  - Requested `go 1.25.0` (from the `go` line in go.mod)
  - Resolved Go `1.25.5` for linux/<arch> from GO_INVENTORY (<services>/inventory.toml)
- Go settings
  - GOFLAGS=-trimpath -tags=heroku -modcacherw (the buildpack adds -trimpath, the `heroku` build tag and -modcacherw to yours)
  - GOPROXY=<services>/goproxy
  - GONOSUMDB=example.test
- Binaries
  - Nothing changed since the last build (the app's files, Go 1.25.5, the environment, the buildpack): keeping its binaries, without unpacking the toolchain or running go
  - Wrote a CycloneDX SBOM of the binaries: 1 binary, 0 modules and the standard library
- Processes
  - `myapp`: `/layers/gocnb_go/target/bin/myapp`
  - `web`: `/layers/gocnb_go/target/bin/myapp` (default)
  - At launch, GOMEMLIMIT is 90% of the container's memory limit, when it has one (a GOMEMLIMIT you set wins; GO_MEMLIMIT_FROM_CGROUP=false turns it off)
- Done (finished in <time>)";

/// root-main rebuilt with its inputs changed but not its packages.
const ROOT_MAIN_CACHES_REUSED: &str = "## Go

- Go version
  - Requested `go 1.25.0` (from the `go` line in go.mod)
  - Resolved Go `1.25.5` for linux/<arch> from GO_INVENTORY (<services>/inventory.toml)
- Go settings
  - GOFLAGS=-trimpath -tags=heroku -modcacherw (the buildpack adds -trimpath, the `heroku` build tag and -modcacherw to yours)
  - GOPROXY=<services>/goproxy
  - GONOSUMDB=example.test
- Go toolchain
  - Reusing Go 1.25.5 from the cache
- Go modules
  - Reusing the module cache
- Go build cache
  - Reusing the build cache (Go 1.25, <arch>, <distro>)
- Binaries
  - Keeping the binaries of the last build: go install relinks only what changed
- Go packages
  - Building `./...` (from the default, every package of the module)
  - Running `go install -- ./...`

  - Done (<time>)
  - Wrote a CycloneDX SBOM of the binaries: 1 binary, 0 modules and the standard library
  - Pruned the build cache: <entries> this build did not use
- Processes
  - `myapp`: `/layers/gocnb_go/target/bin/myapp`
  - `web`: `/layers/gocnb_go/target/bin/myapp` (default)
  - At launch, GOMEMLIMIT is 90% of the container's memory limit, when it has one (a GOMEMLIMIT you set wins; GO_MEMLIMIT_FROM_CGROUP=false turns it off)
- Done (finished in <time>)";

#[test]
fn root_main_package_builds_serves_and_rebuilds_from_cache() {
    let app = app("root-main");
    let first = app.build_ok(&[]);
    // `go 1.25.0` is a minimum within its line: the newest 1.25.x of the inventory.
    assert_eq!(
        go_output(&first.log),
        "## Go

- Go version
  - Requested `go 1.25.0` (from the `go` line in go.mod)
  - Resolved Go `1.25.5` for linux/<arch> from GO_INVENTORY (<services>/inventory.toml)
- Go settings
  - GOFLAGS=-trimpath -tags=heroku -modcacherw (the buildpack adds -trimpath, the `heroku` build tag and -modcacherw to yours)
  - GOPROXY=<services>/goproxy
  - GONOSUMDB=example.test
- Go toolchain
  - Downloading Go 1.25.5 from <services>/mirror/go1.25.5.linux-<arch>.tar.gz ... (<time>)
  - Verified `sha256:<sha256>`
  - Unpacking ... (<time>)
  - Left out what this build never reads (101 MB): the standard library's tests, test data and files for other platforms than linux/<arch>, the toolchain's own sources and docs, and the go tools `go install` does not run here (GO_INSTALL_TOOLS_IN_IMAGE keeps them)
- Go modules
  - Creating an empty module cache
- Go build cache
  - Creating an empty build cache
- Binaries
  - None kept from an earlier build: go install links every binary
- Go packages
  - Building `./...` (from the default, every package of the module)
  - Running `go install -- ./...`

  - Done (<time>)
  - Wrote a CycloneDX SBOM of the binaries: 1 binary, 0 modules and the standard library
- Processes
  - `myapp`: `/layers/gocnb_go/target/bin/myapp`
  - `web`: `/layers/gocnb_go/target/bin/myapp` (default)
  - At launch, GOMEMLIMIT is 90% of the container's memory limit, when it has one (a GOMEMLIMIT you set wins; GO_MEMLIMIT_FROM_CGROUP=false turns it off)
- Done (finished in <time>)"
    );
    assert_eq!(
        first.image_layers,
        vec!["target"],
        "only the binaries are launched"
    );
    assert_eq!(
        first.cache_layers,
        vec!["go-build-cache", "go-dist", "go-modules", "target"]
    );
    assert_toolchain_holds_only_what_go_install_reads(&app);
    app.assert_processes(&[("myapp", false), ("web", true)]);
    let body = app.get(None);
    assert_eq!(body, "hello from root-main, built with go1.25.5\n");

    // A rebuild without changes keeps the binaries, runs no go command and downloads nothing.
    app.services.server.clear_requests();
    let second = app.build_ok(&[]);
    assert_eq!(go_output(&second.log), ROOT_MAIN_UNCHANGED);
    assert_eq!(app.get(None), "hello from root-main, built with go1.25.5\n");
    assert_eq!(app.services.downloads(), Vec::<String>::new());

    // A rebuild whose inputs changed but whose packages did not reuses every cache.
    app.change_an_input();
    let reused = app.build_ok(&[]);
    assert_eq!(go_output(&reused.log), ROOT_MAIN_CACHES_REUSED);
    assert_eq!(app.services.downloads(), Vec::<String>::new());

    // An edit to main.go shows up in the rebuilt app.
    let edited = app
        .read("main.go")
        .replace("hello from root-main", "hello again from root-main");
    app.write("main.go", &edited);
    let third = app.build_ok(&[]);
    assert_contains(&third.log, "Reusing Go 1.25.5 from the cache");
    let body = app.get(None);
    assert_eq!(body, "hello again from root-main, built with go1.25.5\n");
}

#[test]
fn web_and_worker_commands_become_processes() {
    let app = app("multi-cmd");
    let report = app.build_ok(&[]);
    assert_contains(&report.log, "Resolved Go `1.26.6`");
    app.assert_processes(&[("web", true), ("worker", false)]);
    // The internal package is compiled in, not installed.
    assert_eq!(
        app.image_binaries(),
        ["web", "worker"].iter().map(|s| (*s).to_string()).collect()
    );

    let body = app.get(None);
    assert_eq!(body, "hello from the web process\n");
    let worker_output = app.run_to_exit(Some("worker"));
    assert_eq!(worker_output, "hello from the worker process: job done\n");
}

#[test]
fn several_binaries_without_web_get_no_default_and_a_warning() {
    let app = app("multi-cmd");
    std::fs::rename(app.source().join("cmd/web"), app.source().join("cmd/api")).expect("rename");
    let report = app.build_ok(&[]);
    assert_contains(
        &report.log,
        "None of the processes is named `web`, so the image has no default process.",
    );
    assert_contains(&report.log, "set GO_INSTALL_PACKAGE_SPEC");
    let processes = app.processes().expect("processes");
    assert!(processes.iter().all(|p| !p.default));
    assert_eq!(processes.len(), 2);
    let body = app.get(Some("api"));
    assert_eq!(body, "hello from the web process\n");

    // What the warning advises works on any builder: a Procfile `web:` line is the default.
    app.write("Procfile", "web: api\n");
    let report = app.build_ok(&[]);
    assert!(
        !plain(&report.log).contains("no default process"),
        "{}",
        report.log
    );
    assert_eq!(app.get(None), "hello from the web process\n");
}

#[test]
fn module_dependencies_come_from_goproxy_and_are_cached() {
    let app = app("with-dependency");
    let first = app.build_ok(&[]);
    // go install fetches what it needs and says so; there is no separate download pass.
    assert_contains(&first.log, "go: downloading example.test/banner v1.0.0");
    assert!(
        !plain(&first.log).contains("go mod download"),
        "{}",
        first.log
    );
    let downloads = app.services.downloads();
    assert!(
        downloads
            .iter()
            .any(|d| d == "/goproxy/example.test/banner/@v/v1.0.0.zip"),
        "{downloads:?}"
    );
    let body = app.get(None);
    assert_eq!(body, "*** hello, with-dependency (greeting v1.1.0) ***\n");

    app.services.server.clear_requests();
    app.change_an_input();
    let second = app.build_ok(&[]);
    assert_contains(&second.log, "Reusing the module cache");
    assert_eq!(
        app.services.downloads(),
        Vec::<String>::new(),
        "{}",
        second.log
    );
}

#[test]
fn changing_go_version_replaces_go_dist_and_discards_build_cache() {
    let app = app("root-main");
    app.build_ok(&[]);
    app.write(
        "go.mod",
        &app.read("go.mod").replace("go 1.25.0", "go 1.26.0"),
    );
    let report = app.build_ok(&[]);
    assert_contains(
        &report.log,
        "Discarding cached Go 1.25.5: the requested version changed to 1.26.6",
    );
    assert_contains(
        &report.log,
        "Discarding the build cache: Go changed from 1.25 to 1.26",
    );
    assert_contains(&report.log, "Reusing the module cache");
    let metadata = app
        .cached_layer_metadata("go-dist")
        .expect("go-dist metadata");
    assert_eq!(
        metadata.get("version").and_then(|v| v.as_str()),
        Some("1.26.6")
    );
    let body = app.get(None);
    assert_eq!(body, "hello from root-main, built with go1.26.6\n");
}

#[test]
fn without_go_mod_detect_fails_and_says_why() {
    let app = app("no-go-mod");
    let report = app.build_fails(&[]);
    assert!(!report.detect_passed, "{}", report.log);
    assert_contains(&report.log, "No go.mod at the root of the app.");
    assert_eq!(app.services.downloads(), Vec::<String>::new());
}

#[test]
fn malformed_go_mod_fails_before_any_download() {
    let app = app("root-main");
    app.write("go.mod", "module myapp\n\ngo 1.25.0\ntoolchain 1.26\n");
    let report = app.build_fails(&[]);
    assert_contains(&report.log, "go.mod is malformed");
    assert_contains(&report.log, "Error id: go/go-mod/malformed");
    assert_contains(&report.log, "go.mod:4: `1.26` is not a toolchain name");
    assert_eq!(app.services.downloads(), Vec::<String>::new());
}

#[test]
fn a_failing_go_command_shows_its_output() {
    let app = app("root-main");
    app.write(
        "main.go",
        "package main\n\nfunc main() { undefinedFunction() }\n",
    );
    let report = app.build_fails(&[]);
    assert_contains(&report.log, "undefined: undefinedFunction");
    assert_contains(&report.log, "`go install -- ./...` failed");
    assert_contains(&report.log, "Error id: go/command/failed");
}

#[test]
fn package_patterns_never_become_go_flags() {
    let app = app("root-main");
    // If `-toolexec` reached the go command, it would run this script for every tool call.
    app.write(
        "hook.sh",
        "#!/bin/sh\ntouch \"$(dirname \"$0\")/hook-ran\"\nexec \"$@\"\n",
    );
    std::fs::set_permissions(
        app.source().join("hook.sh"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("chmod");
    app.write(
        "go.mod",
        "// +heroku install -toolexec=/workspace/hook.sh ./...\nmodule myapp\n\ngo 1.25.0\n",
    );
    let report = app.build_fails(&[]);
    assert_contains(&report.log, "A package pattern looks like a go flag");
    assert_contains(
        &report.log,
        "The package pattern `-toolexec=/workspace/hook.sh` (from `// +heroku install` in go.mod) starts with `-`",
    );
    // Refused while reading the app: nothing was downloaded and nothing ran.
    assert_eq!(app.services.downloads(), Vec::<String>::new());
    assert!(
        !plain(&report.log).contains("Running `go"),
        "{}",
        report.log
    );

    app.write("go.mod", "module myapp\n\ngo 1.25.0\n");
    let report = app.build_fails(&[("GO_INSTALL_PACKAGE_SPEC", "-exec=/workspace/hook.sh .")]);
    assert_contains(
        &report.log,
        "The package pattern `-exec=/workspace/hook.sh` (from GO_INSTALL_PACKAGE_SPEC) starts with `-`",
    );
    assert_eq!(app.services.downloads(), Vec::<String>::new());
}

#[test]
fn a_linker_value_with_spaces_quotes_and_shell_characters_reaches_the_binary() {
    let app = app("root-main");
    app.write(
        "main.go",
        &app.read("main.go")
            .replace("func main() {", "var linkerValue string\n\nfunc main() {")
            .replace(
                "fmt.Fprintf(w, \"hello from root-main, built with %s\\n\", runtime.Version())",
                "fmt.Fprintf(w, \"linker value: [%s] %s\\n\", linkerValue, runtime.Version())",
            ),
    );
    let value = "a \"v1\" $HOME; `x` \\ y";
    app.build_ok(&[
        ("GO_LINKER_SYMBOL", "main.linkerValue"),
        ("GO_LINKER_VALUE", value),
    ]);
    let body = app.get(None);
    assert_eq!(body, format!("linker value: [{value}] go1.25.5\n"));

    // With only the symbol, the platform's SOURCE_VERSION is the value; the kept binary is
    // relinked because the value changed.
    app.build_ok(&[
        ("GO_LINKER_SYMBOL", "main.linkerValue"),
        ("SOURCE_VERSION", "3f2c1e0"),
    ]);
    let body = app.get(None);
    assert_eq!(body, "linker value: [3f2c1e0] go1.25.5\n");

    // Whitespace with both kinds of quote fits no -ldflags field: it still arrives exactly,
    // and a changed value is relinked.
    for value in ["a \"b\" c'd", "x 'y' \"z\""] {
        let report = app.build_ok(&[
            ("GO_LINKER_SYMBOL", "main.linkerValue"),
            ("GO_LINKER_VALUE", value),
        ]);
        assert_contains(
            &report.log,
            "- The linker value holds whitespace and both kinds of quote, which -ldflags cannot carry: the buildpack hands it to the linker itself, as the go command's -toolexec\n",
        );
        let body = app.get(None);
        assert_eq!(body, format!("linker value: [{value}] go1.25.5\n"));
    }
}

#[test]
fn with_the_toolchain_in_the_image_go_vet_and_go_test_run_in_the_container() {
    let app = app("root-main");
    app.write(
        "main_test.go",
        "package main\n\nimport \"testing\"\n\nfunc TestTruth(t *testing.T) {\n\tif 1+1 != 2 {\n\t\tt.Fatal(\"arithmetic\")\n\t}\n}\n",
    );
    // Without the toolchain in the image, the cached toolchain is only what builds need.
    let first = app.build_ok(&[]);
    assert_contains(&first.log, "Left out what this build never reads (");
    let report = app.build_ok(&[("GO_INSTALL_TOOLS_IN_IMAGE", "true")]);
    assert_contains(
        &report.log,
        "Discarding cached Go 1.25.5: it was installed without the toolchain's own sources (src/cmd), which GO_INSTALL_TOOLS_IN_IMAGE needs in the image",
    );
    // The image holds a toolchain without the standard library's own tests.
    assert_contains(
        &report.log,
        "Left out the standard library's tests and test data (",
    );
    assert_eq!(report.image_layers, vec!["go", "target"]);
    // One container, so that the go commands share its build cache: each would otherwise
    // compile the standard library afresh.
    let output = app.run_with_args(
        Some(e2e_harness::test_app::LAUNCHER_COMMAND),
        &[
            "sh",
            "-c",
            "go version && go vet ./... && go test -count=1 ./... && go build -o /tmp/myapp . && echo built",
        ],
    );
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(lines.len(), 3, "{output}");
    assert_eq!(
        lines[0],
        format!(
            "go version go1.25.5 linux/{}",
            e2e_harness::go_mirror::host_arch()
        )
    );
    assert!(lines[1].starts_with("ok  \tmyapp\t"), "{output}");
    assert_eq!(lines[2], "built");
}

#[test]
fn binaries_are_kept_between_builds_and_a_removed_package_leaves_nothing_behind() {
    let app = app("multi-cmd");
    let first = app.build_ok(&[]);
    assert_contains(
        &first.log,
        "- Wrote a CycloneDX SBOM of the binaries: 2 binaries, 0 modules and the standard library\n",
    );
    let first_sbom = app.sbom("target");
    let unchanged = app.build_ok(&[]);
    assert_contains(&unchanged.log, "Nothing changed since the last build");
    assert_contains(&unchanged.log, "Reusing layer 'gocnb/go:target'");
    assert_eq!(app.sbom("target"), first_sbom);
    // Compiled again with the same packages: nothing is relinked, so the exported layer of
    // binaries is the previous image's, and its SBOM, made again, is the same.
    app.change_an_input();
    let compiled = app.build_ok(&[]);
    assert_contains(&compiled.log, "Keeping the binaries of the last build");
    assert_contains(&compiled.log, "Reusing layer 'gocnb/go:target'");
    assert_eq!(app.sbom("target"), first_sbom);
    app.assert_sbom_describes_binaries(&["web", "worker"]);

    std::fs::rename(
        app.source().join("cmd/worker"),
        app.source().join("cmd/jobs"),
    )
    .expect("rename");
    let renamed = app.build_ok(&[]);
    assert_contains(
        &renamed.log,
        "Removed the binary `worker` of the last build: no main package builds it now",
    );
    assert_eq!(
        app.image_binaries(),
        ["jobs", "web"].iter().map(|s| (*s).to_string()).collect()
    );
    assert_contains(
        &renamed.log,
        "- Wrote a CycloneDX SBOM of the binaries: 2 binaries, 0 modules and the standard library\n",
    );
    app.assert_sbom_describes_binaries(&["jobs", "web"]);
    app.assert_processes(&[("jobs", false), ("web", true)]);
    assert_eq!(
        app.run_to_exit(Some("jobs")),
        "hello from the worker process: job done\n"
    );
}
