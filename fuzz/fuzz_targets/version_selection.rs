//! Version selection: a requirement as users write it (`GOVERSION`, `// +heroku goVersion`)
//! against any inventory. Parsing never panics; the release chosen satisfies the requirement
//! and is the newest one that does; no release is chosen only when none satisfies it.
#![no_main]

use arbitrary::Arbitrary;
use go_cnb_common::go_version::{GoVersion, GoVersionRequirement};
use go_cnb_common::inventory::{GoArtifact, GoInventory};
use libfuzzer_sys::fuzz_target;
use libherokubuildpack::inventory::artifact::{Arch, Os};

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    requirement: &'a str,
    /// Each release as (major, minor, patch, pre-release kind, pre-release number).
    releases: Vec<(u8, u8, Option<u8>, u8, u8)>,
    arm64: Vec<bool>,
}

fn version(
    &(major, minor, patch, kind, number): &(u8, u8, Option<u8>, u8, u8),
) -> Option<GoVersion> {
    // Written the way go.dev names releases, then parsed, so only real forms reach the resolver.
    let mut text = format!("{}.{}", major % 3, minor % 30);
    match (kind % 3, patch) {
        (0, Some(patch)) => text.push_str(&format!(".{}", patch % 12)),
        (0, None) => {}
        (1, _) => text.push_str(&format!("rc{}", number % 4)),
        _ => text.push_str(&format!("beta{}", number % 4)),
    }
    text.parse().ok()
}

fuzz_target!(|input: Input<'_>| {
    let Ok(requirement) = input.requirement.parse::<GoVersionRequirement>() else {
        return;
    };
    let _ = requirement.to_string();
    let _ = requirement.anchor();
    let mut inventory = GoInventory::default();
    for (index, release) in input.releases.iter().take(64).enumerate() {
        let Some(version) = version(release) else {
            continue;
        };
        let arch = if input.arm64.get(index).copied().unwrap_or(false) {
            Arch::Arm64
        } else {
            Arch::Amd64
        };
        inventory.push(GoArtifact {
            url: format!("https://example.test/go{version}.linux-{arch}.tar.gz"),
            version,
            os: Os::Linux,
            arch,
            checksum: format!("sha256:{}", "ab".repeat(32))
                .parse()
                .expect("checksum"),
            metadata: None,
        });
    }
    let matching: Vec<&GoVersion> = inventory
        .artifacts
        .iter()
        .filter(|artifact| artifact.arch == Arch::Amd64)
        .map(|artifact| &artifact.version)
        .filter(|version| requirement.satisfied_by(version))
        .collect();
    match inventory.resolve(Os::Linux, Arch::Amd64, &requirement) {
        Some(chosen) => {
            assert_eq!(chosen.arch, Arch::Amd64);
            assert!(requirement.satisfied_by(&chosen.version));
            assert!(matching.iter().all(|version| *version <= &chosen.version));
        }
        None => assert!(matching.is_empty(), "{matching:?} satisfy {requirement}"),
    }
});
