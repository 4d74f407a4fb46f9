//! The end-to-end scenarios against a real CNB platform: `pack` with a builder image, in Docker.
//! They need Docker, `pack` and internet access (Go comes from go.dev), so they are ignored by
//! default: `cargo test --test integration_test -- --ignored`. The builder and the target come
//! from `INTEGRATION_TEST_BUILDER` (default `heroku/builder:24`) and `INTEGRATION_TEST_TARGET`
//! (default `x86_64-unknown-linux-musl`), as the CI matrix sets them.

use libcnb_test::{
    assert_contains, BuildConfig, ContainerConfig, PackResult, TestContext, TestRunner,
};
use std::time::{Duration, Instant};

const PORT: u16 = 8080;

fn from_env(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|value| !value.is_empty())
        .unwrap_or_else(|| default.to_string())
}

fn config(fixture: &str) -> BuildConfig {
    let builder = from_env("INTEGRATION_TEST_BUILDER", "heroku/builder:24");
    let mut config = BuildConfig::new(builder, format!("test-fixtures/{fixture}"));
    config.target_triple(from_env(
        "INTEGRATION_TEST_TARGET",
        "x86_64-unknown-linux-musl",
    ));
    config
}

/// Starts the default (or named) process and returns what it answers on `/`.
fn get(context: &TestContext, process: Option<&str>) -> String {
    let mut container = ContainerConfig::new();
    container.expose_port(PORT).env("PORT", PORT.to_string());
    if let Some(process) = process {
        container.entrypoint(process);
    }
    let mut body = None;
    context.start_container(container, |container| {
        let address = container.address_for_port(PORT);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match ureq::get(&format!("http://{address}/")).call() {
                Ok(response) => {
                    body = response.into_body().read_to_string().ok();
                    break;
                }
                Err(error) if Instant::now() > deadline => {
                    panic!("no answer: {error}\n{}", container.logs_now().stderr);
                }
                Err(_) => std::thread::sleep(Duration::from_millis(250)),
            }
        }
    });
    body.unwrap_or_default()
}

#[test]
#[ignore = "integration test"]
fn root_main_package_serves_and_rebuilds_from_cache() {
    TestRunner::default().build(config("root-main"), |context| {
        assert_contains!(context.pack_stdout, "Requested `go 1.25.0`");
        assert!(get(&context, None).starts_with("hello from root-main, built with go1.25."));
        let config = config("root-main");
        context.rebuild(config, |context| {
            assert_contains!(context.pack_stdout, "from the cache");
            assert_contains!(context.pack_stdout, "Reusing the module cache");
            assert_contains!(context.pack_stdout, "Reusing the build cache");
            assert!(!context.pack_stdout.contains("Downloading Go"));
        });
    });
}

#[test]
#[ignore = "integration test"]
fn web_and_worker_commands_become_processes() {
    TestRunner::default().build(config("multi-cmd"), |context| {
        assert_eq!(get(&context, None), "hello from the web process\n");
        let worker = context.run_shell_command("worker");
        assert_contains!(worker.stdout, "hello from the worker process: job done");
    });
}

#[test]
#[ignore = "integration test"]
fn changing_go_version_replaces_go_dist_and_discards_build_cache() {
    TestRunner::default().build(config("root-main"), |context| {
        let mut newer = config("root-main");
        newer.app_dir_preprocessor(|dir| {
            let go_mod = std::fs::read_to_string(dir.join("go.mod")).expect("go.mod");
            std::fs::write(dir.join("go.mod"), go_mod.replace("go 1.25.0", "go 1.26.0"))
                .expect("write");
        });
        context.rebuild(newer, |context| {
            assert_contains!(
                context.pack_stdout,
                "the requested version changed to 1.26."
            );
            assert_contains!(
                context.pack_stdout,
                "Discarding the build cache: Go changed from 1.25 to 1.26"
            );
            assert!(get(&context, None).contains("built with go1.26."));
        });
    });
}

#[test]
#[ignore = "integration test"]
fn without_go_mod_detect_fails() {
    let mut config = config("no-go-mod");
    config.expected_pack_result(PackResult::Failure);
    TestRunner::default().build(config, |context| {
        assert_contains!(context.pack_stdout, "No go.mod at the root of the app.");
    });
}

#[test]
#[ignore = "integration test"]
fn a_workspace_builds_every_used_module_from_its_vendor_directory() {
    TestRunner::default().build(config("workspace-vendored"), |context| {
        assert_contains!(
            context.pack_stdout,
            "Workspace mode (go.work): building the modules it uses together: ., ./lib, ./tools/admin"
        );
        assert_contains!(
            context.pack_stdout,
            "Using the vendored modules in vendor/ (vendor/modules.txt)"
        );
        assert_eq!(
            get(&context, None),
            "hello from the workspace's web module\n"
        );
        let admin = context.run_shell_command("admin");
        assert_eq!(
            admin.stdout,
            "hello, admin (greeting v1.1.0) with wslib from the workspace\n"
        );
    });
}

#[test]
#[ignore = "integration test"]
fn the_image_holds_a_cyclonedx_sbom_of_the_binaries() {
    TestRunner::default().build(config("root-main"), |context| {
        assert_contains!(
            context.pack_stdout,
            "Wrote a CycloneDX SBOM of the binaries: 1 binary, 0 modules and the standard library"
        );
        context.download_sbom_files(|files| {
            let path = files.path_for(
                libcnb::data::buildpack_id!("gocnb/go"),
                libcnb_test::SbomType::Layer(libcnb::data::layer_name!("target")),
                libcnb::data::sbom::SbomFormat::CycloneDxJson,
            );
            let sbom: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&path).expect("the target layer's SBOM"))
                    .expect("JSON");
            assert_eq!(sbom["specVersion"], "1.5");
            assert_eq!(sbom["metadata"]["component"]["name"], "myapp");
            let names: Vec<&str> = sbom["components"]
                .as_array()
                .expect("components")
                .iter()
                .filter_map(|component| component["name"].as_str())
                .collect();
            assert_eq!(names, ["myapp", "stdlib"]);
        });
    });
}

#[test]
#[ignore = "integration test"]
fn with_the_toolchain_and_a_workspace_go_builds_in_the_container() {
    let mut config = config("root-main");
    config
        .env("GO_INSTALL_TOOLS_IN_IMAGE", "true")
        .env("GO_SETUP_GOPATH_IN_IMAGE", "true");
    TestRunner::default().build(config, |context| {
        assert_contains!(
            context.pack_stdout,
            "GOPATH=/layers/gocnb_go/gopath, with the app at $GOPATH/src/myapp; processes start there"
        );
        let built = context.run_shell_command(
            "cd \"$GOPATH/src/myapp\" && go version && go build -o /tmp/app ./... && echo built",
        );
        assert_contains!(built.stdout, "go version go1.25.");
        assert_contains!(built.stdout, "built");
    });
}
