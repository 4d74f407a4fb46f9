//! End-to-end: the platforms beyond one laptop's `pack build`: builders with a `[stack]` (as
//! kpack's), a lifecycle of older platforms, images of another uid, run images without
//! certificates, registry cache images (kpack, Tekton), builds without their cache volume, and
//! groups of buildpacks around this one (Heroku's: a Procfile buildpack after it, a
//! buildpack providing C libraries before it, buildpacks that need `go` after it).

use e2e_harness::pack_cli::{Publish, RunningContainer};
use e2e_harness::registry::LocalRegistry;
use e2e_harness::test_app::{
    app, app_on, assert_contains, buildpack_dir, go_output, plain, DEFAULT_BUILDER,
};

const HELLO: &str = "hello from root-main, built with go1.25.5\n";

/// The builder of `tools/platform/setup.sh` that brings `condition`.
fn builder_with(condition: &str) -> String {
    format!("{DEFAULT_BUILDER}-{condition}")
}

/// The lines of the buildpack's output from its `- Processes` header to the end.
fn processes_section(log: &str) -> String {
    let output = go_output(log);
    output[output.find("- Processes").expect("a Processes section")..].to_string()
}

#[test]
fn a_procfile_without_a_procfile_buildpack_gives_the_image_its_processes() {
    let app = app("root-main");
    app.write(
        "Procfile",
        "# on Heroku\nweb: myapp\nconsole: echo \"console on port $PORT\"\n",
    );
    let report = app.build_ok(&[]);
    assert_eq!(
        processes_section(&report.log),
        "- Processes
  - Registering the Procfile's processes too, so the image starts without a Procfile buildpack (one later in the build replaces them with its own)
  - `myapp`: `/layers/gocnb_go/target/bin/myapp`
  - `web`: `myapp` (Procfile) (default)
  - `console`: `bash -c echo \"console on port $PORT\"` (Procfile)
  - At launch, GOMEMLIMIT is 90% of the container's memory limit, when it has one (a GOMEMLIMIT you set wins; GO_MEMLIMIT_FROM_CGROUP=false turns it off)
- Done (finished in <time>)"
    );
    app.assert_processes(&[("console", false), ("myapp", false), ("web", true)]);
    assert_eq!(app.get(None), HELLO);
    assert_eq!(
        app.run_with(Some("console"), &[], &[("PORT", "1234")]),
        "console on port 1234\n"
    );
}

#[test]
fn a_malformed_procfile_fails_before_any_download() {
    let app = app("root-main");
    app.write("Procfile", "web: myapp\nworker myapp\n");
    let report = app.build_fails(&[]);
    assert_eq!(
        e2e_harness::test_app::error_block(&report.log, "! The Procfile is malformed"),
        "! The Procfile is malformed
!
! /workspace/Procfile:2: expected `<process type>: <command>`
!
!     worker myapp
!
! Each line of a Procfile is `<process type>: <command>`, such as `web: myapp -port $PORT`; blank lines and lines starting with `#` are skipped. Fix that line and build again.
!
! Error id: go/procfile/malformed"
    );
    assert_eq!(app.services.downloads(), Vec::<String>::new());
}

#[test]
fn a_procfile_buildpack_after_this_one_replaces_the_procfile_processes() {
    let app = app("root-main").in_group(&[], &["procfile"]);
    app.write("Procfile", "web: myapp\n");
    let report = app.build_ok(&[]);
    assert_contains(&report.log, "[procfile] web: myapp");
    let processes = app.processes().expect("processes");
    let web = processes
        .iter()
        .find(|process| process.process_type == "web")
        .expect("a web process");
    assert_eq!(web.command, ["bash", "-c", "exec myapp"], "{processes:?}");
    assert!(web.default, "{processes:?}");
    assert_eq!(app.get(None), HELLO);
}

#[test]
fn a_c_library_from_a_buildpack_before_and_a_buildpack_after_that_runs_go() {
    let app = app("cgo-greeting").in_group(&["c-library"], &["go-user"]);
    let report = app.build_ok(&[]);
    assert_contains(&report.log, "[c-library] libgreeting.a and greeting.h in");
    // The buildpack after this one requires `go` and gets the release this one installed.
    assert_contains(&report.log, "[go-user] go version go1.25.5 linux/amd64");
    // It may run any go command: the toolchain keeps the programs a build alone leaves out,
    // and the other platforms' files.
    assert_contains(&report.log, "[go-user] go vet ./... passed");
    assert!(
        !report.log.contains("files for other platforms"),
        "{}",
        report.log
    );
    assert_eq!(app.get(None), "hello from libgreeting, through cgo\n");
}

#[test]
fn the_buildpack_declares_any_stack_and_builds_on_a_stack_builder() {
    let descriptor: toml::Table = toml::from_str(
        &std::fs::read_to_string(buildpack_dir().join("buildpack.toml")).expect("buildpack.toml"),
    )
    .expect("TOML");
    assert_eq!(
        descriptor["stacks"].to_string(),
        toml::Value::Array(vec![toml::Value::Table(toml::toml! { id = "*" })]).to_string()
    );
    let arches: Vec<&str> = descriptor["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .filter_map(|target| target["arch"].as_str())
        .collect();
    assert_eq!(arches, ["amd64", "arm64"]);

    let app = app_on("root-main", &builder_with("stack"));
    app.build_ok(&[]);
    assert_eq!(app.get(None), HELLO);
}

#[test]
fn a_lifecycle_offering_platform_api_0_7_to_0_9_builds_and_rebuilds() {
    let builder = builder_with("platform-0.9");
    let metadata = e2e_harness::docker::Image(builder.clone())
        .json_label("io.buildpacks.builder.metadata")
        .expect("the builder's metadata");
    assert_eq!(
        metadata["lifecycle"]["apis"]["platform"]["supported"],
        serde_json::json!(["0.7", "0.8", "0.9"])
    );
    let app = app_on("root-main", &builder);
    app.build_ok(&[]);
    assert_eq!(app.get(None), HELLO);
    app.change_an_input();
    let report = app.build_ok(&[]);
    assert_contains(&report.log, "Reusing Go 1.25.5 from the cache");
    assert_contains(&report.log, "Reusing the build cache");
}

#[test]
fn images_whose_user_is_1001_build_and_rebuild_from_their_caches() {
    let app = app_on("with-dependency", &builder_with("uid1001"));
    app.build_ok(&[]);
    let body = app.get(None);
    app.change_an_input();
    let report = app.build_ok(&[]);
    for kept in [
        "Reusing Go 1.26.6 from the cache",
        "Reusing the module cache",
        "Reusing the build cache",
        "Keeping the binaries of the last build",
    ] {
        assert_contains(&report.log, kept);
    }
    assert_eq!(app.get(None), body);
}

#[test]
fn a_run_image_without_ca_certificates_or_os_release_still_builds() {
    let app = app_on("root-main", &builder_with("bare-run"));
    app.build_ok(&[]);
    assert_eq!(app.get(None), HELLO);
}

#[test]
fn a_rebuild_without_the_cache_volume_builds_from_scratch_and_reuses_the_image_layer() {
    let app = app("root-main");
    app.build_ok(&[]);
    app.discard_cache().expect("remove the cache volume");
    let report = app.build_ok(&[]);
    for line in [
        "Creating an empty module cache",
        "Creating an empty build cache",
    ] {
        assert_contains(&report.log, line);
    }
    // The binaries come out the same, so the image's layer of them is reused.
    assert_contains(&report.log, "Reusing layer 'gocnb/go:target'");
    assert_eq!(app.get(None), HELLO);
}

/// root-main built with `pack build --publish` into a registry, its cache in a cache image.
struct PublishedApp {
    run_image: String,
    image: String,
    cache_image: String,
    app: e2e_harness::test_app::TestApp,
    source: std::path::PathBuf,
    buildpacks: Vec<std::path::PathBuf>,
    env: Vec<(String, String)>,
}

impl PublishedApp {
    fn new(registry: &LocalRegistry) -> Self {
        let app = app("root-main");
        PublishedApp {
            run_image: registry
                .push("gocnb/run:bookworm")
                .expect("push the run image"),
            image: format!("{}/apps/root-main", registry.address()),
            cache_image: format!("{}/apps/root-main-cache", registry.address()),
            source: app.source(),
            buildpacks: vec![buildpack_dir().clone()],
            env: app.build_env(&[]),
            app,
        }
    }

    fn publish(&self) -> Publish<'_> {
        Publish {
            image: &self.image,
            cache_image: &self.cache_image,
            run_image: &self.run_image,
            builder: DEFAULT_BUILDER,
            app: &self.source,
            buildpacks: &self.buildpacks,
            env: &self.env,
        }
    }

    fn build_ok(&self) -> String {
        self.publish()
            .run()
            .unwrap_or_else(|log| panic!("pack build --publish failed:\n{log}"))
    }

    /// What the published image's default process answers.
    fn get(&self) -> String {
        e2e_harness::docker::docker(&["pull", &self.image]).expect("pull the published image");
        let port = e2e_harness::free_port().expect("port");
        let running = RunningContainer::start(&self.image, None, port).expect("docker run");
        let response = e2e_harness::wait_for_http(port, "/", std::time::Duration::from_secs(30))
            .unwrap_or_else(|e| panic!("{e}\n{}", running.logs()));
        drop(running);
        let _ = e2e_harness::docker::docker(&["image", "rm", &self.image]);
        response.body
    }
}

fn local_registry() -> (tempfile::TempDir, LocalRegistry) {
    let dir = tempfile::tempdir().expect("tempdir");
    let registry = LocalRegistry::start(&dir.path().join("registry")).expect("registry");
    (dir, registry)
}

#[test]
fn publishing_with_a_registry_cache_image_reuses_it_on_the_next_build() {
    let (_dir, registry) = local_registry();
    let published = PublishedApp::new(&registry);
    let first = published.build_ok();
    assert_contains(&first, "Creating an empty build cache");
    published.app.change_an_input();
    let second = published.build_ok();
    for kept in [
        "Reusing Go 1.25.5 from the cache",
        "Reusing the module cache",
        "Reusing the build cache",
        "Keeping the binaries of the last build",
    ] {
        assert_contains(&second, kept);
    }
    assert!(
        !plain(&second).contains("Downloading Go"),
        "the second build downloaded Go again:\n{second}"
    );
    assert_eq!(published.get(), HELLO);
}

#[test]
fn a_registry_vanishing_mid_export_fails_the_build_and_poisons_nothing() {
    let (_dir, mut registry) = local_registry();
    let published = PublishedApp::new(&registry);
    published.build_ok();
    let edited = published
        .app
        .read("main.go")
        .replace("hello from root-main", "hello again from root-main");
    published.app.write("main.go", &edited);

    let failed = published
        .publish()
        .run_interrupted("===> EXPORTING", || registry.stop())
        .unwrap_or_else(|error| panic!("{error}"));
    // The lifecycle names the registry it could not reach.
    let error = plain(&failed)
        .lines()
        .skip_while(|line| !line.contains("===> EXPORTING"))
        .find(|line| line.starts_with("ERROR: "))
        .map_or_else(
            || panic!("no error after the export began:\n{failed}"),
            String::from,
        );
    assert!(
        error.contains(&format!(
            "{}: connect: connection refused",
            registry.address()
        )),
        "{error}"
    );

    // The registry is back: the next build restores the last good cache image and publishes.
    registry.restart().expect("restart the registry");
    let healed = published.build_ok();
    assert_contains(&healed, "Reusing Go 1.25.5 from the cache");
    assert_eq!(
        published.get(),
        "hello again from root-main, built with go1.25.5\n"
    );
}
