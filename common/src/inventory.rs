//! The inventory of Go releases (`inventory.toml`): libherokubuildpack's inventory of
//! [`GoVersion`]s with SHA-256 checksums, read by the buildpack and written by the inventory
//! updater and the test harness.

use crate::go_version::{GoVersion, GoVersionRequirement};
use libherokubuildpack::inventory::artifact::Artifact;
use libherokubuildpack::inventory::version::VersionRequirement;
use libherokubuildpack::inventory::Inventory;
use sha2::Sha256;

/// Artifacts carry no metadata of their own; the field stays optional so operators' inventories
/// may add some.
pub type GoInventory = Inventory<GoVersion, Sha256, Option<toml::Table>>;
pub type GoArtifact = Artifact<GoVersion, Sha256, Option<toml::Table>>;

impl VersionRequirement<GoVersion> for GoVersionRequirement {
    fn satisfies(&self, version: &GoVersion) -> bool {
        self.satisfied_by(version)
    }
}

/// The inventory as TOML, after `header` (comment lines, each starting with `#`).
#[must_use]
pub fn render(inventory: &GoInventory, header: &str) -> String {
    let mut out = String::from(header);
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(&inventory.to_string());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use libherokubuildpack::inventory::artifact::{Arch, Os};
    use std::str::FromStr;

    #[test]
    fn an_inventory_renders_and_reads_back() {
        let mut inventory = GoInventory::default();
        inventory.push(GoArtifact {
            version: "1.26.6".parse().expect("version"),
            os: Os::Linux,
            arch: Arch::Amd64,
            url: String::from("https://go.dev/dl/go1.26.6.linux-amd64.tar.gz"),
            checksum: format!("sha256:{}", "ab".repeat(32))
                .parse()
                .expect("checksum"),
            metadata: None,
        });
        let text = render(&inventory, "# Go releases\n");
        assert!(
            text.starts_with("# Go releases\n\n[[artifacts]]\n"),
            "{text}"
        );
        assert!(text.contains("version = \"1.26.6\"\n"), "{text}");
        assert!(text.contains("checksum = \"sha256:abab"), "{text}");
        let read = GoInventory::from_str(&text).expect("reads back");
        assert_eq!(read.artifacts.len(), 1);
        assert_eq!(read.artifacts[0].version, inventory.artifacts[0].version);
        assert_eq!(read.artifacts[0].checksum, inventory.artifacts[0].checksum);
        assert_eq!(read.artifacts[0].url, inventory.artifacts[0].url);
    }
}
