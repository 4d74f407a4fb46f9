//! The go command's flag quoting: splitting never fails on a closed quote, and what is split
//! and joined again splits to the same fields (so a merged -ldflags keeps every argument).
#![no_main]

use go_cnb_common::go_quoted::{join, split};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    match split(text) {
        Ok(fields) => {
            let joined = join(&fields).expect("split fields can always be joined");
            assert_eq!(split(&joined).expect("joined fields split"), fields);
        }
        Err(error) => {
            let opened = text.chars().nth(error.position - 1);
            assert_eq!(opened, Some(error.quote));
        }
    }
    let fields: Vec<String> = text.split('\u{1}').map(String::from).collect();
    if let Some(joined) = join(&fields) {
        assert_eq!(split(&joined).expect("joined fields split"), fields);
    }
});
