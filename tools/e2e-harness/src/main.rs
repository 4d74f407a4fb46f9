//! `cnb-local`: the harness's commands around the CNB platform of tools/platform/setup.sh.
//!
//! ```text
//! cnb-local run <app dir> [--env NAME=VALUE]... [--process TYPE] [--serve]
//! cnb-local setup               (the Go toolchain mirror, real modules and CycloneDX schema, cached)
//! cnb-local package             (packages the buildpack for the builder; prints its directory)
//! cnb-local bench [--app chi-web|caddy|bench-deps] [--rounds N] [--json FILE] [--builder NAME] [--logs DIR] [--settle SECONDS]
//!                               (bare go, the floor and the whole `pack build`)
//! cnb-local provision-go [VERSION]...
//! cnb-local goproxy <out dir>
//! ```

use e2e_harness::go_mirror::{cache_dir, provision, TEST_GO_VERSIONS};
use e2e_harness::pack_cli::{pack_build, remove_image, RunningContainer};
use e2e_harness::test_app::builder;
use e2e_harness::{free_port, package_buildpack, wait_for_http, workspace_root, LocalServices};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "usage:\n  cnb-local run <app dir> [--env NAME=VALUE]... [--process TYPE] [--serve]\n  cnb-local setup\n  cnb-local package\n  cnb-local bench [--app chi-web|caddy|bench-deps] [--rounds N] [--json FILE] [--builder NAME] [--logs DIR] [--settle SECONDS]\n  cnb-local provision-go [VERSION]...\n  cnb-local goproxy <out dir>";

/// Builds an app with `pack build` on the builder, runs it with `docker run` and asks it over
/// HTTP: what a user of the buildpack does.
fn run(args: &[String]) -> Result<(), String> {
    let mut app = None;
    let mut platform_env: Vec<(String, String)> = Vec::new();
    let mut process = None;
    let mut serve = false;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--env" => {
                let pair = iter.next().ok_or(USAGE)?;
                let (name, value) = pair.split_once('=').ok_or("--env takes NAME=VALUE")?;
                platform_env.push((name.to_string(), value.to_string()));
            }
            "--process" => process = Some(iter.next().ok_or(USAGE)?.clone()),
            "--serve" => serve = true,
            other if app.is_none() && !other.starts_with("--") => app = Some(PathBuf::from(other)),
            _ => return Err(USAGE.to_string()),
        }
    }
    let app = std::fs::canonicalize(app.ok_or(USAGE)?).map_err(|e| format!("app dir: {e}"))?;
    let name = app
        .file_name()
        .map_or_else(|| String::from("app"), |n| n.to_string_lossy().into_owned());
    println!("[cnb-local] packaging the buildpack");
    let buildpack = package_buildpack(&workspace_root())?;
    println!(
        "[cnb-local] serving the Go mirror and GOPROXYs (cached in {})",
        cache_dir().display()
    );
    let services = LocalServices::start(&workspace_root(), &cache_dir().join("runs").join(&name))?;
    let mut env = services.platform_env();
    if e2e_harness::services::REAL_MODULE_FIXTURES.contains(&name.as_str()) {
        env.retain(|(k, _)| k != "GOPROXY");
        env.push((String::from("GOPROXY"), services.real_goproxy_url()));
    }
    env.extend(platform_env);
    let image = format!("gocnb-local-{name}");
    println!(
        "[cnb-local] pack build {image} --builder {} --path {}",
        builder(),
        app.display()
    );
    let (log, took) = pack_build(&image, &builder(), &app, &[&buildpack], &env, &[])?;
    print!("{log}");
    println!("[cnb-local] pack build took {:.1}s", took.as_secs_f64());

    let port = free_port().map_err(|e| e.to_string())?;
    let container = RunningContainer::start(&image, process.as_deref(), port)?;
    println!(
        "[cnb-local] docker run {image} (process {}), PORT={port} published on 127.0.0.1",
        process.as_deref().unwrap_or("default")
    );
    match wait_for_http(port, "/", Duration::from_secs(30)) {
        Ok(response) => println!(
            "[cnb-local] GET http://127.0.0.1:{port}/ -> {}\n{}",
            response.status, response.body
        ),
        Err(error) => {
            return Err(format!(
                "the app did not answer on port {port}: {error}\n{}",
                container.logs()
            ))
        }
    }
    if serve {
        println!("[cnb-local] serving on http://127.0.0.1:{port}/ until interrupted");
        loop {
            std::thread::sleep(Duration::from_hours(1));
        }
    }
    drop(container);
    remove_image(&image);
    Ok(())
}

fn bench(args: &[String]) -> Result<(), String> {
    let mut options = e2e_harness::bench::Options {
        app: String::from("chi-web"),
        rounds: 3,
        json: None,
        builder: None,
        logs: None,
        settle: Duration::ZERO,
    };
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let value = iter.next().ok_or(USAGE)?;
        match arg.as_str() {
            "--app" => options.app.clone_from(value),
            "--rounds" => options.rounds = value.parse::<usize>().map_err(|_| USAGE)?.max(1),
            "--json" => options.json = Some(PathBuf::from(value)),
            "--builder" => options.builder = Some(value.clone()),
            "--logs" => options.logs = Some(PathBuf::from(value)),
            "--settle" => {
                options.settle = Duration::from_secs(value.parse::<u64>().map_err(|_| USAGE)?);
            }
            _ => return Err(USAGE.to_string()),
        }
    }
    let report = e2e_harness::bench::run(&workspace_root(), &options)?;
    print!("{report}");
    Ok(())
}

fn setup() -> Result<(), String> {
    for archive in provision(TEST_GO_VERSIONS)? {
        println!("{} sha256:{}", archive.path.display(), archive.sha256);
    }
    let modules = e2e_harness::services::real_module_proxy(&workspace_root())?;
    println!("real modules in {}", modules.display());
    let schemas = e2e_harness::cyclonedx::schemas_dir()?;
    println!("CycloneDX schemas in {}", schemas.display());
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("setup") => setup(),
        Some("package") => {
            package_buildpack(&workspace_root()).map(|dir| println!("{}", dir.display()))
        }
        Some("bench") => bench(&args[1..]),
        Some("goproxy") => match args.get(1) {
            Some(out) => e2e_harness::goproxy::build_goproxy(
                &workspace_root().join("test-fixtures").join("goproxy"),
                Path::new(out),
            )
            .map(|published| println!("{}", published.join("\n"))),
            None => Err(USAGE.to_string()),
        },
        Some("provision-go") => {
            let versions: Vec<&str> = if args.len() > 1 {
                args[1..].iter().map(String::as_str).collect()
            } else {
                TEST_GO_VERSIONS.to_vec()
            };
            provision(&versions).map(|archives| {
                for archive in archives {
                    println!("{} sha256:{}", archive.path.display(), archive.sha256);
                }
            })
        }
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("cnb-local: {error}");
            ExitCode::FAILURE
        }
    }
}
