//! Runs the go command that downloads modules (`go install`) with its output streamed, and
//! stops it when it makes no progress: no output, (almost) nothing new in the module download
//! cache and (almost) no CPU time used for a whole stall window. A module proxy that trickles
//! or never answers would otherwise hold the build until the platform's own timeout, and the
//! go command has no time limit of its own for downloads.

use bullet_stream::global::print;
use bullet_stream::style;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// When a go command counts as stalled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Watchdog {
    /// How long it may go without progress: `GO_COMMAND_STALL_TIMEOUT`.
    pub(crate) window: Duration,
    /// The module cache's `cache` directory (`$GOMODCACHE/cache`), where downloads and VCS
    /// clones land.
    pub(crate) downloads: Option<PathBuf>,
}

/// The slowest download that counts as progress, as for the buildpack's own downloads.
const MIN_DOWNLOAD_SPEED: u64 = 1024;
/// How often progress is measured.
const SAMPLE_EVERY: Duration = Duration::from_secs(2);
/// Linux reports CPU times in /proc in units of `USER_HZ`, 100 a second on amd64 and arm64.
const TICKS_PER_SECOND: u64 = 100;

/// How a watched command ended, when it did not succeed.
#[derive(Debug)]
pub(crate) enum WatchedFailure {
    Failed(fun_run::CmdError),
    Stalled(Stall),
}

/// A command stopped for making no progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stall {
    pub(crate) name: String,
    pub(crate) window: Duration,
    /// The last line it printed.
    pub(crate) last_line: Option<String>,
}

/// What has happened so far, to compare with a mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Progress {
    output_bytes: u64,
    download_bytes: u64,
    cpu: Duration,
}

impl Progress {
    /// Whether `self` moved on enough from `mark` to count as progress.
    fn moved_on_from(&self, mark: &Progress, window: Duration) -> bool {
        self.output_bytes != mark.output_bytes
            || self.download_bytes >= mark.download_bytes + MIN_DOWNLOAD_SPEED * window.as_secs()
            || self.cpu >= mark.cpu + window / 10
    }
}

/// Runs `command` (named `name`), streaming its output as `bullet_stream` does, under `watchdog`.
pub(crate) fn stream_watched(
    mut command: Command,
    name: &str,
    watchdog: &Watchdog,
) -> Result<(), WatchedFailure> {
    print::sub_stream_with(
        format!("Running {}", style::command(name)),
        |mut stdout, mut stderr| run(&mut command, name, watchdog, &mut stdout, &mut stderr),
    )
}

fn run(
    command: &mut Command,
    name: &str,
    watchdog: &Watchdog,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<(), WatchedFailure> {
    let system_error =
        |error| WatchedFailure::Failed(fun_run::CmdError::SystemError(name.to_string(), error));
    // Its own process group, so that a stalled command is stopped with every child it started
    // (git, compilers), and their CPU time can be found.
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(system_error)?;
    let (sender, chunks) = mpsc::channel::<(bool, Vec<u8>)>();
    let pipes: [(bool, Option<Box<dyn Read + Send>>); 2] = [
        (false, child.stdout.take().map(|pipe| Box::new(pipe) as _)),
        (true, child.stderr.take().map(|pipe| Box::new(pipe) as _)),
    ];
    for (is_stderr, pipe) in pipes {
        let (Some(mut pipe), sender) = (pipe, sender.clone()) else {
            continue;
        };
        std::thread::spawn(move || {
            let mut buffer = vec![0; 8192];
            while let Ok(read) = pipe.read(&mut buffer) {
                if read == 0 || sender.send((is_stderr, buffer[..read].to_vec())).is_err() {
                    break;
                }
            }
        });
    }
    drop(sender);

    let group = child.id();
    let mut captured = (Vec::new(), Vec::new());
    let mut mark = (Instant::now(), sample(0, watchdog, group));
    let mut sampled = Instant::now();
    loop {
        match chunks.recv_timeout(SAMPLE_EVERY) {
            Ok((is_stderr, chunk)) => {
                if is_stderr {
                    let _ = stderr.write_all(&chunk);
                    captured.1.extend_from_slice(&chunk);
                } else {
                    let _ = stdout.write_all(&chunk);
                    captured.0.extend_from_slice(&chunk);
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        if sampled.elapsed() < SAMPLE_EVERY {
            continue;
        }
        sampled = Instant::now();
        let output_bytes = (captured.0.len() + captured.1.len()) as u64;
        let now = sample(output_bytes, watchdog, group);
        if now.moved_on_from(&mark.1, watchdog.window) {
            mark = (Instant::now(), now);
        } else if mark.0.elapsed() >= watchdog.window {
            stop_group(group);
            let _ = child.wait();
            return Err(WatchedFailure::Stalled(Stall {
                name: name.to_string(),
                window: watchdog.window,
                last_line: last_line(&captured.0, &captured.1),
            }));
        }
    }
    let status = child.wait().map_err(system_error)?;
    let output = Output {
        status,
        stdout: captured.0,
        stderr: captured.1,
    };
    fun_run::nonzero_streamed(name.to_string(), output)
        .map(drop)
        .map_err(WatchedFailure::Failed)
}

fn sample(output_bytes: u64, watchdog: &Watchdog, group: u32) -> Progress {
    Progress {
        output_bytes,
        download_bytes: watchdog
            .downloads
            .as_deref()
            .map_or(0, crate::sizes::tree_size),
        cpu: group_cpu_time(group),
    }
}

/// The last line with something on it, of stderr (where go reports) or else stdout.
fn last_line(stdout: &[u8], stderr: &[u8]) -> Option<String> {
    [stderr, stdout].iter().find_map(|bytes| {
        String::from_utf8_lossy(bytes)
            .lines()
            .rev()
            .map(str::trim)
            .find(|line| !line.is_empty())
            .map(ToString::to_string)
    })
}

/// The CPU time used by the processes of a process group, with their waited-for children.
fn group_cpu_time(group: u32) -> Duration {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Duration::ZERO;
    };
    let ticks: u64 = entries
        .flatten()
        .filter(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter_map(|entry| std::fs::read_to_string(entry.path().join("stat")).ok())
        .filter_map(|stat| cpu_ticks_in_group(&stat, group))
        .sum();
    Duration::from_millis(ticks * 1000 / TICKS_PER_SECOND)
}

/// utime + stime + cutime + cstime of a `/proc/<pid>/stat` line, if its process is in `group`.
fn cpu_ticks_in_group(stat: &str, group: u32) -> Option<u64> {
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // After the name: state, ppid, pgrp, … utime is field 14 of the line, index 11 here.
    if fields.get(2)?.parse::<u32>().ok()? != group {
        return None;
    }
    fields
        .get(11..15)?
        .iter()
        .map(|field| field.parse::<u64>().ok())
        .sum()
}

fn stop_group(group: u32) {
    let Ok(group) = i32::try_from(group) else {
        return;
    };
    // SAFETY: kill(2) with a negative pid signals a process group; it touches no memory.
    unsafe {
        libc::kill(-group, libc::SIGKILL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watchdog(window: Duration, downloads: Option<PathBuf>) -> Watchdog {
        Watchdog { window, downloads }
    }

    fn shell(script: &str) -> Command {
        let mut command = Command::new("sh");
        command.args(["-c", script]);
        command
    }

    fn run_captured(command: Command, watchdog: &Watchdog) -> (Result<(), WatchedFailure>, String) {
        let mut command = command;
        let mut stdout = Vec::new();
        let mut stderr = Vec::new();
        let result = run(&mut command, "sh", watchdog, &mut stdout, &mut stderr);
        (
            result,
            format!(
                "{}{}",
                String::from_utf8_lossy(&stdout),
                String::from_utf8_lossy(&stderr)
            ),
        )
    }

    #[test]
    fn a_silent_idle_command_is_stopped_with_its_children() {
        let started = Instant::now();
        let (result, output) = run_captured(
            shell("echo 'go: downloading example.test/m v1.0.0' >&2; sleep 60 & wait"),
            &watchdog(Duration::from_secs(3), None),
        );
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(output, "go: downloading example.test/m v1.0.0\n");
        match result {
            Err(WatchedFailure::Stalled(Stall {
                name,
                window,
                last_line,
            })) => {
                assert_eq!(name, "sh");
                assert_eq!(window, Duration::from_secs(3));
                assert_eq!(
                    last_line.as_deref(),
                    Some("go: downloading example.test/m v1.0.0")
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn output_cpu_time_or_downloads_are_progress() {
        let window = Duration::from_secs(3);
        // Prints now and then.
        let (result, _) = run_captured(
            shell("for i in 1 2 3 4; do echo $i; sleep 2; done"),
            &watchdog(window, None),
        );
        assert!(result.is_ok(), "{result:?}");
        // Silent, but busy (a compiler).
        let (result, _) = run_captured(
            shell("end=$(($(date +%s) + 6)); while [ $(date +%s) -lt $end ]; do :; done"),
            &watchdog(window, None),
        );
        assert!(result.is_ok(), "{result:?}");
        // Silent and idle, but a download grows fast enough.
        let downloads = tempfile::tempdir().expect("tempdir");
        let file = downloads.path().join("m").join("@v");
        std::fs::create_dir_all(&file).expect("mkdir");
        let script = format!(
            "for i in 1 2 3 4 5 6; do head -c 8192 /dev/zero >> {}/v1.0.0.zip; sleep 1; done",
            file.display()
        );
        let (result, _) = run_captured(
            shell(&script),
            &watchdog(window, Some(downloads.path().to_path_buf())),
        );
        assert!(result.is_ok(), "{result:?}");
    }

    #[test]
    fn a_failing_command_keeps_its_output_for_the_error() {
        let (result, output) = run_captured(
            shell("echo 'main.go:3:1: syntax error' >&2; exit 1"),
            &watchdog(Duration::from_mins(1), None),
        );
        assert_eq!(output, "main.go:3:1: syntax error\n");
        match result {
            Err(WatchedFailure::Failed(fun_run::CmdError::NonZeroExitAlreadyStreamed(output))) => {
                assert_eq!(output.stderr_lossy(), "main.go:3:1: syntax error\n");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn cpu_ticks_are_read_past_a_name_with_spaces() {
        let stat = "4242 (go build (x)) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 7 3 20 0 1 0";
        assert_eq!(cpu_ticks_in_group(stat, 4242), Some(310));
        assert_eq!(cpu_ticks_in_group(stat, 1), None);
        assert_eq!(cpu_ticks_in_group("garbage", 1), None);
    }
}
