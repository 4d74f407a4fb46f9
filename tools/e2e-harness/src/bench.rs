//! `cnb-local bench`: the whole `pack build` (what users wait for) side by side with bare Go, a
//! person typing `tar xzf go….tar.gz && go install ./...` with caches of their own, and with the
//! floor, the same builder with a buildpack that does nothing (pack and the lifecycle alone).
//! Rounds are interleaved (bare, floor, then this buildpack, scenario by scenario) so that
//! machine noise hits all three alike; medians are printed. pack builds with the builder's own
//! buildpack, as users do (`tools/platform/setup.sh` puts the current one in).
//!
//! For every build of this buildpack: the wall time; each lifecycle phase's time (the
//! lifecycle's `Timer:` lines of `pack build --verbose`); the bytes each cached layer takes in
//! the build cache volume, and what the image adds to the run image; the buildpack's peak RSS
//! (its process's `VmHWM`, read from /proc while it runs). `--json FILE` writes every sample.
//!
//! Scenarios, each on the caches the previous one left: a cold build (no image, empty cache),
//! a rebuild without changes, a one-line edit of a main package, a dependency bump and a Go
//! patch-version bump (GOVERSION 1.26.5 → 1.26.6).

use crate::go_mirror::{ensure_go_archive, MirrorArchive};
use crate::pack_cli::{pack_build_verbose, remove_image};
use crate::test_app::builder;
use crate::LocalServices;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const GO_FROM: &str = "1.26.5";
const GO_TO: &str = "1.26.6";
const SCENARIOS: [&str; 5] = [
    "cold",
    "no change",
    "one-line edit",
    "dependency bump",
    "Go patch bump",
];
/// The lifecycle's phases as its `Timer:` lines name them, in order.
const PHASES: [&str; 6] = [
    "Analyzer", "Detector", "Restorer", "Builder", "Exporter", "Cache",
];
const RUN_IMAGE: &str = "gocnb/run:bookworm";

/// What the bench changes for the dependency bump.
enum Bump {
    /// `go get <module>@<version>` on the host, as a developer bumps (go.mod and go.sum).
    GoGet(&'static str),
    /// A go.mod line replaced by another (go.sum already has both versions).
    GoMod(&'static str, &'static str),
}

struct BenchApp {
    fixture: &'static str,
    about: &'static str,
    real_modules: bool,
    /// The file of a main package and a text in it that the one-line edit extends.
    edit: (&'static str, &'static str),
    bump: Option<Bump>,
}

fn bench_app(name: &str) -> Result<BenchApp, String> {
    match name {
        "chi-web" => Ok(BenchApp {
            fixture: "chi-web",
            about: "a chi web service, 1 module dependency",
            real_modules: true,
            edit: ("main.go", "hello from chi"),
            bump: Some(Bump::GoGet("github.com/go-chi/chi/v5@v5.2.4")),
        }),
        "caddy" => Ok(BenchApp {
            fixture: "bench-caddy",
            about: "Caddy v2.11.9 with its standard modules, 161 modules",
            real_modules: true,
            edit: ("main.go", "edit 0"),
            bump: None,
        }),
        "bench-deps" => Ok(BenchApp {
            fixture: "bench-deps",
            about: "2 local module dependencies, 2 binaries",
            real_modules: false,
            edit: ("cmd/web/main.go", "For(\"bench-deps"),
            bump: Some(Bump::GoMod(
                "example.test/greeting v1.0.0",
                "example.test/greeting v1.1.0",
            )),
        }),
        other => Err(format!(
            "no bench app {other}: chi-web, caddy or bench-deps"
        )),
    }
}

/// What the command line asks for.
pub struct Options {
    pub app: String,
    pub rounds: usize,
    pub json: Option<PathBuf>,
    /// Another builder with this buildpack (an older version of it, say) instead of the
    /// project's own.
    pub builder: Option<String>,
    /// A directory to keep each build's output in (`<image>-<scenario>.log`; the image names
    /// the run and the round).
    pub logs: Option<PathBuf>,
    /// A pause before every timed build, after `sync`. On a filesystem that avoids reusing the
    /// inodes of files deleted in the last minute (ext4 without a journal, as on this kind of
    /// machine), each file a build creates right after the previous build's layers volume was
    /// deleted costs ~1 ms instead of ~30 µs; 61 s or more lets those inodes age out.
    pub settle: Duration,
}

/// One build of this buildpack, with what it left behind.
#[derive(Debug, Clone, Default)]
struct PackSample {
    wall: Duration,
    phases: BTreeMap<String, Duration>,
    /// The buildpack's own time, as its last line says (`Done (finished in 1.2s)`).
    buildpack: Duration,
    cache_layers: BTreeMap<String, u64>,
    cache_total: u64,
    image_over_run_image: u64,
    peak_rss_kib: u64,
}

#[derive(Debug, Clone, Default)]
struct Sample {
    bare: Duration,
    floor: Duration,
    floor_phases: BTreeMap<String, Duration>,
    pack: PackSample,
}

fn run_ok(command: &mut Command) -> Result<String, String> {
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
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn timed(command: &mut Command) -> Result<Duration, String> {
    let started = Instant::now();
    run_ok(command)?;
    Ok(started.elapsed())
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    run_ok(Command::new("cp").arg("-a").arg(from).arg(to)).map(|_| ())
}

/// A person with the same Go and the same GOPROXY, caches of their own under `work`.
struct BareGo {
    work: PathBuf,
    goproxy: String,
}

impl BareGo {
    fn goroot(&self, version: &str) -> PathBuf {
        self.work.join(format!("go-{version}")).join("go")
    }

    fn install(&self, version: &str) -> Result<Duration, String> {
        let goroot = self.goroot(version);
        let mut command = Command::new(goroot.join("bin/go"));
        command
            .args(["install", "./..."])
            .current_dir(self.work.join("app"))
            .env_clear()
            .env(
                "PATH",
                format!("{}:/usr/bin:/bin", goroot.join("bin").display()),
            )
            .env("HOME", self.work.join("home"))
            .env("GOPATH", self.work.join("gopath"))
            .env("GOCACHE", self.work.join("gocache"))
            .env("GOBIN", self.work.join("bin"))
            .env("GOPROXY", &self.goproxy)
            .env("GONOSUMDB", "example.test")
            .env("GOTOOLCHAIN", "local")
            .env("GOTELEMETRY", "off");
        timed(&mut command)
    }

    /// Unpacks a release (counted: a person does it too) and builds with it.
    fn unpack_and_install(&self, archive: &Path, version: &str) -> Result<Duration, String> {
        let dir = self.work.join(format!("go-{version}"));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let unpacked = timed(
            Command::new("tar")
                .arg("xzf")
                .arg(archive)
                .arg("-C")
                .arg(&dir),
        )?;
        Ok(unpacked + self.install(version)?)
    }
}

/// Applies scenario `index` to an app copy (2: the edit, 3: the bump; the Go bump is GOVERSION's).
fn change_app(
    app: &BenchApp,
    dir: &Path,
    index: usize,
    real_proxy_dir: &Path,
) -> Result<(), String> {
    let replace = |relative: &str, from: &str, to: &str| -> Result<(), String> {
        let path = dir.join(relative);
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("read {}: {e}", path.display()))?;
        if !text.contains(from) {
            return Err(format!("{} has no `{from}`", path.display()));
        }
        std::fs::write(&path, text.replacen(from, to, 1))
            .map_err(|e| format!("write {}: {e}", path.display()))
    };
    match (index, &app.bump) {
        (2, _) => replace(app.edit.0, app.edit.1, &format!("{}, edited", app.edit.1)),
        (3, Some(Bump::GoMod(from, to))) => replace("go.mod", from, to),
        (3, Some(Bump::GoGet(module))) => {
            // On the host, from the real-module cache, with a module cache thrown away after.
            let scratch = tempfile::tempdir().map_err(|e| e.to_string())?;
            run_ok(
                Command::new("go")
                    .args(["get", module])
                    .current_dir(dir)
                    .env("GOPROXY", format!("file://{}", real_proxy_dir.display()))
                    .env("GOMODCACHE", scratch.path())
                    .env("GOFLAGS", "-mod=mod -modcacherw")
                    .env("GOSUMDB", "off")
                    .env("GOTOOLCHAIN", "local"),
            )
            .map(|_| ())
        }
        _ => Ok(()),
    }
}

/// Parses a Go duration as `time.Duration.String` prints it (`1m2.5s`, `350.1ms`, `12µs`).
fn parse_go_duration(text: &str) -> Option<Duration> {
    let mut total = 0.0_f64;
    let mut rest = text.trim();
    if rest == "0s" {
        return Some(Duration::ZERO);
    }
    while !rest.is_empty() {
        let number_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let number: f64 = rest[..number_end].parse().ok()?;
        rest = &rest[number_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds = match &rest[..unit_end] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "µs" | "us" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        total += number * seconds;
        rest = &rest[unit_end..];
    }
    Some(Duration::from_secs_f64(total))
}

/// The lifecycle phases' times from its `Timer: <phase> ran for <duration> and ended at` lines.
fn phase_times(log: &str) -> BTreeMap<String, Duration> {
    log.lines()
        .filter_map(|line| {
            let rest = line.split("Timer: ").nth(1)?;
            let (phase, rest) = rest.split_once(" ran for ")?;
            let (duration, _) = rest.split_once(" and ended at")?;
            PHASES
                .contains(&phase)
                .then(|| Some((phase.to_string(), parse_go_duration(duration)?)))
                .flatten()
        })
        .collect()
}

/// The buildpack's own time from its closing line, `- Done (finished in 1.2s)`.
fn buildpack_time(log: &str) -> Duration {
    crate::plain(log)
        .lines()
        .find_map(|line| line.split("Done (finished in ").nth(1))
        .and_then(|rest| rest.split(')').next())
        .and_then(|text| {
            // bullet_stream prints `1.2s` or `1m 36s`.
            parse_go_duration(&text.replace(' ', ""))
        })
        .unwrap_or_default()
}

/// Watches the buildpack's process (`/cnb/buildpacks/gocnb_go/<version>/bin/build`, seen in the
/// host's /proc like every container process) and keeps the highest `VmHWM` it reads.
struct PeakRss {
    stop: Arc<AtomicBool>,
    watcher: std::thread::JoinHandle<u64>,
}

impl PeakRss {
    fn watch() -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let watcher = std::thread::spawn(move || {
            let mut peak = 0;
            while !stopped.load(Ordering::Relaxed) {
                peak = peak.max(buildpack_vm_hwm_kib());
                std::thread::sleep(Duration::from_millis(20));
            }
            peak
        });
        PeakRss { stop, watcher }
    }

    fn peak_kib(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.watcher.join().unwrap_or_default()
    }
}

fn buildpack_vm_hwm_kib() -> u64 {
    let Ok(processes) = std::fs::read_dir("/proc") else {
        return 0;
    };
    processes
        .flatten()
        .filter(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter(|entry| {
            std::fs::read(entry.path().join("cmdline")).is_ok_and(|cmdline| {
                let program = cmdline.split(|b| *b == 0).next().unwrap_or_default();
                let program = String::from_utf8_lossy(program);
                program.contains("/cnb/buildpacks/gocnb_go/") && program.ends_with("/bin/build")
            })
        })
        .filter_map(|entry| std::fs::read_to_string(entry.path().join("status")).ok())
        .filter_map(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .max()
        .unwrap_or_default()
}

/// The bytes of each cached layer's tarball in the volume, and of the whole volume, read where
/// the Docker daemon keeps it.
fn cache_bytes(volume: &str) -> Result<(BTreeMap<String, u64>, u64), String> {
    let mountpoint = crate::docker::docker(&["volume", "inspect", "-f", "{{.Mountpoint}}", volume])
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out).trim()))?;
    let committed = mountpoint.join("committed");
    let metadata: Value = serde_json::from_slice(
        &std::fs::read(committed.join("io.buildpacks.lifecycle.cache.metadata"))
            .map_err(|e| format!("read the cache metadata of {volume}: {e}"))?,
    )
    .map_err(|e| format!("cache metadata: {e}"))?;
    let size = |name: &str| committed.join(name).metadata().map_or(0, |m| m.len());
    let mut layers = BTreeMap::new();
    for buildpack in metadata["buildpacks"].as_array().into_iter().flatten() {
        for (name, layer) in buildpack["layers"].as_object().into_iter().flatten() {
            if let Some(sha) = layer["sha"].as_str() {
                layers.insert(name.clone(), size(&format!("{sha}.tar")));
            }
        }
    }
    let total = crate::entries_under(&mountpoint)
        .iter()
        .filter_map(|path| path.metadata().ok())
        .filter(std::fs::Metadata::is_file)
        .map(|metadata| metadata.len())
        .sum();
    Ok((layers, total))
}

fn image_size(image: &str) -> u64 {
    crate::docker::docker(&["image", "inspect", "-f", "{{.Size}}", image])
        .ok()
        .and_then(|out| String::from_utf8_lossy(&out).trim().parse().ok())
        .unwrap_or_default()
}

fn median<T: Ord + Copy + Default>(mut values: Vec<T>) -> T {
    values.sort_unstable();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

fn seconds(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1000.0).round() / 1000.0
}

fn megabytes(bytes: u64) -> String {
    format!("{}.{} MB", bytes / 1_000_000, bytes % 1_000_000 / 100_000)
}

struct Builds {
    builder: String,
    floor_builder: String,
    env: Vec<(String, String)>,
    logs: Option<PathBuf>,
}

impl Builds {
    fn env_for(&self, go_version: &str) -> Vec<(String, String)> {
        let mut env = self.env.clone();
        env.push((String::from("GOVERSION"), go_version.to_string()));
        env
    }

    fn floor(
        &self,
        image: &str,
        app: &Path,
    ) -> Result<(Duration, BTreeMap<String, Duration>), String> {
        let (log, wall) = pack_build_verbose(image, &self.floor_builder, app, &self.env)
            .map_err(|log| format!("the floor build failed:\n{log}"))?;
        Ok((wall, phase_times(&log)))
    }

    fn pack(
        &self,
        image: &str,
        app: &Path,
        go_version: &str,
        scenario: &str,
    ) -> Result<PackSample, String> {
        let rss = PeakRss::watch();
        let built = pack_build_verbose(image, &self.builder, app, &self.env_for(go_version));
        let peak_rss_kib = rss.peak_kib();
        let (log, wall) = built.map_err(|log| format!("the {scenario} build failed:\n{log}"))?;
        if let Some(dir) = &self.logs {
            let name = format!("{image}-{scenario}.log").replace(' ', "-");
            std::fs::create_dir_all(dir)
                .and_then(|()| std::fs::write(dir.join(name), &log))
                .map_err(|e| format!("keep the build's output in {}: {e}", dir.display()))?;
        }
        let (cache_layers, cache_total) = cache_bytes(&format!("{image}.build-cache"))?;
        Ok(PackSample {
            wall,
            phases: phase_times(&log),
            buildpack: buildpack_time(&log),
            cache_layers,
            cache_total,
            image_over_run_image: image_size(image).saturating_sub(image_size(RUN_IMAGE)),
            peak_rss_kib,
        })
    }
}

/// Runs the benchmark and returns its report (and writes the JSON when asked).
///
/// # Errors
/// When setting up, a bare go command or a build fails.
pub fn run(workspace_root: &Path, options: &Options) -> Result<String, String> {
    let app = bench_app(&options.app)?;
    let fixture = workspace_root.join("test-fixtures").join(app.fixture);
    let work = std::env::temp_dir().join(format!("gocnb-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    if app.real_modules {
        crate::services::download_build_modules(&fixture)?;
        if let Some(Bump::GoGet(module)) = &app.bump {
            crate::services::download_real_modules(&fixture, &[module])?;
        }
    }
    let services = LocalServices::start(workspace_root, &work.join("services"))?;
    let real_proxy_dir = crate::services::real_module_proxy(workspace_root)?;
    let archives: Vec<MirrorArchive> = [GO_FROM, GO_TO]
        .iter()
        .map(|version| ensure_go_archive(version))
        .collect::<Result<_, _>>()?;
    let mut env = services.platform_env();
    let inventory = services.write_inventory(
        "bench-inventory.toml",
        &archives,
        &format!("{}/mirror", services.server.url()),
    )?;
    let goproxy = if app.real_modules {
        services.real_goproxy_url()
    } else {
        services.goproxy_url()
    };
    env.retain(|(name, _)| name != "GO_INVENTORY" && name != "GOPROXY");
    env.push((String::from("GO_INVENTORY"), inventory));
    env.push((String::from("GOPROXY"), goproxy.clone()));
    let builds = Builds {
        builder: options.builder.clone().unwrap_or_else(builder),
        floor_builder: format!("{}-floor", builder()),
        env,
        logs: options.logs.clone(),
    };

    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); SCENARIOS.len()];
    for round in 1..=options.rounds {
        eprintln!(
            "[bench] {} round {round} of {}",
            options.app, options.rounds
        );
        let round_dir = work.join(format!("round-{round}"));
        let bare = BareGo {
            work: round_dir.join("bare"),
            goproxy: goproxy.clone(),
        };
        for dir in ["home", "bin"] {
            std::fs::create_dir_all(bare.work.join(dir)).map_err(|e| e.to_string())?;
        }
        copy_dir(&fixture, &bare.work.join("app"))?;
        let pack_app = round_dir.join("app");
        copy_dir(&fixture, &pack_app)?;
        let image = format!("gocnb-bench-{}-{round}", std::process::id());
        let floor_image = format!("{image}-floor");

        for (index, scenario) in SCENARIOS.iter().enumerate() {
            if index == 3 && app.bump.is_none() {
                continue;
            }
            eprintln!("[bench]   {scenario}");
            change_app(&app, &bare.work.join("app"), index, &real_proxy_dir)?;
            change_app(&app, &pack_app, index, &real_proxy_dir)?;
            let go_version = if index == 4 { GO_TO } else { GO_FROM };
            settle(options.settle);
            let bare_time = match index {
                0 => bare.unpack_and_install(&archives[0].path, GO_FROM)?,
                4 => bare.unpack_and_install(&archives[1].path, GO_TO)?,
                _ => bare.install(go_version)?,
            };
            settle(options.settle);
            let (floor, floor_phases) = builds.floor(&floor_image, &pack_app)?;
            settle(options.settle);
            let pack = builds.pack(&image, &pack_app, go_version, scenario)?;
            samples[index].push(Sample {
                bare: bare_time,
                floor,
                floor_phases,
                pack,
            });
        }
        remove_image(&image);
        remove_image(&floor_image);
        let _ = std::fs::remove_dir_all(&round_dir);
    }
    let _ = std::fs::remove_dir_all(&work);

    if let Some(path) = &options.json {
        let json = samples_json(&options.app, &builds.builder, options.settle, &samples);
        std::fs::write(
            path,
            serde_json::to_string_pretty(&json).unwrap_or_default(),
        )
        .map_err(|e| format!("write {}: {e}", path.display()))?;
    }
    Ok(report(&app, options, &builds.builder, &samples))
}

/// Writes dirty pages out and waits (see `Options::settle`).
fn settle(pause: Duration) {
    if !pause.is_zero() {
        let _ = Command::new("sync").status();
        std::thread::sleep(pause);
    }
}

fn samples_json(app: &str, builder: &str, pause: Duration, samples: &[Vec<Sample>]) -> Value {
    let phases = |phases: &BTreeMap<String, Duration>| -> Value {
        phases
            .iter()
            .map(|(name, time)| (name.clone(), json!(seconds(*time))))
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    let scenarios: Vec<Value> = SCENARIOS
        .iter()
        .zip(samples)
        .filter(|(_, samples)| !samples.is_empty())
        .map(|(scenario, samples)| {
            json!({
                "scenario": scenario,
                "rounds": samples.iter().map(|sample| json!({
                    "bare_go_s": seconds(sample.bare),
                    "floor_s": seconds(sample.floor),
                    "floor_phases_s": phases(&sample.floor_phases),
                    "pack_build_s": seconds(sample.pack.wall),
                    "phases_s": phases(&sample.pack.phases),
                    "buildpack_s": seconds(sample.pack.buildpack),
                    "cache_layer_bytes": sample.pack.cache_layers,
                    "cache_volume_bytes": sample.pack.cache_total,
                    "image_bytes_over_run_image": sample.pack.image_over_run_image,
                    "buildpack_peak_rss_kib": sample.pack.peak_rss_kib,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({ "app": app, "builder": builder, "go": [GO_FROM, GO_TO], "settle_s": pause.as_secs(), "scenarios": scenarios })
}

/// The report's first line: what was built how.
fn report_heading(app: &BenchApp, options: &Options, builder: &str) -> String {
    let settled = if options.settle.is_zero() {
        String::new()
    } else {
        format!(
            ", `sync` and {} s before every build",
            options.settle.as_secs()
        )
    };
    format!(
        "{} ({}), Go {GO_FROM} (then {GO_TO}), builder {builder}, {} interleaved rounds{settled}, medians\n\n",
        options.app, app.about, options.rounds
    )
}

fn report(app: &BenchApp, options: &Options, builder: &str, samples: &[Vec<Sample>]) -> String {
    let mut out = String::new();
    out.push_str(&report_heading(app, options, builder));
    out.push_str("| scenario | bare go | this buildpack | floor | buildpack − floor − bare | the buildpack's own part | peak RSS |\n|---|---|---|---|---|---|---|\n");
    let measured = || {
        SCENARIOS
            .iter()
            .zip(samples)
            .filter(|(_, samples)| !samples.is_empty())
    };
    for (scenario, samples) in measured() {
        let bare = median(samples.iter().map(|s| s.bare).collect());
        let floor = median(samples.iter().map(|s| s.floor).collect());
        let pack = median(samples.iter().map(|s| s.pack.wall).collect());
        let overhead = pack.as_secs_f64() - floor.as_secs_f64() - bare.as_secs_f64();
        let rss = median(samples.iter().map(|s| s.pack.peak_rss_kib).collect());
        let _ = writeln!(
            out,
            "| {scenario} | {:.2} s | {:.2} s | {:.2} s | {overhead:+.2} s | {:.2} s | {}.{} MiB |",
            bare.as_secs_f64(),
            pack.as_secs_f64(),
            floor.as_secs_f64(),
            median(samples.iter().map(|s| s.pack.buildpack).collect()).as_secs_f64(),
            rss / 1024,
            rss % 1024 * 10 / 1024,
        );
    }
    out.push_str("\nLifecycle phases of this buildpack's builds (floor in brackets), medians:\n\n| scenario |");
    for phase in PHASES {
        let _ = write!(out, " {phase} |");
    }
    out.push_str(" the rest |\n|---|");
    out.push_str(&"---|".repeat(PHASES.len() + 1));
    out.push('\n');
    for (scenario, samples) in measured() {
        let _ = write!(out, "| {scenario} |");
        let mut phases_total = 0.0;
        let mut floor_total = 0.0;
        for phase in PHASES {
            let of = |phases: &BTreeMap<String, Duration>| {
                phases.get(phase).copied().unwrap_or_default()
            };
            let pack = median(samples.iter().map(|s| of(&s.pack.phases)).collect());
            let floor = median(samples.iter().map(|s| of(&s.floor_phases)).collect());
            phases_total += pack.as_secs_f64();
            floor_total += floor.as_secs_f64();
            let _ = write!(
                out,
                " {:.2} ({:.2}) |",
                pack.as_secs_f64(),
                floor.as_secs_f64()
            );
        }
        let pack = median(samples.iter().map(|s| s.pack.wall).collect()).as_secs_f64();
        let floor = median(samples.iter().map(|s| s.floor).collect()).as_secs_f64();
        let _ = writeln!(
            out,
            " {:.2} ({:.2}) |",
            pack - phases_total,
            floor - floor_total
        );
    }
    out.push_str("\nBytes after each build (medians): the build cache volume, its layers, and what the image adds to the run image:\n\n| scenario | cache volume | cached layers | image over run image |\n|---|---|---|---|\n");
    for (scenario, samples) in measured() {
        let mut names: Vec<&String> = samples
            .iter()
            .flat_map(|s| s.pack.cache_layers.keys())
            .collect();
        names.sort();
        names.dedup();
        let layers: Vec<String> = names
            .iter()
            .map(|name| {
                let bytes = median(
                    samples
                        .iter()
                        .map(|s| s.pack.cache_layers.get(*name).copied().unwrap_or_default())
                        .collect(),
                );
                format!("{name} {}", megabytes(bytes))
            })
            .collect();
        let _ = writeln!(
            out,
            "| {scenario} | {} | {} | {} |",
            megabytes(median(samples.iter().map(|s| s.pack.cache_total).collect())),
            layers.join(", "),
            megabytes(median(
                samples
                    .iter()
                    .map(|s| s.pack.image_over_run_image)
                    .collect()
            )),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_buildpack_time_is_read_from_its_closing_line() {
        let log = "[builder] - Processes\n[builder] - Done (finished in 12.5s)\n";
        assert_eq!(buildpack_time(log), Duration::from_millis(12_500));
        let log = "[builder] - Done (finished in 1m 36s)\n";
        assert_eq!(buildpack_time(log), Duration::from_secs(96));
        assert_eq!(buildpack_time("no such line"), Duration::ZERO);
    }

    #[test]
    fn the_heading_says_when_builds_waited_to_settle() {
        let app = bench_app("chi-web").expect("a bench app");
        let mut options = Options {
            app: String::from("chi-web"),
            rounds: 2,
            json: None,
            builder: None,
            logs: None,
            settle: Duration::ZERO,
        };
        assert_eq!(
            report_heading(&app, &options, "b"),
            "chi-web (a chi web service, 1 module dependency), Go 1.26.5 (then 1.26.6), builder b, 2 interleaved rounds, medians\n\n"
        );
        options.settle = Duration::from_secs(61);
        assert_eq!(
            report_heading(&app, &options, "b"),
            "chi-web (a chi web service, 1 module dependency), Go 1.26.5 (then 1.26.6), builder b, 2 interleaved rounds, `sync` and 61 s before every build, medians\n\n"
        );
    }

    #[test]
    fn go_durations_parse_as_the_lifecycle_prints_them() {
        assert_eq!(parse_go_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_go_duration("350ms"), Some(Duration::from_millis(350)));
        assert_eq!(
            parse_go_duration("1m2.5s"),
            Some(Duration::from_millis(62_500))
        );
        assert_eq!(parse_go_duration("12µs"), Some(Duration::from_micros(12)));
        assert_eq!(parse_go_duration("0s"), Some(Duration::ZERO));
        assert_eq!(parse_go_duration("soon"), None);
    }

    #[test]
    fn phase_times_come_from_the_lifecycle_timer_lines() {
        let log = "[creator] Timer: Restorer started at 2026-12-07T10:00:00Z\n\
                   [creator] Timer: Restorer ran for 1.25s and ended at 2026-12-07T10:00:01Z\n\
                   [creator] Timer: Saving gocnb-bench... ran for 10ms and ended at x\n\
                   [creator] Timer: Cache ran for 700ms and ended at 2026-12-07T10:00:05Z\n";
        assert_eq!(
            phase_times(log),
            BTreeMap::from([
                (String::from("Cache"), Duration::from_millis(700)),
                (String::from("Restorer"), Duration::from_millis(1250)),
            ])
        );
    }
}
