//! A `git-credentials` binding's text: whatever it holds, the URL it is for can stand in a git
//! config section name with no login in it, and the helper's answer is exactly two lines.
#![no_main]

use go_cnb_common::git_credential::{check_scope, parse};
use libfuzzer_sys::fuzz_target;

fn assert_scope(scope: &str) {
    assert!(!scope.contains(['"', '\\', '\n', '\r', '\0']), "{scope:?}");
    let (_, rest) = scope.split_once("://").expect("protocol");
    let host = rest.split('/').next().expect("host");
    assert!(!host.is_empty() && !host.contains('@'), "{scope:?}");
}

fuzz_target!(|text: &str| {
    match parse(text) {
        Ok(credential) => {
            if let Some(scope) = credential.scope() {
                assert_scope(scope);
            }
            let answer = credential.helper_answer();
            let lines: Vec<&str> = answer.lines().collect();
            assert_eq!(lines.len(), 2, "{answer:?}");
            assert!(lines[0].starts_with("username=") && lines[1].starts_with("password="));
        }
        Err(_) => {}
    }
    if let Ok(scope) = check_scope(text) {
        assert_scope(&scope);
    }
});
