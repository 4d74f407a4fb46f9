//! `cnb-local bench`: the whole `pack build` (what users wait for) side by side with a person
//! typing `tar xzf go….tar.gz && go install ./...`, on `test-fixtures/bench-deps` (two module
//! dependencies from the local GOPROXY, two binaries). Rounds are interleaved (bare, then pack,
//! for each scenario) so that machine noise hits both alike; medians are printed. pack builds
//! with the builder's own buildpack, as users do (`tools/platform/setup.sh` puts the current
//! one in; a `--buildpack` would make pack assemble a builder of its own for every build).
//!
//! Scenarios, each on the caches the previous one left: a cold build (no image, empty cache
//! volume), a rebuild without changes, a one-line edit of a main package, and a dependency bump
//! (`example.test/greeting` v1.0.0 → v1.1.0; the fixture's go.sum holds both).

use crate::go_mirror::ensure_go_archive;
use crate::pack_cli::{pack_build, remove_image};
use crate::test_app::builder;
use crate::LocalServices;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
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
    /// The buildpack's own time, as its last line says (`Done (finished in 1.2s)`).
    buildpack: Duration,
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

/// The buildpack's own time from its closing line, `- Done (finished in 1.2s)`.
fn buildpack_time(log: &str) -> Duration {
    crate::plain(log)
        .lines()
        .find_map(|line| line.split("Done (finished in ").nth(1))
        .and_then(|rest| rest.split(')').next())
        .and_then(|text| text.trim_end_matches('s').parse::<f64>().ok())
        .map(Duration::from_secs_f64)
        .unwrap_or_default()
}

fn median(values: &mut [Duration]) -> Duration {
    values.sort();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

/// Runs the benchmark and returns its report.
///
/// # Errors
/// When setting up, a bare go command or a build fails.
pub fn run(workspace_root: &Path, rounds: usize) -> Result<String, String> {
    let work = std::env::temp_dir().join(format!("gocnb-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    let services = LocalServices::start(workspace_root, &work.join("services"))?;
    let archive = ensure_go_archive(GO_VERSION)?;
    let env = services.platform_env();
    let builder = builder();

    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); SCENARIOS.len()];
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
        let app = round_dir.join("app");
        copy_fixture(workspace_root, &app)?;
        let image = format!("gocnb-bench-{}-{round}", std::process::id());

        for (index, scenario_samples) in samples.iter_mut().enumerate() {
            change_app(&bare.work.join("app"), index, round)?;
            let bare_time = bare.scenario(index, &archive.path)?;
            change_app(&app, index, round)?;
            let (log, whole_build) = pack_build(&image, &builder, &app, &[], &env, &[])
                .map_err(|log| format!("the {} build failed:\n{log}", SCENARIOS[index]))?;
            scenario_samples.push(Sample {
                bare: bare_time,
                buildpack: buildpack_time(&log),
                whole_build,
            });
        }
        remove_image(&image);
    }
    let _ = std::fs::remove_dir_all(&work);

    let mut out = String::new();
    let _ = write!(
        out,
        "bench-deps (2 module dependencies, 2 binaries), Go {GO_VERSION}, builder {builder}, \
         {rounds} interleaved rounds, medians (the whole build's fastest and slowest round in brackets)\n\n"
    );
    out.push_str(
        "| scenario | bare go | whole pack build | the buildpack's own part |\n|---|---|---|---|\n",
    );
    for (index, scenario_samples) in samples.iter().enumerate() {
        let mut bare: Vec<Duration> = scenario_samples.iter().map(|s| s.bare).collect();
        let mut whole: Vec<Duration> = scenario_samples.iter().map(|s| s.whole_build).collect();
        let mut own: Vec<Duration> = scenario_samples.iter().map(|s| s.buildpack).collect();
        let whole_median = median(&mut whole);
        let _ = writeln!(
            out,
            "| {} | {:.2} s | {:.2} s ({:.2}–{:.2}) | {:.2} s |",
            SCENARIOS[index],
            median(&mut bare).as_secs_f64(),
            whole_median.as_secs_f64(),
            whole.first().copied().unwrap_or_default().as_secs_f64(),
            whole.last().copied().unwrap_or_default().as_secs_f64(),
            median(&mut own).as_secs_f64(),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_buildpack_time_is_read_from_its_closing_line() {
        let log = "[builder] - Processes\n[builder] - Done (finished in 12.5s)\n";
        assert_eq!(buildpack_time(log), Duration::from_millis(12_500));
        assert_eq!(buildpack_time("no such line"), Duration::ZERO);
    }
}
