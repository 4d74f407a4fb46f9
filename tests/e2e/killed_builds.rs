//! End-to-end: builds killed halfway (`docker kill` of the build container, as a platform's
//! timeout or an evicted pod does) during the toolchain download, during `go install` and
//! during export. The next build succeeds, reuses what was whole and says so, and redoes what
//! the killed build did not finish.

use e2e_harness::test_app::{app, go_output};
use e2e_harness::Fault;

/// The healed builds' outputs: the first two switch Go versions (so download and compile
/// anew), the third reuses every cache.
const HEALED_OUTPUTS: &str = r"## Go

- Go version
  - Requested `go 1.25.0` (from the `go` line in go.mod)
  - Resolved Go `1.25.5` for linux/<arch> from GO_INVENTORY (<services>/inventory.toml)
- Go settings
  - GOFLAGS=-trimpath -tags=heroku -modcacherw (the buildpack adds -trimpath, the `heroku` build tag and -modcacherw to yours)
  - GOPROXY=<services>/goproxy
  - GONOSUMDB=example.test
- Go toolchain
  - Discarding cached Go 1.26.6: the requested version changed to 1.25.5
  - Downloading Go 1.25.5 from <services>/mirror/go1.25.5.linux-<arch>.tar.gz ... (<time>)
  - Verified `sha256:<sha256>`
  - Unpacking ... (<time>)
  - Left out what this build never reads (101 MB): the standard library's tests, test data and files for other platforms than linux/<arch>, the toolchain's own sources and docs, and the go tools `go install` does not run here (GO_INSTALL_TOOLS_IN_IMAGE keeps them)
- Go modules
  - Reusing the module cache
- Go build cache
  - Discarding the build cache: Go changed from 1.26 to 1.25
  - Creating an empty build cache
- Binaries
  - Discarding the binaries of the last build: Go changed from 1.26.6 to 1.25.5
  - None kept from an earlier build: go install links every binary
- Go packages
  - Building `./...` (from the default, every package of the module)
  - Running `go install -- ./...`

  - Done (<time>)
  - Wrote a CycloneDX SBOM of the binaries: 1 binary, 2 modules and the standard library
- Processes
  - `withdep`: `/layers/gocnb_go/target/bin/withdep`
  - `web`: `/layers/gocnb_go/target/bin/withdep` (default)
  - At launch, GOMEMLIMIT is 90% of the container's memory limit, when it has one (a GOMEMLIMIT you set wins; GO_MEMLIMIT_FROM_CGROUP=false turns it off)
- Done (finished in <time>)

====

## Go

- Go version
  - Requested `go 1.26.0` (from the `go` line in go.mod)
  - Resolved Go `1.26.6` for linux/<arch> from GO_INVENTORY (<services>/inventory.toml)
- Go settings
  - GOFLAGS=-trimpath -tags=heroku -modcacherw (the buildpack adds -trimpath, the `heroku` build tag and -modcacherw to yours)
  - GOPROXY=<services>/goproxy
  - GONOSUMDB=example.test
- Go toolchain
  - Discarding cached Go 1.25.5: the requested version changed to 1.26.6
  - Downloading Go 1.26.6 from <services>/mirror/go1.26.6.linux-<arch>.tar.gz ... (<time>)
  - Verified `sha256:<sha256>`
  - Unpacking ... (<time>)
  - Left out what this build never reads (119 MB): the standard library's tests, test data and files for other platforms than linux/<arch>, the toolchain's own sources and docs, and the go tools `go install` does not run here (GO_INSTALL_TOOLS_IN_IMAGE keeps them)
- Go modules
  - Reusing the module cache
- Go build cache
  - Discarding the build cache: Go changed from 1.25 to 1.26
  - Creating an empty build cache
- Binaries
  - Discarding the binaries of the last build: Go changed from 1.25.5 to 1.26.6
  - None kept from an earlier build: go install links every binary
- Go packages
  - Building `./...` (from the default, every package of the module)
  - Running `go install -- ./...`

  - Done (<time>)
  - Wrote a CycloneDX SBOM of the binaries: 1 binary, 2 modules and the standard library
- Processes
  - `withdep`: `/layers/gocnb_go/target/bin/withdep`
  - `web`: `/layers/gocnb_go/target/bin/withdep` (default)
  - At launch, GOMEMLIMIT is 90% of the container's memory limit, when it has one (a GOMEMLIMIT you set wins; GO_MEMLIMIT_FROM_CGROUP=false turns it off)
- Done (finished in <time>)

====

## Go

- Go version
  - Requested `go 1.26.0` (from the `go` line in go.mod)
  - Resolved Go `1.26.6` for linux/<arch> from GO_INVENTORY (<services>/inventory.toml)
- Go settings
  - GOFLAGS=-trimpath -tags=heroku -modcacherw (the buildpack adds -trimpath, the `heroku` build tag and -modcacherw to yours)
  - GOPROXY=<services>/goproxy
  - GONOSUMDB=example.test
- Go toolchain
  - Reusing Go 1.26.6 from the cache
- Go modules
  - Reusing the module cache
- Go build cache
  - Reusing the build cache (Go 1.26, <arch>, <distro>)
- Binaries
  - Keeping the binaries of the last build: go install relinks only what changed
- Go packages
  - Building `./...` (from the default, every package of the module)
  - Running `go install -- ./...`

  - Done (<time>)
  - Wrote a CycloneDX SBOM of the binaries: 1 binary, 2 modules and the standard library
  - Pruned the build cache: <entries> this build did not use
- Processes
  - `withdep`: `/layers/gocnb_go/target/bin/withdep`
  - `web`: `/layers/gocnb_go/target/bin/withdep` (default)
  - At launch, GOMEMLIMIT is 90% of the container's memory limit, when it has one (a GOMEMLIMIT you set wins; GO_MEMLIMIT_FROM_CGROUP=false turns it off)
- Done (finished in <time>)";

#[test]
fn builds_killed_during_download_go_install_and_export_heal_on_the_next_build() {
    let app = app("with-dependency");
    app.build_ok(&[]);
    let hello = "*** hello, with-dependency (greeting v1.1.0) ***\n";
    let mut outputs = Vec::new();

    // During the toolchain download: a slow mirror keeps the build in it.
    app.write(
        "go.mod",
        &app.read("go.mod").replace("go 1.26.0", "go 1.25.0"),
    );
    app.services
        .server
        .fail_next("/mirror/go1.25.5.linux-", Fault::Trickle, 1);
    app.build_killed_at(&[], "Downloading Go 1.25.5");
    let healed = app.build_ok(&[]);
    outputs.push(go_output(&healed.log));
    assert_eq!(app.get(None), hello);

    // During go install: a Go version change makes it compile everything anew.
    app.write(
        "go.mod",
        &app.read("go.mod").replace("go 1.25.0", "go 1.26.0"),
    );
    app.build_killed_at(&[], "Running `go install");
    let healed = app.build_ok(&[]);
    outputs.push(go_output(&healed.log));
    assert_eq!(app.get(None), hello);

    // During export: the lifecycle is writing the image and the cache.
    app.write(
        "main.go",
        &app.read("main.go")
            .replace("banner.For(\"with-dependency\")", "banner.For(\"healed\")"),
    );
    app.build_killed_at(&[], "===> EXPORTING");
    let healed = app.build_ok(&[]);
    outputs.push(go_output(&healed.log));
    assert_eq!(app.get(None), "*** hello, healed (greeting v1.1.0) ***\n");
    // Each healed build says what it reused and what it discarded: a killed build leaves no
    // trace in the cache, and the one killed in export left the cache of the build before it.
    assert_eq!(outputs.join("\n\n====\n\n"), HEALED_OUTPUTS);
}
