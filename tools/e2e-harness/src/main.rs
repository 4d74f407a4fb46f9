//! `cnb-local`: build an app with the Go buildpack through the real CNB lifecycle and run it
//! from the exported image, without Docker.
//!
//! ```text
//! cnb-local run <app dir> [--env NAME=VALUE]... [--process TYPE] [--serve]
//! cnb-local setup               (the lifecycle, the Go toolchain mirror and the CycloneDX schema, cached)
//! cnb-local bench [--rounds N] [--edit-series N]  (bare go against the buildpack through the lifecycle)
//! cnb-local provision-go [VERSION]...
//! cnb-local goproxy <out dir>
//! ```

use e2e_harness::go_mirror::{cache_dir, provision, TEST_GO_VERSIONS};
use e2e_harness::{
    cnb_lifecycle, free_port, package_buildpack, wait_for_http, workspace_root, LocalServices,
    Platform,
};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "usage:\n  cnb-local run <app dir> [--env NAME=VALUE]... [--process TYPE] [--serve]\n  cnb-local setup\n  cnb-local bench [--rounds N] [--edit-series N]\n  cnb-local provision-go [VERSION]...\n  cnb-local goproxy <out dir>";

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
    let root = cache_dir().join("runs").join(&name);

    let lifecycle = install_lifecycle()?;
    println!("[cnb-local] packaging the buildpack (cargo build --release)");
    let buildpack = package_buildpack(&workspace_root())?;
    println!(
        "[cnb-local] provisioning the Go mirror and GOPROXY in {}",
        cache_dir().display()
    );
    let services = LocalServices::start(&workspace_root(), &root.join("services"))?;
    let mut env = services.platform_env();
    env.extend(platform_env);
    let env_refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();

    let platform =
        Platform::new(&root.join("platform"), &buildpack, &lifecycle).map_err(|e| e.to_string())?;
    println!(
        "[cnb-local] building {} with lifecycle {} (analyze, detect, restore, build, export)",
        app.display(),
        lifecycle.version
    );
    let report = platform.build(&app, &env_refs).map_err(|e| e.to_string())?;
    print!("{}", report.log);
    let timings: Vec<String> = report
        .phase_durations
        .iter()
        .map(|(phase, duration)| format!("{phase} {:.1}s", duration.as_secs_f64()))
        .collect();
    println!("[cnb-local] phases: {}", timings.join(", "));
    if !report.succeeded {
        return Err(String::from("the build failed"));
    }
    println!(
        "[cnb-local] image layers: {}; cached layers: {}",
        report.image_layers.join(", "),
        report.cache_layers.join(", ")
    );

    let port = free_port().map_err(|e| e.to_string())?;
    let port_text = port.to_string();
    let mut running = platform
        .launch(process.as_deref(), &[], &[("PORT", port_text.as_str())])
        .map_err(|e| e.to_string())?;
    println!(
        "[cnb-local] launched process {}, PORT={port}",
        process.as_deref().unwrap_or("(default)")
    );
    match wait_for_http(port, "/", Duration::from_secs(30)) {
        Ok(response) => println!(
            "[cnb-local] GET http://127.0.0.1:{port}/ -> {}\n{}",
            response.status, response.body
        ),
        Err(error) => {
            let exited = running.wait_for_exit(Duration::from_millis(10));
            return Err(format!(
                "the app did not answer on port {port}: {error} (exit: {exited:?})\n{}",
                running.output()
            ));
        }
    }
    if serve {
        println!("[cnb-local] serving on http://127.0.0.1:{port}/ until interrupted");
        loop {
            if let Some(code) = running.wait_for_exit(Duration::from_hours(1)) {
                return Err(format!("the app exited with {code}\n{}", running.output()));
            }
        }
    }
    Ok(())
}

fn bench(args: &[String]) -> Result<(), String> {
    let mut rounds = 3;
    let mut edit_series = 0;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let number = iter
            .next()
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| USAGE.to_string());
        match arg.as_str() {
            "--rounds" => rounds = number?.max(1),
            "--edit-series" => edit_series = number?,
            _ => return Err(USAGE.to_string()),
        }
    }
    install_lifecycle()?;
    let report = e2e_harness::bench::run(&workspace_root(), rounds, edit_series)?;
    print!("{report}");
    Ok(())
}

fn install_lifecycle() -> Result<e2e_harness::InstalledLifecycle, String> {
    println!(
        "[cnb-local] installing the CNB lifecycle {} (built with the machine's Go; cached)",
        cnb_lifecycle::pinned_version(&workspace_root())?
    );
    let lifecycle = cnb_lifecycle::install(&workspace_root())?;
    println!(
        "[cnb-local] lifecycle {} in {}",
        lifecycle.version,
        lifecycle.dir.display()
    );
    Ok(lifecycle)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("setup") => install_lifecycle().and_then(|_| {
            provision(TEST_GO_VERSIONS).and_then(|archives| {
                for archive in archives {
                    println!("{} sha256:{}", archive.path.display(), archive.sha256);
                }
                let schemas = e2e_harness::cyclonedx::schemas_dir()?;
                println!("CycloneDX schemas in {}", schemas.display());
                Ok(())
            })
        }),
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
