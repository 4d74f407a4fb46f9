//! go.work text: parsing never panics, an error names a line that exists, and every `use`
//! line becomes one package pattern.
#![no_main]

use go_cnb_common::go_mod::GoModError;
use go_cnb_common::go_work::parse_go_work;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|text: &str| {
    match parse_go_work(text, Path::new("go.work")) {
        Ok(work) => {
            let patterns = work.package_patterns();
            assert_eq!(patterns.len(), work.uses.len());
            assert!(patterns.iter().all(|pattern| pattern.ends_with("/...")));
        }
        Err(GoModError::Malformed { line, .. }) => {
            assert!(
                line >= 1 && line <= text.lines().count(),
                "line {line} of {text:?}"
            );
        }
        Err(error) => panic!("unexpected error {error:?}"),
    }
});
