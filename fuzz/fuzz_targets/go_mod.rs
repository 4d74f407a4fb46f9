//! go.mod text from an app nobody reviewed: parsing never panics, and an error names a line
//! that exists.
#![no_main]

use go_cnb_common::go_mod::{parse_go_mod, GoModError};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|text: &str| {
    match parse_go_mod(text, Path::new("go.mod")) {
        Ok(go_mod) => {
            assert!(!go_mod.module_path.contains(['\n', '\r']));
            for package in &go_mod.heroku_install {
                assert!(!package.is_empty() && !package.contains(char::is_whitespace));
            }
        }
        Err(GoModError::Malformed { line, content, .. }) => {
            assert!(
                line >= 1 && line <= text.lines().count(),
                "line {line} of {text:?}"
            );
            assert_eq!(
                text.lines().nth(line - 1).map(str::trim),
                Some(content.as_str())
            );
        }
        Err(GoModError::NoModuleLine { .. } | GoModError::Read { .. }) => {}
    }
});
