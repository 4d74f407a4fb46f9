//! GOMEMLIMIT from a container's memory limit: the Go runtime's garbage collector does not
//! know the limit of the cgroup it runs in, and without a soft limit a heap that grows close
//! to it gets the process killed instead of collected.

/// The share of the container's memory limit that GOMEMLIMIT is set to, in percent. The rest
/// is left for what the Go runtime does not count (thread stacks, cgo, the binary's mappings).
pub const GOMEMLIMIT_PERCENT: u64 = 90;

/// cgroup v1 writes a very large number (about 2^63, page-aligned) for "no limit": anything
/// from 2^60 bytes (an exbibyte) on is taken for none.
const UNLIMITED_FROM: u64 = 1 << 60;

/// The memory limit of the container in bytes, from the cgroup v2 `memory.max` or, without
/// one, the cgroup v1 `memory.limit_in_bytes`; `None` for no limit or an unreadable value.
#[must_use]
pub fn cgroup_memory_limit(
    v2_memory_max: Option<&str>,
    v1_limit_in_bytes: Option<&str>,
) -> Option<u64> {
    let text = v2_memory_max.or(v1_limit_in_bytes)?.trim();
    let bytes: u64 = text.parse().ok()?;
    (bytes > 0 && bytes < UNLIMITED_FROM).then_some(bytes)
}

/// The value of GOMEMLIMIT for a memory limit: [`GOMEMLIMIT_PERCENT`] of it, in bytes.
#[must_use]
pub fn gomemlimit_for(limit: u64) -> u64 {
    u64::try_from(u128::from(limit) * u128::from(GOMEMLIMIT_PERCENT) / 100).unwrap_or(u64::MAX)
}

/// What GOMEMLIMIT to export at launch: none when the user set GOMEMLIMIT (theirs wins), when
/// `GO_MEMLIMIT_FROM_CGROUP` turns it off, or when there is no limit.
#[must_use]
pub fn launch_gomemlimit(
    user_gomemlimit: Option<&str>,
    from_cgroup: Option<&str>,
    limit: Option<u64>,
) -> Option<String> {
    if user_gomemlimit.is_some_and(|value| !value.trim().is_empty()) {
        return None;
    }
    if from_cgroup.is_some_and(|value| {
        matches!(
            value.trim().to_ascii_lowercase().as_str(),
            "false" | "0" | "no"
        )
    }) {
        return None;
    }
    limit.map(|limit| gomemlimit_for(limit).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_come_from_v2_then_v1_and_none_means_none() {
        assert_eq!(
            cgroup_memory_limit(Some("268435456\n"), None),
            Some(268_435_456)
        );
        assert_eq!(cgroup_memory_limit(Some("max\n"), Some("1000")), None);
        assert_eq!(
            cgroup_memory_limit(None, Some("536870912\n")),
            Some(536_870_912)
        );
        assert_eq!(
            cgroup_memory_limit(None, Some("9223372036854771712\n")),
            None
        );
        assert_eq!(cgroup_memory_limit(None, None), None);
        assert_eq!(cgroup_memory_limit(Some("garbage"), None), None);
        assert_eq!(cgroup_memory_limit(Some("0"), None), None);
    }

    #[test]
    fn ninety_percent_of_the_limit_without_overflow() {
        assert_eq!(gomemlimit_for(268_435_456), 241_591_910);
        assert_eq!(gomemlimit_for(u64::MAX), u64::MAX / 100 * 90 + 13);
    }

    #[test]
    fn the_users_value_and_the_switch_win() {
        let limit = Some(1000);
        assert_eq!(
            launch_gomemlimit(None, None, limit),
            Some(String::from("900"))
        );
        assert_eq!(launch_gomemlimit(Some("512MiB"), None, limit), None);
        assert_eq!(
            launch_gomemlimit(Some(""), None, limit),
            Some(String::from("900"))
        );
        assert_eq!(launch_gomemlimit(None, Some("false"), limit), None);
        assert_eq!(launch_gomemlimit(None, Some("NO"), limit), None);
        assert_eq!(
            launch_gomemlimit(None, Some("true"), limit),
            Some(String::from("900"))
        );
        assert_eq!(launch_gomemlimit(None, None, None), None);
    }
}
