//! End-to-end: what the image does when it starts, beyond the processes: GOMEMLIMIT from the
//! container's memory limit.

use e2e_harness::docker::docker;
use e2e_harness::test_app::{app, LAUNCHER_COMMAND};

/// What GOMEMLIMIT a command started by the image's launcher sees, in a container run with
/// `docker_args`.
fn gomemlimit_seen(image: &str, docker_args: &[&str]) -> String {
    let mut args = vec!["run", "--rm"];
    args.extend(docker_args);
    args.extend(["--entrypoint", LAUNCHER_COMMAND, image]);
    args.extend(["bash", "-c", "echo ${GOMEMLIMIT-unset}"]);
    let output = docker(&args).unwrap_or_else(|error| panic!("{error}"));
    String::from_utf8_lossy(&output).trim().to_string()
}

/// The mean time one start of the launcher takes (`launcher true`, 200 times in one container
/// with a memory limit), in milliseconds: what the exec.d programs add shows here. Printed,
/// not asserted: timings vary too much from machine to machine.
fn launch_time_ms(image: &str) -> f64 {
    let script = "start=$(date +%s%N); for i in $(seq 200); do /cnb/lifecycle/launcher true; done; echo $(( ($(date +%s%N) - start) / 200000 ))";
    let output = docker(&[
        "run",
        "--rm",
        "--memory",
        "256m",
        "--entrypoint",
        "bash",
        image,
        "-c",
        script,
    ])
    .unwrap_or_else(|error| panic!("{error}"));
    let micros: f64 = String::from_utf8_lossy(&output)
        .trim()
        .parse()
        .expect("microseconds");
    micros / 1000.0
}

#[test]
fn gomemlimit_is_set_from_the_containers_memory_limit_unless_told_otherwise() {
    let app = app("root-main");
    app.build_ok(&[]);
    let image = app.image().0;
    // 90% of 256 MiB.
    assert_eq!(gomemlimit_seen(&image, &["--memory", "256m"]), "241591910");
    assert_eq!(
        gomemlimit_seen(&image, &[]),
        "unset",
        "no limit, no GOMEMLIMIT"
    );
    assert_eq!(
        gomemlimit_seen(&image, &["--memory", "256m", "--env", "GOMEMLIMIT=100MiB"]),
        "100MiB",
        "the user's GOMEMLIMIT wins"
    );
    assert_eq!(
        gomemlimit_seen(
            &image,
            &["--memory", "256m", "--env", "GO_MEMLIMIT_FROM_CGROUP=false"]
        ),
        "unset"
    );
    // The app itself starts as before.
    assert_eq!(app.get(None), "hello from root-main, built with go1.25.5\n");
    let with_program = launch_time_ms(&image);

    // Turned off at build time, the image has no exec.d program at all.
    let report = app.build_ok(&[("GO_MEMLIMIT_FROM_CGROUP", "false")]);
    e2e_harness::test_app::assert_contains(
        &report.log,
        "GO_MEMLIMIT_FROM_CGROUP=false: GOMEMLIMIT is not set at launch",
    );
    let image = app.image().0;
    assert_eq!(gomemlimit_seen(&image, &["--memory", "256m"]), "unset");
    let without_program = launch_time_ms(&image);
    eprintln!(
        "a launch takes {with_program:.2} ms with the GOMEMLIMIT program, {without_program:.2} ms without"
    );
}
