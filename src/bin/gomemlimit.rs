//! The image's exec.d program: the launcher runs it before every process, and it exports
//! GOMEMLIMIT at 90% of the container's memory limit (`go_cnb_common::memlimit`). It never fails
//! and never blocks: what cannot be read means no GOMEMLIMIT, and the process starts as it would
//! without this program.

use go_cnb_common::memlimit::{cgroup_memory_limit, launch_gomemlimit};
use std::io::Write;

fn main() {
    let read = |path: &str| std::fs::read_to_string(path).ok();
    let limit = cgroup_memory_limit(
        read("/sys/fs/cgroup/memory.max").as_deref(),
        read("/sys/fs/cgroup/memory/memory.limit_in_bytes").as_deref(),
    );
    let var = |name: &str| std::env::var(name).ok();
    let Some(value) = launch_gomemlimit(
        var("GOMEMLIMIT").as_deref(),
        var("GO_MEMLIMIT_FROM_CGROUP").as_deref(),
        limit,
    ) else {
        return;
    };
    // The CNB launcher reads exec.d output, TOML, from file descriptor 3. Opened by path, so a
    // run without it (by hand) writes nothing instead of failing.
    if let Ok(mut output) = std::fs::OpenOptions::new()
        .write(true)
        .open("/proc/self/fd/3")
    {
        let _ = writeln!(output, "GOMEMLIMIT = \"{value}\"");
    }
}
