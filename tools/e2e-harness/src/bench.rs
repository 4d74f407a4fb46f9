//! `cnb-local bench`: the buildpack through the real lifecycle side by side with a person
//! typing `tar xzf go….tar.gz && go install ./...`, on `test-fixtures/bench-deps` (two module
//! dependencies from the local GOPROXY, two binaries). Rounds are interleaved (bare, then
//! buildpack, for each scenario) so that machine noise hits both alike; medians are printed.
//!
//! Scenarios, each on the caches the previous one left: a cold build (empty caches), a rebuild
//! without changes, a one-line edit of a main package, and a dependency bump
//! (`example.test/greeting` v1.0.0 → v1.1.0; the fixture's go.sum holds both).

use crate::go_mirror::ensure_go_archive;
use crate::platform::{BuildReport, Platform};
use crate::{cnb_lifecycle, package_buildpack, LocalServices};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const FIXTURE: &str = "bench-deps";
const GO_VERSION: &str = "1.26.6";
const SCENARIOS: [&str; 4] = [
    "cold",
    "no-change rebuild",
    "one-line edit",
    "dependency bump",
];

/// One scenario's figures from one round.
#[derive(Debug, Clone, Copy, Default)]
struct Sample {
    bare: Duration,
    build_phase: Duration,
    whole_build: Duration,
}

/// Applies scenario `index` (1: nothing, 2: edit, 3: bump) to an app copy.
fn change_app(app: &Path, index: usize, round: usize) -> Result<(), String> {
    let edit = |relative: &str, from: &str, to: &str| -> Result<(), String> {
        let path = app.join(relative);
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("read {}: {e}", path.display()))?;
        if !text.contains(from) {
            return Err(format!("{} has no `{from}`", path.display()));
        }
        std::fs::write(&path, text.replacen(from, to, 1))
            .map_err(|e| format!("write {}: {e}", path.display()))
    };
    match index {
        2 => edit(
            "cmd/web/main.go",
            "banner.For(\"bench-deps\")",
            &format!("banner.For(\"bench-deps, edit {round}\")"),
        ),
        3 => edit(
            "go.mod",
            "example.test/greeting v1.0.0",
            "example.test/greeting v1.1.0",
        ),
        _ => Ok(()),
    }
}

fn copy_fixture(workspace_root: &Path, to: &Path) -> Result<(), String> {
    let source = workspace_root.join("test-fixtures").join(FIXTURE);
    let status = Command::new("cp")
        .arg("-a")
        .arg(&source)
        .arg(to)
        .status()
        .map_err(|e| format!("cp: {e}"))?;
    status
        .success()
        .then_some(())
        .ok_or_else(|| format!("copying {} failed", source.display()))
}

fn timed(command: &mut Command) -> Result<Duration, String> {
    let started = Instant::now();
    let output = command
        .output()
        .map_err(|e| format!("run {command:?}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{command:?} failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(started.elapsed())
}

/// A person with the same Go and the same GOPROXY, caches of their own under `work`.
struct BareGo {
    work: PathBuf,
    goproxy: String,
}

impl BareGo {
    fn go(&self, args: &[&str]) -> Command {
        let mut command = Command::new(self.work.join("go/bin/go"));
        command
            .args(args)
            .current_dir(self.work.join("app"))
            .env_clear()
            .env(
                "PATH",
                format!("{}:/usr/bin:/bin", self.work.join("go/bin").display()),
            )
            .env("HOME", self.work.join("home"))
            .env("GOPATH", self.work.join("gopath"))
            .env("GOCACHE", self.work.join("gocache"))
            .env("GOBIN", self.work.join("bin"))
            .env("GOPROXY", &self.goproxy)
            .env("GONOSUMDB", "example.test")
            .env("GOTOOLCHAIN", "local")
            .env("GOTELEMETRY", "off");
        command
    }

    fn scenario(&self, index: usize, archive: &Path) -> Result<Duration, String> {
        let mut elapsed = Duration::ZERO;
        if index == 0 {
            elapsed += timed(
                Command::new("tar")
                    .arg("xzf")
                    .arg(archive)
                    .arg("-C")
                    .arg(&self.work),
            )?;
        }
        Ok(elapsed + timed(&mut self.go(&["install", "./..."]))?)
    }
}

/// The highest resident set size (`VmHWM`) of the buildpack's own process while a build runs:
/// the process whose argv[0] is the buildpack's `bin/build` under `/cnb/buildpacks`, not the go
/// commands it starts. All of `/proc` is scanned only until that process is found; from then on
/// only its own status is read, so that watching costs the build being timed next to nothing.
struct PeakRssWatcher {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<u64>,
}

/// The buildpack's `bin/build` process, if one runs.
fn find_buildpack_process() -> Option<PathBuf> {
    std::fs::read_dir("/proc")
        .ok()?
        .flatten()
        .find_map(|entry| {
            let path = entry.path();
            let cmdline = std::fs::read(path.join("cmdline")).ok()?;
            let argv0 = cmdline.split(|b| *b == 0).next().unwrap_or_default();
            let argv0 = String::from_utf8_lossy(argv0);
            (argv0.starts_with("/cnb/buildpacks/") && argv0.ends_with("/bin/build")).then_some(path)
        })
}

/// `VmHWM` of a process, in KiB; `None` once it has exited.
fn peak_rss_kib(process: &Path) -> Option<u64> {
    let status = std::fs::read_to_string(process.join("status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| {
            value
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
}

impl PeakRssWatcher {
    fn start() -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut peak = 0;
            let mut process = None;
            while !flag.load(Ordering::SeqCst) {
                if process.is_none() {
                    process = find_buildpack_process();
                }
                if let Some(path) = &process {
                    match peak_rss_kib(path) {
                        Some(kib) => peak = peak.max(kib),
                        // It exited: nothing more to watch in this build.
                        None => break,
                    }
                }
                std::thread::sleep(Duration::from_millis(if process.is_some() {
                    10
                } else {
                    5
                }));
            }
            peak
        });
        PeakRssWatcher { stop, thread }
    }

    fn finish(self) -> u64 {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.join().unwrap_or_default()
    }
}

fn phase(report: &BuildReport, name: &str) -> Duration {
    report
        .phase_durations
        .iter()
        .filter(|(phase, _)| phase == name)
        .map(|(_, duration)| *duration)
        .sum()
}

fn median(values: &mut [Duration]) -> Duration {
    values.sort();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

fn megabytes(bytes: u64) -> String {
    // Exact enough for a report: layer sizes are far below 2^52 bytes.
    #[allow(clippy::cast_precision_loss)]
    let mb = bytes as f64 / 1_000_000.0;
    format!("{mb:.1} MB")
}

/// A cold build and then `edits` rebuilds, each after a one-line edit; returns the cache's
/// size by layer after the cold build and after each fifth edit.
fn cache_growth(
    platform: &Platform,
    app: &Path,
    env: &[(&str, &str)],
    edits: usize,
) -> Result<String, String> {
    let mut out = format!("\nCache after successive one-line edits ({edits} rebuilds):\n");
    for build in 0..=edits {
        if build > 0 {
            let path = app.join("cmd/web/main.go");
            let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
            let edited = text.replace(
                "banner.For(\"bench-deps",
                &format!("banner.For(\"edit {build}, bench-deps"),
            );
            std::fs::write(&path, edited).map_err(|e| e.to_string())?;
        }
        let report = platform.build(app, env).map_err(|e| e.to_string())?;
        if !report.succeeded {
            return Err(format!("edit rebuild {build} failed:\n{}", report.log));
        }
        if build % 5 == 0 {
            let sizes = platform.cached_layer_sizes();
            let parts: Vec<String> = sizes
                .iter()
                .map(|(name, bytes)| format!("{name} {}", megabytes(*bytes)))
                .collect();
            let _ = writeln!(
                out,
                "- after {}: {} ({})",
                if build == 0 {
                    String::from("the cold build")
                } else {
                    format!("edit {build}")
                },
                megabytes(sizes.values().sum()),
                parts.join(", ")
            );
        }
    }
    Ok(out)
}

/// Runs the benchmark and returns its report.
///
/// # Errors
/// When setting up, a bare go command or a build fails.
#[allow(clippy::too_many_lines)]
pub fn run(workspace_root: &Path, rounds: usize, edit_series: usize) -> Result<String, String> {
    let lifecycle = cnb_lifecycle::install(workspace_root)?;
    let buildpack = package_buildpack(workspace_root)?;
    let work = std::env::temp_dir().join(format!("gocnb-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    let services = LocalServices::start(workspace_root, &work.join("services"))?;
    let archive = ensure_go_archive(GO_VERSION)?;
    let platform_env = services.platform_env();
    let env: Vec<(&str, &str)> = platform_env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();

    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); SCENARIOS.len()];
    let mut peak_rss_kib = 0;
    let mut sizes = Vec::new();
    for round in 1..=rounds {
        eprintln!("[bench] round {round} of {rounds}");
        let round_dir = work.join(format!("round-{round}"));
        let bare = BareGo {
            work: round_dir.join("bare"),
            goproxy: services.goproxy_url(),
        };
        for dir in ["home", "bin"] {
            std::fs::create_dir_all(bare.work.join(dir)).map_err(|e| e.to_string())?;
        }
        copy_fixture(workspace_root, &bare.work.join("app"))?;
        let platform = Platform::new(&round_dir.join("platform"), &buildpack, &lifecycle)
            .map_err(|e| e.to_string())?;
        let app = round_dir.join("app");
        copy_fixture(workspace_root, &app)?;

        for (index, scenario_samples) in samples.iter_mut().enumerate() {
            change_app(&bare.work.join("app"), index, round)?;
            let bare_time = bare.scenario(index, &archive.path)?;

            change_app(&app, index, round)?;
            let watcher = PeakRssWatcher::start();
            let report = platform.build(&app, &env).map_err(|e| e.to_string())?;
            peak_rss_kib = peak_rss_kib.max(watcher.finish());
            if !report.succeeded {
                return Err(format!(
                    "the {} build failed:\n{}",
                    SCENARIOS[index], report.log
                ));
            }
            let build_phase = phase(&report, "builder");
            let whole_build = report
                .phase_durations
                .iter()
                .map(|(_, duration)| *duration)
                .sum::<Duration>();
            scenario_samples.push(Sample {
                bare: bare_time,
                build_phase,
                whole_build,
            });
            if round == rounds {
                sizes.push((
                    SCENARIOS[index],
                    (
                        platform.cached_layer_sizes(),
                        platform.image_layer_sizes().unwrap_or_default(),
                    ),
                ));
            }
        }
    }
    let series = if edit_series > 0 {
        eprintln!("[bench] {edit_series} successive edit rebuilds");
        let dir = work.join("edit-series");
        let platform = Platform::new(&dir.join("platform"), &buildpack, &lifecycle)
            .map_err(|e| e.to_string())?;
        let app = dir.join("app");
        copy_fixture(workspace_root, &app)?;
        Some(cache_growth(&platform, &app, &env, edit_series)?)
    } else {
        None
    };
    let _ = std::fs::remove_dir_all(&work);

    let mut out = String::new();
    let _ = write!(
        out,
        "bench-deps (2 module dependencies, 2 binaries), Go {GO_VERSION}, {rounds} interleaved rounds, medians\n\n"
    );
    out.push_str("| scenario | bare go | build phase | ratio | whole build (analyze..export) |\n|---|---|---|---|---|\n");
    for (index, scenario_samples) in samples.iter().enumerate() {
        let mut bare: Vec<Duration> = scenario_samples.iter().map(|s| s.bare).collect();
        let mut build: Vec<Duration> = scenario_samples.iter().map(|s| s.build_phase).collect();
        let mut whole: Vec<Duration> = scenario_samples.iter().map(|s| s.whole_build).collect();
        let (bare, build, whole) = (median(&mut bare), median(&mut build), median(&mut whole));
        let _ = writeln!(
            out,
            "| {} | {:.2} s | {:.2} s | {:.2}× | {:.2} s |",
            SCENARIOS[index],
            bare.as_secs_f64(),
            build.as_secs_f64(),
            build.as_secs_f64() / bare.as_secs_f64().max(0.001),
            whole.as_secs_f64()
        );
    }
    if let Some((scenario, (cache, image))) = sizes.last() {
        let _ = write!(
            out,
            "\nLayers after the {scenario} build of the last round:\n"
        );
        for (label, layers) in [("cache", cache), ("image", image)] {
            let total: u64 = layers.values().sum();
            let parts: Vec<String> = layers
                .iter()
                .map(|(name, bytes)| format!("{name} {}", megabytes(*bytes)))
                .collect();
            let _ = writeln!(
                out,
                "- {label}: {} ({})",
                megabytes(total),
                parts.join(", ")
            );
        }
    }
    if let Some(series) = series {
        out.push_str(&series);
    }
    let _ = writeln!(
        out,
        "\nBuildpack peak RSS (its own process, not the go commands): {peak_rss_kib} KiB"
    );
    Ok(out)
}
