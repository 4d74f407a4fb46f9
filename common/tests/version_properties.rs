//! Properties of Go version ordering and release selection that must hold for any versions and
//! any inventory, not just the examples of the unit tests.

use go_cnb_common::go_version::{GoVersion, GoVersionRequirement};
use go_cnb_common::inventory::{GoArtifact, GoInventory};
use libherokubuildpack::inventory::artifact::{Arch, Os};
use proptest::prelude::*;

/// Versions as go.dev writes them: `1.26`, `1.26.3`, `1.27rc1`, `1.27beta2`.
fn version_text() -> impl Strategy<Value = String> {
    (
        1u64..3,
        0u64..40,
        prop_oneof![
            Just(String::new()),
            (0u64..20).prop_map(|patch| format!(".{patch}")),
            (1u64..4).prop_map(|n| format!("rc{n}")),
            (1u64..4).prop_map(|n| format!("beta{n}")),
        ],
    )
        .prop_map(|(major, minor, suffix)| format!("{major}.{minor}{suffix}"))
}

fn version() -> impl Strategy<Value = GoVersion> {
    version_text().prop_map(|text| text.parse().expect("a go.dev version form"))
}

/// Requirements as users write them, anchored at any version.
fn requirement() -> impl Strategy<Value = String> {
    (
        prop_oneof![
            Just(""),
            Just("go"),
            Just("="),
            Just("~"),
            Just("^"),
            Just(">="),
            Just(">"),
            Just("<="),
            Just("<")
        ],
        version_text(),
        proptest::option::of((
            prop_oneof![Just("<"), Just("<="), Just(">")],
            version_text(),
        )),
    )
        .prop_map(|(operator, anchor, second)| match second {
            Some((op, v)) => format!("{operator}{anchor}, {op}{v}"),
            None => format!("{operator}{anchor}"),
        })
}

fn inventory(versions: &[(GoVersion, bool)]) -> GoInventory {
    let mut inventory = GoInventory::default();
    for (version, arm64) in versions {
        inventory.push(GoArtifact {
            version: version.clone(),
            os: Os::Linux,
            arch: if *arm64 { Arch::Arm64 } else { Arch::Amd64 },
            url: format!("https://example.test/go{version}.tar.gz"),
            checksum: format!("sha256:{}", "cd".repeat(32))
                .parse()
                .expect("checksum"),
            metadata: None,
        });
    }
    inventory
}

proptest! {
    #[test]
    fn a_version_reads_back_from_how_it_is_written(text in version_text()) {
        let version: GoVersion = text.parse().expect("parses");
        prop_assert_eq!(version.to_string(), text.clone());
        prop_assert_eq!(format!("go{text}").parse::<GoVersion>().expect("go prefix"), version);
    }

    #[test]
    fn ordering_is_total_and_puts_prereleases_before_their_release(
        a in version(), b in version(), c in version()
    ) {
        prop_assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
        if a <= b && b <= c {
            prop_assert!(a <= c);
        }
        if a.is_prerelease() && a.major == b.major && a.minor == b.minor && !b.is_prerelease() {
            prop_assert!(a < b, "{a} sorts after {b}");
        }
    }

    #[test]
    fn the_newest_matching_release_is_chosen_for_any_inventory(
        written in requirement(),
        releases in proptest::collection::vec((version(), any::<bool>()), 0..40),
    ) {
        let requirement: GoVersionRequirement = written.parse().expect("a requirement form");
        let inventory = inventory(&releases);
        let newest = releases
            .iter()
            .filter(|(version, arm64)| !arm64 && requirement.satisfied_by(version))
            .map(|(version, _)| version)
            .max();
        let chosen = inventory.resolve(Os::Linux, Arch::Amd64, &requirement);
        prop_assert_eq!(chosen.map(|artifact| &artifact.version), newest);
        if let Some(artifact) = chosen {
            prop_assert_eq!(artifact.arch, Arch::Amd64);
        }
    }
}
