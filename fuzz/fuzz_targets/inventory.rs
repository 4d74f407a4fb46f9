//! inventory.toml text (GO_INVENTORY may name any file or URL): reading never panics, and an
//! inventory that reads renders back to text that reads to the same inventory.
#![no_main]

use go_cnb_common::inventory::{render, GoInventory};
use libfuzzer_sys::fuzz_target;
use std::str::FromStr;

fuzz_target!(|text: &str| {
    let Ok(inventory) = GoInventory::from_str(text) else {
        return;
    };
    let rendered = render(&inventory, "# fuzzed\n");
    let again = GoInventory::from_str(&rendered).expect("a rendered inventory reads back");
    assert_eq!(again.artifacts.len(), inventory.artifacts.len());
    for (a, b) in again.artifacts.iter().zip(&inventory.artifacts) {
        assert_eq!(a.version, b.version);
        assert_eq!(a.url, b.url);
        assert_eq!(a.checksum, b.checksum);
        assert_eq!(a.os, b.os);
        assert_eq!(a.arch, b.arch);
    }
});
